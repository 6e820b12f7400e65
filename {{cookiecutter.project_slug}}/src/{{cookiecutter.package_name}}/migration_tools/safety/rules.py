"""The safety rules that read a revision's SQL on SQLite, MySQL and MariaDB.

What breaks the release still running during a deploy, on every engine: a column or table
dropped or renamed, a required column it does not fill, a column made NOT NULL, a type
changed under it. On MySQL and MariaDB, rules_mysql.py adds what blocks writes while the
table is copied. (PostgreSQL hands the SQL to squawk, rules_postgresql.py.)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy.types import TypeEngine

from . import type_changes
from .findings import Finding, finding
from .render import Revision, Statement
from .source import column_change
from .sql import ALTER_TABLE, altered_table, canonical, clauses, created_table, split_statements

# What ADD and DROP name in an ALTER TABLE when it is not a column.
NOT_A_COLUMN = (
    r"(?!INDEX\b|KEY\b|UNIQUE\b|FOREIGN\b|PRIMARY\b|CONSTRAINT\b|CHECK\b|PARTITION\b"
    r"|DEFAULT\b|FULLTEXT\b|SPATIAL\b)"
)
DROP_COLUMN = re.compile(rf"^DROP (?:COLUMN )?{NOT_A_COLUMN}")
RENAME_COLUMN = re.compile(
    r"^RENAME (?:COLUMN )?(?!TO\b|AS\b|INDEX\b|KEY\b|CONSTRAINT\b)[\w$]+ TO [\w$]+"
)
CHANGE_COLUMN = re.compile(r"^CHANGE (?:COLUMN )?([\w$]+) ([\w$]+)")
RENAME_TABLE = re.compile(r"^RENAME (?:TO |AS )?(?!INDEX\b|KEY\b|COLUMN\b|CONSTRAINT\b)[\w$.]+$")
ADD_COLUMN = re.compile(rf"^ADD (?:COLUMN )?{NOT_A_COLUMN}")
SET_NOT_NULL = re.compile(r"^ALTER (?:COLUMN )?[\w$]+ SET NOT NULL")
NEW_TYPE = re.compile(
    r"^(?:ALTER (?:COLUMN )?([\w$]+) (?:SET DATA )?TYPE |MODIFY (?:COLUMN )?([\w$]+)|CHANGE )"
)
# A NOT NULL column the rows already there get a value for.
FILLED = re.compile(r"\bDEFAULT\b|\bAUTO_INCREMENT\b|\bGENERATED\b|\bAS \(|\bIDENTITY\b|SERIAL\b")

# Whether a type change leaves the table and its values as they are, by engine.
TYPE_CHANGE_IS_SAFE: dict[str, Callable[[TypeEngine[Any], TypeEngine[Any]], bool]] = {
    "mysql": type_changes.online_on_mysql,
    "sqlite": type_changes.keeps_values_on_sqlite,
    "postgresql": type_changes.rewrites_nothing_on_postgresql,
}


NOT_NULL_ADVICE = {
    "why": (
        "a row with NULL makes the change fail, and every insert of the release still "
        "running that leaves the column out fails from then on"
    ),
    "safe_way": (
        "first release code that always writes the column, fill the NULLs, then make it "
        "NOT NULL, with a waiver that says so"
    ),
}
SQLITE_TYPE_ADVICE = {
    "why": (
        "SQLite converts the values already stored to the new type's affinity, and the "
        "release still running reads them in the new form"
    ),
}


class Parts:
    """A revision's statements, each split and in canonical form, with the tables the
    revision creates (what happens to a table that no one uses yet is no danger)."""

    def __init__(self, revision: Revision) -> None:
        self.revision = revision
        self.statements: list[tuple[Statement, str]] = []
        self.text: dict[str, str] = {}  # each canonical statement as the revision wrote it
        for statement in revision.statements:
            for part in split_statements(statement.sql):
                sql = canonical(part)
                self.statements.append((statement, sql))
                self.text.setdefault(sql, part.strip())
        self.created = {table for _, sql in self.statements if (table := created_table(sql))}

    def existing(self, sql: str) -> bool:
        """Whether ``sql`` changes a table that existed before this revision."""
        table = altered_table(sql)
        return table is not None and table not in self.created

    def finding(self, statement: Statement, rule: str, sql: str, **advice: str) -> Finding:
        operation = self.text.get(sql, sql)
        return finding(self.revision.path, rule, operation, line=statement.line, **advice)


def find_dangers(parts: Parts, database: str) -> Iterator[Finding]:
    """What breaks the running release in a revision: the rules every engine shares."""
    for statement, sql in parts.statements:
        if not parts.existing(sql):
            continue
        if sql.startswith(("DROP TABLE", "TRUNCATE")):
            yield parts.finding(
                statement, "ban-drop-table" if sql.startswith("DROP") else "ban-truncate", sql
            )
        elif sql.startswith("RENAME TABLE"):
            yield parts.finding(statement, "renaming-table", sql)
        match = ALTER_TABLE.match(sql)
        if match:
            for clause in clauses(match[2]):
                yield from clause_dangers(parts, statement, sql, clause, database)


def clause_dangers(
    parts: Parts, statement: Statement, sql: str, clause: str, database: str
) -> Iterator[Finding]:
    if DROP_COLUMN.match(clause):
        yield parts.finding(statement, "ban-drop-column", sql)
    elif RENAME_COLUMN.match(clause) or (
        (change := CHANGE_COLUMN.match(clause)) and change[1] != change[2]
    ):
        yield parts.finding(statement, "renaming-column", sql)
    elif RENAME_TABLE.match(clause):
        yield parts.finding(statement, "renaming-table", sql)
    elif ADD_COLUMN.match(clause):
        if " NOT NULL" in clause and not FILLED.search(clause):
            yield parts.finding(statement, "adding-required-field", sql)
    elif SET_NOT_NULL.match(clause):
        yield parts.finding(statement, "adding-not-nullable-field", sql, **NOT_NULL_ADVICE)
    elif NEW_TYPE.match(clause):
        yield from column_dangers(parts, statement, sql, clause, database)


def column_dangers(
    parts: Parts, statement: Statement, sql: str, clause: str, database: str
) -> Iterator[Finding]:
    """A column changed in place: its type, and on MySQL (where MODIFY restates the whole
    column) its nullability, compared with what the operation says it was."""
    names = NEW_TYPE.match(clause)
    column = (names[1] or names[2] or "") if names else ""
    change = column_change(
        parts.revision.path, parts.revision.script.module, statement.line, column
    )
    if change is None:  # SQL written by hand: what the column was is not known
        yield parts.finding(statement, "changing-column-type", sql)
        return
    if database == "mysql" and change.new_nullable is False and change.old_nullable is not False:
        yield parts.finding(statement, "adding-not-nullable-field", sql, **NOT_NULL_ADVICE)
    if change.new_type is None:
        return
    if change.old_type is None or not TYPE_CHANGE_IS_SAFE[database](
        change.old_type, change.new_type
    ):
        advice = SQLITE_TYPE_ADVICE if database == "sqlite" else {}
        yield parts.finding(statement, "changing-column-type", sql, **advice)
