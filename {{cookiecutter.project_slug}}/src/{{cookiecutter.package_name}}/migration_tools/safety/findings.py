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
        'a contract step (phase = "contract": it runs once that code is live, make '
        "db-contract), which needs no waiver",
    ),
    "ban-drop-table": (
        "the release still running during the deploy reads and writes this table: its "
        "queries fail from the moment it is gone",
        "expand/contract: first release code that no longer uses the table, then drop it in "
        'a contract step (phase = "contract": it runs once that code is live, make '
        "db-contract), which needs no waiver",
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
    "table-copy": (
        "the batch operation copies the table into a new one, then drops the old one: what "
        "the running release writes to it meanwhile waits, or is lost",
        "alter the table in place, with op.add_column, op.alter_column and the like, not "
        'batch_alter_table(recreate="always")',
    ),
    "ban-truncate": (
        "the release still running during the deploy loses every row of the table at once",
        "delete rows in a data migration that names them, or keep the table until no "
        "release uses it, then drop it with a waiver that says so",
    ),
    "multiple-ddl-statements": (
        "MySQL commits each schema change at once: if a later one fails, the earlier ones "
        "stay applied, and running the revision again fails on them",
        "one schema change per revision (several changes to one table can be one ALTER "
        "TABLE); or a waiver that says why a half-applied revision is fixed by hand",
    ),
    "lock-timeout-disabled": (
        "a statement that waits for a lock with no limit stalls every query on the table "
        "that arrives after it, for as long as it waits",
        "keep the lock timeout (raise the statement timeout for a long step instead: "
        "timeouts(statement=0))",
    ),
    "backfill-holds-ddl-lock": (
        "the schema change before it in the same transaction holds its lock until the "
        "transaction commits, through the whole backfill",
        "run the backfill in its own transactions: in a later revision, or inside "
        "op.get_context().autocommit_block(), in batches",
    ),
    "adding-serial-column": (
        "every row gets a value from the sequence: the table is rewritten while reads and "
        "writes wait",
        "add the column nullable, fill it in batches from the sequence, then set its "
        "default and NOT NULL",
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
    line: int = 0  # the line of the revision whose call runs the operation (waivers.py)

    def report(self) -> str:
        return (
            f"{shown_path(self.path)}: {self.rule}: {self.operation}\n"
            f"  why: {self.why}\n"
            f"  safe way: {self.safe_way} ({LESSON})"
        )


def finding(
    path: Path, rule: str, operation: str, why: str = "", safe_way: str = "", line: int = 0
) -> Finding:
    """A finding of ``rule``; ``why`` and ``safe_way`` when given, else those of ADVICE."""
    known_why, known_safe_way = ADVICE.get(rule, ("", ""))
    why = why or known_why
    safe_way = safe_way or known_safe_way or f"see https://squawkhq.com/docs/{rule}"
    return Finding(path, rule, one_line(operation), why, safe_way, line)


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
