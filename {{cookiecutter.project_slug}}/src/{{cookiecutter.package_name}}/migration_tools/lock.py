"""A database-wide lock, so that deploys starting at the same moment migrate one at a time.

Each deploy that finds the lock taken waits, then sees the migrations already applied and
does nothing. The lock lives on its own connection and is released when the block ends or
when that connection drops (a crashed deploy never leaves it behind). Only the commands
that move the database's revision take it (upgrade, downgrade, stamp): ``alembic current``
and ``alembic check`` read, and never wait for a deploy or block one.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator
from contextlib import contextmanager

from alembic.runtime.migration import MigrationContext
from alembic.util import CommandError
from sqlalchemy import Connection, column, select, table, text
from sqlalchemy.exc import DBAPIError

from .settings import migration_lock_timeout


@contextmanager
def migration_lock(migration_context: MigrationContext) -> Iterator[None]:
    """Hold the migration lock of the database while the block runs, when the command
    moves its revision.

    PostgreSQL takes an advisory lock, MySQL and MariaDB a named lock, each on a connection
    of its own, waiting up to ``MIGRATION_LOCK_TIMEOUT`` seconds. SQLite lets one writer in
    at a time: the migrations' transaction starts with ``BEGIN IMMEDIATE`` and waits as long
    for the database file.
    """
    migrating = migration_context.connection
    if migrating is None or not moves_revisions(migration_context):
        yield
        return
    engine = migrating.engine
    timeout = migration_lock_timeout()
    if engine.dialect.name == "sqlite":
        with sqlite_writer(migrating, timeout):
            yield
        return
    name = lock_name(engine.url.database)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        acquire(connection, name, timeout)
        if engine.dialect.name != "postgresql" and snapshot_is_stale(migration_context):
            # Another deploy migrated since this transaction began: its snapshot would run
            # their migrations again. End it, so the revision is read afresh; MySQL's first
            # DDL statement would commit it anyway.
            migrating.commit()
        try:
            yield
        finally:
            release(connection, name)


def moves_revisions(migration_context: MigrationContext) -> bool:
    """Whether the command moves the database's revision: upgrade, downgrade and stamp give
    Alembic a destination revision; current, check and autogenerate do not."""
    environment = migration_context.environment_context
    if environment is None:  # a MigrationContext made by hand: assume it migrates
        return True
    try:
        environment.get_revision_argument()
    except KeyError:
        return False
    return True


@contextmanager
def sqlite_writer(migrating: Connection, timeout: float) -> Iterator[None]:
    """Begin the migrations' transaction with ``BEGIN IMMEDIATE`` (the engine's ``begin``
    event reads ``sqlite_begin_immediate``), waiting up to ``timeout`` seconds for another
    writer to finish."""
    was = sqlite_pragma(migrating, "busy_timeout")
    sqlite_pragma(migrating, f"busy_timeout = {math.ceil(timeout * 1000)}")
    migrating.execution_options(sqlite_begin_immediate=True)
    try:
        yield
    finally:
        migrating.execution_options(sqlite_begin_immediate=False)
        sqlite_pragma(migrating, f"busy_timeout = {was}")


def sqlite_pragma(connection: Connection, pragma: str) -> object:
    """Run a PRAGMA on the driver's connection, outside any transaction SQLAlchemy keeps."""
    cursor = connection.connection.cursor()
    try:
        cursor.execute(f"PRAGMA {pragma}")
        row = cursor.fetchone()
    finally:
        cursor.close()
    return row[0] if row else None


def snapshot_is_stale(migration_context: MigrationContext) -> bool:
    """Whether the migrating connection is inside a transaction whose snapshot of the
    version table (MySQL's REPEATABLE READ) is older than the table; a locking read sees
    the latest rows."""
    migrating = migration_context.connection
    if migrating is None or not migrating.in_transaction():
        return False
    versions = table(
        migration_context.version_table,
        column("version_num"),
        schema=migration_context.version_table_schema,
    )
    query = select(versions.c.version_num)
    try:
        seen = migrating.execute(query).all()
        latest = migrating.execute(query.with_for_update(read=True)).all()
    except DBAPIError:  # no version table yet: nothing was migrated before
        return False
    return sorted(seen) != sorted(latest)


def lock_name(database: str | None) -> str:
    """A lock name unique to the database; MySQL's named locks are server-wide."""
    name = f"alembic:{database or ''}"
    return name if len(name) <= 64 else hashlib.sha256(name.encode()).hexdigest()


def advisory_key(name: str) -> int:
    """PostgreSQL's advisory locks take a 64-bit integer key."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def acquire(connection: Connection, name: str, timeout: float) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(
            text("SELECT set_config('lock_timeout', :ms, false)"),
            {"ms": f"{math.ceil(timeout * 1000)}ms"},
        )
        try:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": advisory_key(name)})
        except DBAPIError as error:  # asyncpg reports it as a plain DBAPIError
            if "lock timeout" not in str(error.orig):
                raise
            raise timed_out(name, timeout) from None
        finally:
            connection.execute(text("RESET lock_timeout"))
    else:
        granted = connection.scalar(
            text("SELECT GET_LOCK(:name, :seconds)"),
            {"name": name, "seconds": math.ceil(timeout)},
        )
        if granted != 1:
            raise timed_out(name, timeout)


def release(connection: Connection, name: str) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": advisory_key(name)})
    else:
        connection.execute(text("SELECT RELEASE_LOCK(:name)"), {"name": name})


def timed_out(name: str, timeout: float) -> CommandError:
    return CommandError(
        f"Another process has held the migration lock {name!r} for over {timeout:g} s. "
        "Wait for the other deploy to finish, or raise MIGRATION_LOCK_TIMEOUT."
    )
