"""Which column type changes each database makes without copying or rewriting the table.

- PostgreSQL rewrites nothing for a longer VARCHAR, VARCHAR to TEXT, or a NUMERIC with more
  digits and the same scale (https://www.postgresql.org/docs/current/sql-altertable.html).
- MySQL 8 and MariaDB change a VARCHAR in place when it grows within the same number of
  length bytes (up to 255 bytes, or above), and append an ENUM member instantly; every
  other type change copies the table (the online DDL tables of both manuals).
- SQLite enforces no length; batch mode copies each value cast to the new type, which
  changes it when the type's affinity changes, or when a date stored as text is cast to
  another type (https://www.sqlite.org/datatype3.html).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Date, DateTime, Enum, Numeric, String, Text, Time
from sqlalchemy.dialects import sqlite
from sqlalchemy.types import TypeEngine

# utf8mb4, the default character set of MySQL 8 and MariaDB 10.6+: up to 4 bytes a character.
MYSQL_BYTES_PER_CHARACTER = 4


def varchar(type_: TypeEngine[Any]) -> String | None:
    """``type_`` when it is a VARCHAR (a String that is not TEXT nor an ENUM)."""
    if isinstance(type_, String) and not isinstance(type_, Text | Enum):
        return type_
    return None


def rewrites_nothing_on_postgresql(old: TypeEngine[Any], new: TypeEngine[Any]) -> bool:
    old_varchar = varchar(old)
    if old_varchar is not None and (varchar(new) is not None or isinstance(new, Text)):
        new_length = new.length if isinstance(new, String) else None
        if new_length is None or isinstance(new, Text):
            return True
        return old_varchar.length is not None and new_length >= old_varchar.length
    if isinstance(old, Numeric) and type(new) is type(old):
        assert isinstance(new, Numeric)
        if old.precision is None:
            return new.precision is None
        if new.precision is None:
            return new.scale is None
        return new.precision >= old.precision and new.scale == old.scale
    return False


def online_on_mysql(old: TypeEngine[Any], new: TypeEngine[Any]) -> bool:
    if isinstance(old, Enum) and isinstance(new, Enum):
        old_members, new_members = list(old.enums), list(new.enums)
        return new_members[: len(old_members)] == old_members and len(new_members) <= 255
    old_varchar, new_varchar = varchar(old), varchar(new)
    if old_varchar and new_varchar and old_varchar.length and new_varchar.length:
        old_bytes = old_varchar.length * MYSQL_BYTES_PER_CHARACTER
        new_bytes = new_varchar.length * MYSQL_BYTES_PER_CHARACTER
        return new_bytes >= old_bytes and (old_bytes > 255 or new_bytes <= 255)
    return False


def keeps_values_on_sqlite(old: TypeEngine[Any], new: TypeEngine[Any]) -> bool:
    """Batch mode copies each value with CAST(value AS new type): a date kept as text
    becomes a number under NUMERIC affinity, an integer becomes text or a float."""
    moments = (Date, DateTime, Time)
    if isinstance(old, moments) or isinstance(new, moments):
        return type(old) is type(new)
    return affinity(old) == affinity(new) or (affinity(old), affinity(new)) == (
        "INTEGER",
        "NUMERIC",
    )


def affinity(type_: TypeEngine[Any]) -> str:
    """SQLite's affinity of a column of ``type_`` (its rules, in their order)."""
    name = type_.compile(dialect=sqlite.dialect()).upper()
    if "INT" in name:
        return "INTEGER"
    if any(word in name for word in ("CHAR", "CLOB", "TEXT")):
        return "TEXT"
    if "BLOB" in name or not name:
        return "BLOB"
    if any(word in name for word in ("REAL", "FLOA", "DOUB")):
        return "REAL"
    return "NUMERIC"
