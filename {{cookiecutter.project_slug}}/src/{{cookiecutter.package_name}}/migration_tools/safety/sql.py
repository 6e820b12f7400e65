"""Reading rendered SQL: a statement in one canonical spelling, and the facts the rules ask
of it (which table an ALTER changes, the clauses it is made of, whether it is DDL)."""

from __future__ import annotations

import re
from collections.abc import Iterator

COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)
# A string literal, kept whole; an identifier quoted with " or `, unquoted.
LITERAL_OR_QUOTED = re.compile(r"'(?:[^']|'')*'|\"([^\"]*)\"|`([^`]*)`")
NAME = r"([\w$.]+)"

ALTER_TABLE = re.compile(rf"^ALTER TABLE (?:ONLY )?(?:IF EXISTS )?{NAME}\s*(.*)$", re.DOTALL)
CREATE_TABLE = re.compile(rf"^CREATE (?:TEMPORARY )?TABLE (?:IF NOT EXISTS )?{NAME}")
CREATE_INDEX = re.compile(
    rf"^CREATE (UNIQUE |FULLTEXT |SPATIAL )?INDEX (CONCURRENTLY )?(?:IF NOT EXISTS )?"
    rf"(?:{NAME} )?ON (?:ONLY )?{NAME}"
)
DROP_TABLE = re.compile(rf"^DROP TABLE (?:IF EXISTS )?{NAME}")
DDL = re.compile(r"^(ALTER|CREATE|DROP|RENAME|TRUNCATE|COMMENT ON)\b")
DML = re.compile(r"^(UPDATE|DELETE|INSERT|MERGE)\b")
SET = re.compile(r"^SET (?:SESSION |LOCAL )?(\w+)\s*(?:=|TO)\s*(.+)$")


def canonical(sql: str) -> str:
    """``sql`` without comments, identifier quotes and a final ``;``, on one line, in
    upper case outside its string literals."""
    sql = COMMENT.sub(" ", sql)
    parts = []
    position = 0
    for match in LITERAL_OR_QUOTED.finditer(sql):
        parts.append(sql[position : match.start()].upper())
        literal = match.group(0)
        parts.append(literal if literal.startswith("'") else (match[1] or match[2] or ""))
        position = match.end()
    parts.append(sql[position:].upper())
    return " ".join("".join(parts).split()).rstrip(";").strip()


def split_statements(sql: str) -> list[str]:
    """The statements of ``sql`` (what one ``op.execute`` was given), split at ``;``
    outside string literals and quotes."""
    single = sql.rstrip().rstrip(";")
    if ";" not in single:  # one statement: most of them
        return [single] if COMMENT.sub("", single).strip() else []
    statements: list[str] = []
    current: list[str] = []
    quote = ""
    for char in sql:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"`":
            quote = char
        elif char == ";":
            statements.append("".join(current))
            current = []
            continue
        current.append(char)
    statements.append("".join(current))
    return [statement for statement in statements if COMMENT.sub("", statement).strip()]


def clauses(actions: str) -> Iterator[str]:
    """The comma-separated clauses of an ALTER TABLE, commas inside brackets and string
    literals kept."""
    depth, quote = 0, False
    current: list[str] = []
    for char in actions:
        if char == "'":
            quote = not quote
        elif not quote and char == "(":
            depth += 1
        elif not quote and char == ")":
            depth -= 1
        elif not quote and char == "," and depth == 0:
            yield "".join(current).strip()
            current = []
            continue
        current.append(char)
    if "".join(current).strip():
        yield "".join(current).strip()


def table_name(name: str) -> str:
    """``users`` for ``public.users`` and ``users``: the rules compare tables by name."""
    return name.rsplit(".", 1)[-1].lower()


def altered_table(statement: str) -> str | None:
    """The table a canonical ALTER TABLE, CREATE INDEX or DROP statement changes."""
    for pattern, group in ((ALTER_TABLE, 1), (CREATE_INDEX, 4), (DROP_TABLE, 1)):
        match = pattern.match(statement)
        if match:
            return table_name(match[group])
    match = re.match(rf"^(?:RENAME TABLE|TRUNCATE(?: TABLE)?|DROP INDEX .* ON) {NAME}", statement)
    return table_name(match[1]) if match else None


def created_table(statement: str) -> str | None:
    match = CREATE_TABLE.match(statement)
    return table_name(match[1]) if match else None


def is_ddl(statement: str) -> bool:
    return bool(DDL.match(statement))


def is_dml(statement: str) -> bool:
    """An UPDATE, DELETE, MERGE, or an INSERT that copies rows (INSERT ... SELECT):
    work that grows with the table. An INSERT of a few given rows is not."""
    if not DML.match(statement):
        return False
    return not statement.startswith("INSERT") or " SELECT " in f" {statement} "


def setting(statement: str) -> tuple[str, str] | None:
    """(name, value) of a SET statement, the value without quotes."""
    match = SET.match(statement)
    return (match[1].lower(), match[2].strip().strip("'")) if match else None
