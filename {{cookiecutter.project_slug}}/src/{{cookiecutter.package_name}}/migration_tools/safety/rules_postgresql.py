"""The safety rules for PostgreSQL: squawk, the PostgreSQL migration linter, reads each
revision's SQL (https://squawkhq.com/docs/rules), and a few rules of the project's own add
what squawk does not see.

Each revision's SQL reaches squawk as env.py runs it: inside a transaction, with the
migration timeouts set. .squawk.toml names the rules squawk skips, with the reasons; a
finding that is wrong for the statement at hand (a longer VARCHAR changes the type but
rewrites nothing, an index renamed) is dropped here.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TypedDict

from sqlalchemy import URL

from ..timeouts import configured_timeouts
from .findings import ADVICE, Finding, finding
from .render import Revision, Statement
from .rules import TYPE_CHANGE_IS_SAFE, Parts
from .source import column_change
from .sql import ALTER_TABLE, altered_table, clauses, is_ddl, is_dml, setting

SERIAL_COLUMN = re.compile(
    r"^ADD (?:COLUMN )?(?:IF NOT EXISTS )?[\w$]+ .*(?:SERIAL\b|GENERATED .*AS IDENTITY)"
)
INDEX_RENAME = re.compile(r"^ALTER INDEX ")
# A constraint that cannot be added NOT VALID: it is built on an index.
INDEX_CONSTRAINT = re.compile(r"\b(UNIQUE|PRIMARY KEY|EXCLUDE)\b")
INDEX_CONSTRAINT_SAFE_WAY = {
    "UNIQUE": (
        "build a unique index CONCURRENTLY (in op.get_context().autocommit_block()), then "
        "ADD CONSTRAINT ... UNIQUE USING INDEX, which takes its lock only for a moment"
    ),
    "PRIMARY KEY": (
        "build a unique index CONCURRENTLY on NOT NULL columns (in "
        "op.get_context().autocommit_block()), then ADD CONSTRAINT ... PRIMARY KEY USING INDEX"
    ),
    "EXCLUDE": (
        "an exclusion constraint is always built under a lock that blocks the table: add "
        "it while the table is small or quiet, and say so in a waiver"
    ),
}
LOCK_TIMEOUT_OFF = {"0", "0ms", "0s", "0min"}


class SquawkFinding(TypedDict):
    """One finding of squawk's JSON report; lines count from 0."""

    file: str
    line: int
    line_end: int
    rule_name: str
    message: str
    help: str | None


def find_dangers(revisions: Sequence[Revision]) -> Iterator[Finding]:
    """What squawk and the project's own rules find in each of ``revisions``."""
    yield from squawk_dangers(revisions)
    for revision in revisions:
        yield from own_dangers(revision)


def squawk_dangers(revisions: Sequence[Revision]) -> Iterator[Finding]:
    # What env.py runs first; squawk checks that every migration sets both timeouts.
    postgresql = URL.create("postgresql").get_dialect()()
    preamble = ["BEGIN;", *(f"{line};" for line in configured_timeouts(postgresql))]
    with tempfile.TemporaryDirectory() as folder:
        # Each squawk line: the revision, and the statement at that line (None: the preamble).
        files: dict[str, tuple[Revision, list[Statement | None]]] = {}
        for number, revision in enumerate(revisions):
            lines = list(preamble)
            statement_at: list[Statement | None] = [None] * len(preamble)
            in_transaction = True
            for statement in revision.statements:
                if statement.in_transaction != in_transaction:
                    lines.append("BEGIN;" if statement.in_transaction else "COMMIT;")
                    statement_at.append(None)
                    in_transaction = statement.in_transaction
                sql = statement.sql if statement.sql.rstrip().endswith(";") else f"{statement.sql};"
                for line in sql.splitlines():
                    lines.append(line)
                    statement_at.append(statement)
            if in_transaction:
                lines.append("COMMIT;")
            file = str(Path(folder) / f"{number}.sql")
            Path(file).write_text("\n".join(lines) + "\n")
            files[file] = (revision, [*statement_at, None])
        for found in squawk(list(files)):
            revision, statement_at = files[found["file"]]
            yield from kept(revision, found, statement_at[found["line"]])


def kept(
    revision: Revision, found: SquawkFinding, statement: Statement | None
) -> Iterator[Finding]:
    """squawk's finding, unless it is wrong for this statement; with the right safe way."""
    parts = Parts(revision)
    if statement is None:  # the preamble's own lines
        return
    rule, sql = found["rule_name"], statement.sql
    canonical_sql = next((text for kept, text in parts.statements if kept is statement), sql)
    if rule == "renaming-object" and INDEX_RENAME.match(canonical_sql):
        return  # an index's name is used by no query
    if altered_table(canonical_sql) in parts.created:
        return  # a table of this revision: no one uses it yet
    if rule == "ban-drop-constraint" and readded(canonical_sql, parts):
        return  # what a failed earlier run left, dropped to be added again: no guarantee lost
    if rule in ("changing-column-type", "prefer-text-field"):
        column = re.search(r"ALTER COLUMN ([\w$]+) (?:SET DATA )?TYPE", canonical_sql)
        name = column[1] if column else ""
        change = column_change(revision.path, revision.script.module, statement.line, name)
        safe = TYPE_CHANGE_IS_SAFE["postgresql"]
        old, new = (change.old_type, change.new_type) if change else (None, None)
        if old is not None and new is not None and safe(old, new):
            return
    why, safe_way = ADVICE.get(rule, (found["message"], found["help"] or ""))
    constraint = INDEX_CONSTRAINT.search(canonical_sql)
    if rule == "constraint-missing-not-valid" and constraint:
        safe_way = INDEX_CONSTRAINT_SAFE_WAY[constraint[1]]
    yield finding(revision.path, rule, sql, why, safe_way, statement.line)


def own_dangers(revision: Revision) -> Iterator[Finding]:
    """What squawk does not see: a backfill run under the lock of a schema change, a
    column filled from a sequence, and a lock wait without a limit."""
    parts = Parts(revision)
    locked: str | None = None  # a schema change of this transaction on a table in use
    for statement, sql in parts.statements:
        if not statement.in_transaction:
            locked = None
        value = setting(sql)
        if value and value[0] == "lock_timeout" and value[1].replace(" ", "") in LOCK_TIMEOUT_OFF:
            yield parts.finding(statement, "lock-timeout-disabled", sql)
        if sql.startswith("TRUNCATE") and parts.existing(sql):
            yield parts.finding(statement, "ban-truncate", sql)
        if is_dml(sql) and locked is not None:
            yield parts.finding(
                statement,
                "backfill-holds-ddl-lock",
                sql,
                why=(
                    f"it runs in the transaction of `{parts.text.get(locked, locked)[:60]}`, "
                    "whose ACCESS EXCLUSIVE lock blocks every read and write of the table "
                    "until the backfill commits"
                ),
            )
        if is_ddl(sql) and statement.in_transaction and parts.existing(sql):
            locked = locked or sql
        match = ALTER_TABLE.match(sql)
        serial = match and any(SERIAL_COLUMN.match(clause) for clause in clauses(match[2]))
        if serial and parts.existing(sql):
            yield parts.finding(statement, "adding-serial-column", sql)


def squawk(files: list[str]) -> list[SquawkFinding]:
    """squawk's findings in ``files``, read from its JSON report."""
    executable = shutil.which("squawk", path=str(Path(sys.executable).parent)) or shutil.which(
        "squawk"
    )
    if executable is None:
        raise SystemExit("squawk is not installed: run make install (it is a dev dependency).")
    if not files:
        return []
    result = subprocess.run(
        [executable, "--reporter", "json", *files],
        capture_output=True,
        text=True,
        check=False,
        cwd=project_root(),
    )
    if result.returncode not in (0, 1):
        raise SystemExit(f"squawk failed: {result.stderr.strip()}")
    findings: list[SquawkFinding] = json.loads(result.stdout or "[]")
    return findings


def project_root() -> Path:
    """The directory of pyproject.toml (and .squawk.toml) above this file."""
    here = Path(__file__).resolve()
    return next((folder for folder in here.parents if (folder / "pyproject.toml").exists()), here)


DROP_IF_EXISTS = re.compile(r"^ALTER TABLE (?:ONLY )?(\S+) DROP CONSTRAINT IF EXISTS (\S+)$")


def readded(sql: str, parts: Parts) -> bool:
    """Whether ``sql`` drops a constraint if it exists that the same revision adds again to
    the same table (autogenerate's safe forms do, so that a failed run can be run again)."""
    dropped = DROP_IF_EXISTS.match(sql)
    if dropped is None:
        return False
    table, name = dropped[1], dropped[2]
    adds = re.compile(
        rf"^ALTER TABLE (?:ONLY )?{re.escape(table)} ADD CONSTRAINT {re.escape(name)} "
    )
    return any(adds.match(text) for _, text in parts.statements)
