"""What a database holds, for the proof that a baseline builds what the old revisions built:
its schema (the migration checks' snapshot: tables, columns, types, nullability, defaults,
indexes, constraints; enum types and sequences on PostgreSQL), the rows of every table,
and what autogenerate cannot see (views, triggers, functions...)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, MetaData, Table, inspect, select

from ..checks.snapshot import SchemaSnapshot, explain, sqlite_meaning, unseen_by_autogenerate

# What is in one database only: the baseline's (True), or the old revisions' (False).
BUILT_BY_ONE = {True: "only in the baseline's database", False: "not built by the baseline"}


@dataclass(frozen=True)
class Picture:
    schema: dict[str, Any]
    rows: dict[str, list[Any]]  # table -> its rows, each a {column: value} dict
    unseen: list[str]

    def as_json(self) -> dict[str, Any]:
        return {"schema": self.schema, "rows": self.rows, "unseen": self.unseen}

    @classmethod
    def from_json(cls, found: dict[str, Any]) -> Picture:
        return cls(found["schema"], found["rows"], found["unseen"])


def picture_of(connection: Connection, version_table: str) -> Picture:
    """The schema, rows and unseen objects of the database of ``connection``, less
    Alembic's ``version_table``, as JSON would give them back (so that a picture read
    from a file compares equal)."""
    snapshot = SchemaSnapshot(connection, read_everything=True, version_table=version_table)
    schema = {key: entry.description for key, entry in snapshot.entries.items()}
    if connection.dialect.name == "sqlite":  # its statements, by what they mean
        schema = sqlite_meaning(schema)
    return Picture(
        plain(schema), plain(rows_of(connection, version_table)), unseen_by_autogenerate(connection)
    )


def rows_of(connection: Connection, version_table: str) -> dict[str, list[Any]]:
    """The rows of every table that has any, less Alembic's version table."""
    metadata = MetaData()
    found: dict[str, list[Any]] = {}
    for name in sorted(set(inspect(connection).get_table_names()) - {version_table}):
        table = Table(name, metadata, autoload_with=connection)
        rows = [dict(row) for row in connection.execute(select(table)).mappings()]
        if rows:
            found[name] = sorted(plain(rows), key=json.dumps)
    return found


def plain(value: Any) -> Any:
    """``value`` as JSON gives it back: tuples as lists, dates and decimals as text."""
    return json.loads(json.dumps(value, default=str, sort_keys=True))


def differences(old: Picture, new: Picture) -> list[str]:
    """How the database the baseline builds (``new``) differs from the one the squashed
    revisions built (``old``), item by item; empty when they are the same."""
    lines = []
    for key in sorted(old.schema.keys() | new.schema.keys()):
        was, now = old.schema.get(key), new.schema.get(key)
        if was == now:
            continue
        if was is None or now is None:
            lines.append(f"table {key}: {BUILT_BY_ONE[was is None]}")
        else:
            lines += explain(key, was, now)
    for table in sorted(old.rows.keys() | new.rows.keys()):
        was_rows = Counter(map(json.dumps, old.rows.get(table, [])))
        now_rows = Counter(map(json.dumps, new.rows.get(table, [])))
        missing, extra = was_rows - now_rows, now_rows - was_rows
        if missing:
            first = sorted(missing)[0]
            lines.append(f"rows of {table}: {missing.total()} {BUILT_BY_ONE[False]} ({first})")
        if extra:
            first = sorted(extra)[0]
            lines.append(f"rows of {table}: {extra.total()} {BUILT_BY_ONE[True]} ({first})")
    for unseen in sorted(set(old.unseen) ^ set(new.unseen)):
        lines.append(f"{unseen}: {BUILT_BY_ONE[unseen in new.unseen]}")
    return lines
