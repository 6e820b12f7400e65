"""A comparable picture of a database schema, cheap enough to take after every revision.

It covers tables, columns (type, nullability, default), primary keys, foreign keys,
indexes, unique and check constraints, and on PostgreSQL enum types and sequences.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, create_engine, inspect
from sqlalchemy.dialects.postgresql.base import PGInspector

Schema = dict[str, Any]


def take_snapshot(connection: Connection) -> Schema:
    """The schema as it is now.

    On SQLite the schema *is* the text of its CREATE statements, one query away; it is
    described in detail only when two snapshots differ (see ``differences``).
    """
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql(
            "SELECT name, type, sql FROM sqlite_master WHERE sql IS NOT NULL"
        )
        return {"sqlite": {name: (kind, sql) for name, kind, sql in rows}}
    return describe(connection)


def differences(before: Schema, after: Schema) -> dict[str, tuple[Any, Any]]:
    """What changed between two snapshots, per object; empty when they match."""
    if before == after:
        return {}
    if "sqlite" in before:
        # The same table can be written down in different words (a table that Alembic
        # copied in batch mode), so compare what the statements mean.
        before, after = replay(before["sqlite"]), replay(after["sqlite"])
    return {
        name: (before.get(name), after.get(name))
        for name in sorted(before.keys() | after.keys())
        if before.get(name) != after.get(name)
    }


def replay(statements: dict[str, tuple[str, str]]) -> Schema:
    """Describe a SQLite schema by running its CREATE statements in a scratch database."""
    engine = create_engine("sqlite://")
    try:
        with engine.connect() as connection:
            ordered = sorted(statements.values(), key=lambda item: item[0] != "table")
            for _kind, sql in ordered:
                connection.exec_driver_sql(sql)
            return describe(connection)
    finally:
        engine.dispose()


def describe(connection: Connection) -> Schema:
    inspector = inspect(connection)
    schema: Schema = {}
    for table in inspector.get_table_names():
        schema[f"table {table}"] = {
            "columns": [
                (column["name"], str(column["type"]), column["nullable"], column["default"])
                for column in inspector.get_columns(table)
            ],
            "primary key": inspector.get_pk_constraint(table),
            "foreign keys": sorted(map(repr, inspector.get_foreign_keys(table))),
            "indexes": sorted(map(repr, inspector.get_indexes(table))),
            "unique constraints": sorted(map(repr, inspector.get_unique_constraints(table))),
            "check constraints": sorted(map(repr, inspector.get_check_constraints(table))),
        }
    if isinstance(inspector, PGInspector):
        schema["enum types"] = sorted(map(repr, inspector.get_enums(schema="*")))
        schema["sequences"] = sorted(inspector.get_sequence_names())
    return schema
