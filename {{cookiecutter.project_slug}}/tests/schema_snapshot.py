"""A comparable picture of a database schema, cheap enough to take after every revision.

It covers tables, columns (type, nullability, default), primary keys, foreign keys,
indexes, unique and check constraints, and on PostgreSQL enum types and sequences.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, create_engine, inspect
from sqlalchemy.dialects.postgresql.base import PGInspector

Schema = dict[str, Any]

# SQLite keeps the CREATE statement of every table, index, view and trigger in
# sqlite_master. One query joins them into one string, separated by a control character
# that SQL text does not contain (ASCII 30, "record separator"): fetching one string
# costs far less than fetching one row per statement, and this runs after every revision.
SEPARATOR = chr(30)
SQLITE_SCHEMA = """
    SELECT coalesce(group_concat(sql, char(30)), '')
    FROM (SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type, name)
"""


def take_snapshot(connection: Connection) -> Schema:
    """The schema as it is now.

    On SQLite the schema *is* the text of its CREATE statements, one query away; it is
    described in detail only when two snapshots differ (see ``differences``).
    """
    if connection.dialect.name == "sqlite":
        return {"sqlite": connection.exec_driver_sql(SQLITE_SCHEMA).scalar_one()}
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


def replay(statements: str) -> Schema:
    """Describe a SQLite schema by running its CREATE statements in a scratch database."""
    engine = create_engine("sqlite://")
    try:
        with engine.connect() as connection:
            tables_first = sorted(
                filter(None, statements.split(SEPARATOR)),
                key=lambda sql: not sql.startswith("CREATE TABLE"),
            )
            for sql in tables_first:
                connection.exec_driver_sql(sql)
            return describe(connection)
    finally:
        engine.dispose()


def describe(connection: Connection) -> Schema:
    """Every table in detail, read with one query per kind of object where the
    database allows it (``get_multi_*``), not one per table."""
    inspector = inspect(connection)
    columns = inspector.get_multi_columns()
    primary_keys = inspector.get_multi_pk_constraint()
    foreign_keys = inspector.get_multi_foreign_keys()
    indexes = inspector.get_multi_indexes()
    unique_constraints = inspector.get_multi_unique_constraints()
    check_constraints = inspector.get_multi_check_constraints()
    schema: Schema = {}
    for key, table_columns in columns.items():  # key: (schema name, table name)
        schema[f"table {key[1]}"] = {
            "columns": [
                (column["name"], str(column["type"]), column["nullable"], column["default"])
                for column in table_columns
            ],
            "primary key": primary_keys[key],
            "foreign keys": sorted(map(repr, foreign_keys[key])),
            "indexes": sorted(map(repr, indexes[key])),
            "unique constraints": sorted(map(repr, unique_constraints[key])),
            "check constraints": sorted(map(repr, check_constraints[key])),
        }
    if isinstance(inspector, PGInspector):
        schema["enum types"] = sorted(map(repr, inspector.get_enums(schema="*")))
        schema["sequences"] = sorted(inspector.get_sequence_names())
    return schema
