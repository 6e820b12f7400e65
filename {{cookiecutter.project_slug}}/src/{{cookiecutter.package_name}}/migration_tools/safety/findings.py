"""What the safety lint reports: a finding, and for each rule why it is dangerous and what
to do instead. The rules take the names of squawk's, the PostgreSQL migration linter's."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

LESSON = 'docs/migrations.md, "Migrations on a live database"'

NOT_VALID_THEN_VALIDATE = (
    "add it NOT VALID (postgresql_not_valid=True), then VALIDATE CONSTRAINT in its own "
    "transaction: inside op.get_context().autocommit_block()"
)

# rule: (why it is dangerous while the database serves traffic, the safe way)
ADVICE = {
    "adding-required-field": (
        "the rows already there have no value for a NOT NULL column without a server "
        "default, and the release still running inserts rows without it",
        "add it nullable (or with a server_default), fill it in batches, then make it NOT NULL "
        "in a later revision",
    ),
    "ban-drop-column": (
        "the release still running during the deploy reads and writes this column: its "
        "queries fail from the moment it is gone",
        "expand/contract: first release code that no longer uses the column, then drop it in "
        "a later revision, with a waiver that says so",
    ),
    "ban-drop-table": (
        "the release still running during the deploy reads and writes this table: its "
        "queries fail from the moment it is gone",
        "expand/contract: first release code that no longer uses the table, then drop it in "
        "a later revision, with a waiver that says so",
    ),
    "renaming-column": (
        "the release still running during the deploy knows only the old name",
        "expand/contract: add the new column, write both and read the new one, fill it, "
        "then drop the old one in a later release",
    ),
    "renaming-table": (
        "the release still running during the deploy knows only the old name",
        "expand/contract: create the new table, write both and read the new one, fill it, "
        "then drop the old one in a later release",
    ),
    "changing-column-type": (
        "the table is rewritten under a lock that blocks reads and writes, and the release "
        "still running may not handle the new type",
        "add a column of the new type, fill it, switch the code to it, then drop the old one",
    ),
    "ban-drop-not-null": (
        "the release still running during the deploy may rely on the column never being NULL",
        "expand/contract: only the column that is going away may become nullable, once no "
        "release reads it; say so in a waiver",
    ),
    "ban-drop-constraint": (
        "the data the constraint protected is unguarded from then on",
        "drop a constraint only once another one guards the data (a NOT NULL that replaces "
        "a CHECK, say), and say so in a waiver",
    ),
    "require-concurrent-index-creation": (
        "CREATE INDEX blocks every write to the table until the index is built",
        "build it CONCURRENTLY, outside the transaction: op.create_index(..., "
        "postgresql_concurrently=True) inside op.get_context().autocommit_block()",
    ),
    "require-concurrent-index-deletion": (
        "DROP INDEX blocks reads and writes of the table while it waits for its lock",
        "op.drop_index(..., postgresql_concurrently=True) inside "
        "op.get_context().autocommit_block()",
    ),
    "constraint-missing-not-valid": (
        "adding a constraint scans the whole table while writes to it are blocked",
        NOT_VALID_THEN_VALIDATE,
    ),
    "adding-foreign-key-constraint": (
        "adding a foreign key scans the table while writes to both tables are blocked",
        NOT_VALID_THEN_VALIDATE,
    ),
    "adding-not-nullable-field": (
        "SET NOT NULL scans the whole table while reads and writes are blocked",
        "add CHECK (column IS NOT NULL) NOT VALID, VALIDATE it in its own transaction, then "
        "SET NOT NULL (PostgreSQL 12+ trusts the check and skips the scan) and drop the check",
    ),
}


@dataclass(frozen=True)
class Finding:
    """One dangerous operation in one revision."""

    path: Path
    rule: str
    operation: str
    why: str
    safe_way: str

    def report(self) -> str:
        return (
            f"{shown_path(self.path)}: {self.rule}: {self.operation}\n"
            f"  why: {self.why}\n"
            f"  safe way: {self.safe_way} ({LESSON})"
        )


def finding(path: Path, rule: str, operation: str, why: str = "", safe_way: str = "") -> Finding:
    """A finding of ``rule``, explained by ADVICE when it has the rule."""
    known_why, known_safe_way = ADVICE.get(rule, (why, safe_way))
    safe_way = known_safe_way or safe_way or f"see https://squawkhq.com/docs/{rule}"
    return Finding(path, rule, one_line(operation), known_why or why, safe_way)


def one_line(text: str, limit: int = 120) -> str:
    """``text`` on one line, without the spaces of its line breaks inside brackets, cut at
    ``limit`` characters."""
    text = " ".join(text.split())
    text = re.sub(r",? \)", ")", re.sub(r"\( ", "(", text))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def shown_path(path: Path) -> str:
    """``path`` relative to the current directory when it is inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
