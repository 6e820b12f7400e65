"""The baseline's upgrade() and downgrade(), written by Alembic's autogenerate.

The tables come from the database the squashed revisions built, reflected, compared with an
empty database (``produce_migrations``) and rendered as ``alembic revision --autogenerate``
renders them (``render_python_code``). Autogenerate writes no rows: the rows that database
holds (seed and reference data) follow as ``op.bulk_insert``, table by table in the order
of their foreign keys.
"""

from __future__ import annotations

import datetime
import decimal
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from alembic.autogenerate import produce_migrations, render_python_code
from alembic.autogenerate.api import AutogenContext
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Connection, MetaData, inspect
from sqlalchemy.dialects.postgresql.base import PGInspector
from sqlalchemy.schema import conv

from ..autogenerate import drop_indexes_with_their_tables
from ..checks.snapshot import AUTOINCREMENT

# The modules that the repr() of a row's values needs.
VALUE_IMPORTS = {
    datetime.date: "import datetime",
    datetime.time: "import datetime",
    datetime.timedelta: "import datetime",
    decimal.Decimal: "from decimal import Decimal",
    uuid.UUID: "from uuid import UUID",
}


SQLITE_TABLES = "SELECT name, sql FROM sqlite_master WHERE type = 'table'"


@dataclass
class Rendered:
    upgrades: str
    downgrades: str
    imports: set[str] = field(default_factory=set)


def reflected(connection: Connection, version_table: str) -> MetaData:
    """The tables of the database of ``connection``, less Alembic's ``version_table``."""
    metadata = MetaData()
    metadata.reflect(connection)
    metadata.remove(metadata.tables[version_table])
    for table in metadata.tables.values():
        # The names as they are: rendered op.f(name), which the naming convention keeps.
        for constraint in table.constraints:
            if isinstance(constraint.name, str):
                constraint.name = conv(constraint.name)
        for index in table.indexes:
            if isinstance(index.name, str):
                index.name = conv(index.name)
    if connection.dialect.name == "sqlite":
        # AUTOINCREMENT, which reflection leaves out (ids are never used twice).
        for name, sql in connection.exec_driver_sql(SQLITE_TABLES):
            if name in metadata.tables and AUTOINCREMENT.search(sql or ""):
                metadata.tables[name].dialect_options["sqlite"]["autoincrement"] = True
    if connection.dialect.name == "postgresql":
        for table in metadata.tables.values():
            for column in table.columns:
                default = column.server_default
                text = str(getattr(default, "arg", ""))
                # A SERIAL column's own sequence: the baseline's SERIAL makes it again.
                if "nextval(" in text and f"{table.name}_{column.name}_seq" in text:
                    column.server_default = None
    return metadata


def render_baseline(old: Connection, empty: Connection, version_table: str) -> Rendered:
    """upgrade() and downgrade() that build on ``empty`` what ``old`` holds."""
    metadata = reflected(old, version_table)
    sqlite = empty.dialect.name == "sqlite"
    context = MigrationContext.configure(
        connection=empty, opts={"compare_type": True, "target_metadata": metadata}
    )
    script = produce_migrations(context, metadata)
    upgrade_ops, downgrade_ops = script.upgrade_ops, script.downgrade_ops
    assert upgrade_ops is not None and downgrade_ops is not None
    drop_indexes_with_their_tables(downgrade_ops)
    contexts: list[AutogenContext] = []

    def remember(_kind: str, _item: Any, autogen_context: AutogenContext) -> Literal[False]:
        contexts.append(autogen_context)  # its imports: what the rendered types need
        return False  # rendered as autogenerate renders it

    def render(operations: Any) -> str:
        return render_python_code(
            operations, render_as_batch=sqlite, render_item=remember, migration_context=context
        )

    rendered = Rendered(render(upgrade_ops), render(downgrade_ops))
    for found in contexts:
        rendered.imports |= set(found.imports)
    rows = rows_code(old, metadata, rendered.imports)
    if rows:
        rendered.upgrades += "\n    # The rows the squashed revisions wrote.\n    " + rows
    if old.dialect.name == "postgresql":
        # Dropping a table leaves its enum types behind.
        inspector = inspect(old)
        assert isinstance(inspector, PGInspector)
        enums = sorted(enum["name"] for enum in inspector.get_enums())
        rendered.downgrades += "".join(f'\n    op.execute("DROP TYPE {name}")' for name in enums)
    return rendered


def column_code(column: Column[Any]) -> str:
    """``sa.column(name, type)``: typed, so that ``--sql`` can write its values."""
    try:
        type_ = f", sa.{column.type.as_generic()!r}"
    except NotImplementedError:  # a type of one database only: its values as they are
        type_ = ""
    return f"sa.column({column.name!r}{type_})"


def rows_code(old: Connection, metadata: MetaData, imports: set[str]) -> str:
    """``op.bulk_insert`` of every row ``old`` holds; on PostgreSQL, each table's serial
    sequence then set past the highest id written, as the inserts that wrote them left it."""
    lines = []
    for table in metadata.sorted_tables:
        rows = [dict(row) for row in old.execute(table.select()).mappings()]
        if not rows:
            continue
        for value in (value for row in rows for value in row.values()):
            imports.update(text for kind, text in VALUE_IMPORTS.items() if isinstance(value, kind))
        columns = ", ".join(column_code(table.columns[name]) for name in rows[0])
        listed = "".join(f"        {row!r},\n" for row in rows)
        lines.append(
            f"op.bulk_insert(\n        sa.table({table.name!r}, {columns}),\n"
            f"        [\n{listed}        ],\n    )"
        )
        if old.dialect.name == "postgresql":
            for column in table.primary_key.columns:
                if column.autoincrement is True or column.identity is not None:
                    lines.append(
                        f"op.execute(\"SELECT setval(pg_get_serial_sequence('{table.name}', "
                        f"'{column.name}'), (SELECT max({column.name}) FROM {table.name}))\")"
                    )
    return "\n    ".join(lines)
