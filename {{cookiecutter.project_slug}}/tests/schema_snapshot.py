"""A comparable picture of a database schema, cheap enough to take after every revision.

It covers tables, columns (type, nullability, default), primary keys, foreign keys,
indexes, unique and check constraints, and on PostgreSQL enum types and sequences.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, MetaData, create_engine, inspect
from sqlalchemy.dialects.postgresql.base import PGInspector

Schema = dict[str, Any]

# SQLite keeps the CREATE statement of every table, index, view and trigger in
# sqlite_master. A snapshot is all of them in one string, from one query: far cheaper
# than a row per statement, and it is taken after every revision. Two control
# characters that SQL text does not contain separate the entries (ASCII 30) and, in
# each entry, the table's name from the statement (ASCII 31).
ENTRY, FIELD = chr(30), chr(31)
SQLITE_SCHEMA = """
    SELECT coalesce(group_concat(tbl_name || char(31) || sql, char(30)), '')
    FROM sqlite_master WHERE sql IS NOT NULL
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
        # Statements can differ in order or in words and still mean the same (a table
        # that Alembic copied in batch mode is written anew, at the end): describe the
        # tables whose statements differ, and compare what they mean.
        old, new = statements_by_table(before["sqlite"]), statements_by_table(after["sqlite"])
        changed = {table for table in old.keys() | new.keys() if old.get(table) != new.get(table)}
        before = replay(sql for table in changed for sql in old.get(table, []))
        after = replay(sql for table in changed for sql in new.get(table, []))
    return {
        name: (before.get(name), after.get(name))
        for name in sorted(before.keys() | after.keys())
        if before.get(name) != after.get(name)
    }


def same_as_models(connection: Connection, metadata: MetaData) -> bool:
    """Whether a SQLite schema holds exactly the statements ``metadata.create_all`` writes.

    A quick yes before Alembic's slower comparison, which reflects every table; False on
    other databases, and whenever the wording differs at all.
    """
    if connection.dialect.name != "sqlite":
        return False
    engine = create_engine("sqlite://")
    try:
        with engine.connect() as scratch:
            metadata.create_all(scratch)
            expected = statements_by_table(take_snapshot(scratch)["sqlite"])
    finally:
        engine.dispose()
    actual = statements_by_table(take_snapshot(connection)["sqlite"])
    actual.pop("alembic_version", None)
    return actual == expected


def statements_by_table(snapshot: str) -> dict[str, list[str]]:
    """The statements of a SQLite snapshot, sorted, under the name of their table."""
    statements: dict[str, list[str]] = {}
    for entry in filter(None, snapshot.split(ENTRY)):
        table, sql = entry.split(FIELD, 1)
        statements.setdefault(table, []).append(sql)
    return {table: sorted(sqls) for table, sqls in statements.items()}


def replay(statements: Iterable[str]) -> Schema:
    """Describe a SQLite schema by running its CREATE statements in a scratch database."""
    engine = create_engine("sqlite://")
    try:
        with engine.connect() as connection:
            for sql in sorted(statements, key=lambda sql: not sql.startswith("CREATE TABLE")):
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
