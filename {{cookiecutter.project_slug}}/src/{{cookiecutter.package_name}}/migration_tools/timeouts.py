"""Lock and statement timeouts, so that a migration on a busy database fails fast instead
of stalling it.

A statement queued for a lock (an ALTER TABLE behind a long transaction) makes every query
on that table queue behind it; a statement that runs for long holds its locks as long.
env.py sets both limits for every run (``MIGRATION_TABLE_LOCK_TIMEOUT`` and
``MIGRATION_STATEMENT_TIMEOUT``, settings.py); a revision with a long step of its own
changes them for that step with ``timeouts(...)``. docs/migrations.md, "Migrations on a
live database", says when.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager

from alembic import op
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Dialect

from . import settings
from .lock import moves_revisions

# MySQL's lock_wait_timeout cannot be 0: its maximum (a year) stands for "no limit".
MYSQL_MAX_LOCK_WAIT = 31536000


def timeout_statements(dialect: Dialect, *, table_lock: float, statement: float) -> list[str]:
    """The SET statements that give a session of ``dialect`` these limits, in seconds (0: none)."""
    if dialect.name == "postgresql":
        return [
            f"SET lock_timeout = '{math.ceil(table_lock * 1000)}ms'",
            f"SET statement_timeout = '{math.ceil(statement * 1000)}ms'",
        ]
    if dialect.name in ("mysql", "mariadb"):
        lock_wait = max(1, math.ceil(table_lock)) if table_lock else MYSQL_MAX_LOCK_WAIT
        statements = [
            f"SET SESSION lock_wait_timeout = {lock_wait}",  # table locks (ALTER TABLE)
            f"SET SESSION innodb_lock_wait_timeout = {lock_wait}",  # row locks (UPDATE)
        ]
        # MariaDB bounds every statement; MySQL's max_execution_time bounds SELECTs only,
        # so on MySQL a migration statement has no time limit.
        if is_mariadb(dialect):
            statements.append(f"SET SESSION max_statement_time = {statement:g}")
        return statements
    return []  # SQLite has neither; lock.py bounds its wait for the database file


def configured_timeouts(dialect: Dialect) -> list[str]:
    """The SET statements of the limits settings.py reads from the environment."""
    return timeout_statements(
        dialect,
        table_lock=settings.migration_table_lock_timeout(),
        statement=settings.migration_statement_timeout(),
    )


@contextmanager
def session_timeouts(migration_context: MigrationContext) -> Iterator[None]:
    """Set the configured limits on the migrating connection for the block, then put back
    its own; only for the commands that migrate (``alembic current`` only reads).

    The SETs are session-wide (not ``SET LOCAL``), so they hold across the commits of an
    ``autocommit_block()``. Run outside the migrations' transaction, they are committed at
    once (unless the caller handed ``connection`` in inside a transaction of its own), and
    the old values are put back after that transaction ended: a pooled connection goes
    back to the application as it came.
    """
    connection = migration_context.connection
    if connection is None or not moves_revisions(migration_context):
        yield
        return
    statements = configured_timeouts(connection.dialect)  # read on SQLite too: a typo fails
    if not statements:
        yield
        return
    callers_transaction = connection.in_transaction()
    previous = current_timeouts(connection)
    run(connection, statements, commit=not callers_transaction)
    try:
        yield
    except BaseException:
        # No SQL on a lost connection, nor in a PostgreSQL transaction a failure aborted
        # (that would hide the real error); its owner's rollback takes the SETs back.
        postgresql = connection.dialect.name == "postgresql"
        if not connection.invalidated and not (postgresql and connection.in_transaction()):
            run(connection, previous, commit=not callers_transaction)
        raise
    run(connection, previous, commit=not callers_transaction)


def current_timeouts(connection: Connection) -> list[str]:
    """The SET statements that put ``connection``'s limits back as they are now."""
    if connection.dialect.name == "postgresql":
        query = "SELECT current_setting('lock_timeout'), current_setting('statement_timeout')"
        lock, statement = connection.exec_driver_sql(query).one()
        return [f"SET lock_timeout = '{lock}'", f"SET statement_timeout = '{statement}'"]
    names = ["lock_wait_timeout", "innodb_lock_wait_timeout"]
    if is_mariadb(connection.dialect):
        names.append("max_statement_time")
    query = "SELECT " + ", ".join(f"@@SESSION.{name}" for name in names)
    values = connection.exec_driver_sql(query).one()
    return [f"SET SESSION {name} = {value}" for name, value in zip(names, values, strict=True)]


def run(connection: Connection, statements: list[str], *, commit: bool) -> None:
    for statement in statements:
        connection.exec_driver_sql(statement)
    if commit:
        connection.commit()


@contextmanager
def timeouts(*, table_lock: float | None = None, statement: float | None = None) -> Iterator[None]:
    """Change this migration's limits for the block, in seconds: None keeps the configured
    one, 0 turns it off. For a revision's long step (a backfill, an index built
    concurrently)::

        with timeouts(statement=0):  # the backfill reads every row: let it take its time
            op.execute(...)

    The SETs go through ``op.execute``, so ``--sql`` shows them. The configured limits come
    back after the block; not after a failure, when no more SQL may run.
    """
    for seconds in (table_lock, statement):
        if seconds is not None and not 0 <= seconds <= settings.MAX_TIMEOUT:
            raise ValueError(f"timeouts() takes seconds from 0 (no limit) to a day, not {seconds}")
    dialect = op.get_context().dialect
    configured = configured_timeouts(dialect)
    wanted = timeout_statements(
        dialect,
        table_lock=settings.migration_table_lock_timeout() if table_lock is None else table_lock,
        statement=settings.migration_statement_timeout() if statement is None else statement,
    )
    for line in wanted:
        if line not in configured:
            op.execute(line)
    yield
    for line in configured:
        if line not in wanted:
            op.execute(line)


def is_mariadb(dialect: Dialect) -> bool:
    """MariaDB, known from a ``mariadb://`` URL, or online from the server's version; a
    ``mysql://`` URL offline renders what both servers accept."""
    return bool(getattr(dialect, "is_mariadb", False))
