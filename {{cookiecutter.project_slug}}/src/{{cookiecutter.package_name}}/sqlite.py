"""SQLite, made to roll back schema changes too, as PostgreSQL does.

Python's sqlite3 driver (which aiosqlite runs in a thread) commits CREATE and ALTER
statements at once unless a transaction was opened by hand, so a migration failing
halfway would leave half its changes behind. With these two event hooks, SQLAlchemy
opens every transaction itself, and SQLite rolls back everything in it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event

from {{ cookiecutter.package_name }} import settings


def make_sqlite_transactional(engine: Engine, *, for_migrations: bool = False) -> None:
    """Let SQLAlchemy open every transaction of ``engine``.

    For migrations, transactions start with ``BEGIN IMMEDIATE`` and wait up to
    ``MIGRATION_LOCK_TIMEOUT`` for the database file: two migration runs take turns
    instead of interleaving.
    """
    begin = "BEGIN IMMEDIATE" if for_migrations else "BEGIN"
    # Read now, so that a malformed value stops us before the database file is created.
    wait_ms = int(settings.migration_lock_timeout() * 1000) if for_migrations else None

    @event.listens_for(engine, "connect")
    def let_sqlalchemy_begin(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        if wait_ms is not None:
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA busy_timeout = {wait_ms}")
            cursor.close()

    @event.listens_for(engine, "begin")
    def begin_transaction(connection: Any) -> None:
        # A connection handed to the migrations is told so by migrations/lock.py.
        immediate = connection.get_execution_options().get("sqlite_begin_immediate")
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else begin)
