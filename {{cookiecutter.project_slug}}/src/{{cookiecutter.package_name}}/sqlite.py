"""SQLite, made to roll back schema changes too, as PostgreSQL does.

Python's sqlite3 driver (which aiosqlite runs in a thread) commits CREATE and ALTER
statements at once unless a transaction was opened by hand, so a migration failing
halfway would leave half its changes behind. With these two event hooks, SQLAlchemy
opens every transaction itself, and SQLite rolls back everything in it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event

from {{ cookiecutter.package_name }}.migration_tools.settings import SettingsError


def make_sqlite_transactional(engine: Engine) -> None:
    """Let SQLAlchemy open every transaction of ``engine``.

    A migration's transaction starts with ``BEGIN IMMEDIATE`` instead (migration_tools/lock.py
    asks for it), so that two migration runs take turns instead of interleaving.
    """

    @event.listens_for(engine, "connect")
    def let_sqlalchemy_begin(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def begin_transaction(connection: Any) -> None:
        immediate = connection.get_execution_options().get("sqlite_begin_immediate")
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def refuse_a_missing_file(engine: Engine) -> None:
    """Let ``engine`` connect only to a database file that exists.

    SQLite would create an empty file, and the application's first query would find no
    tables in it; the migrations create the file, with its tables.
    """
    database = engine.url.database
    if not database or database == ":memory:" or engine.url.query.get("uri"):
        return

    @event.listens_for(engine, "do_connect")
    def check_the_file_exists(*_: Any) -> None:
        if not Path(database).exists():
            raise SettingsError(
                f"The SQLite database {database} does not exist yet: run `make db-upgrade` "
                "(alembic upgrade head) first, which creates it with its tables."
            )
