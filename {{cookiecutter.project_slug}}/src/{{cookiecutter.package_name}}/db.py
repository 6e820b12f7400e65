"""The engine and session factory: how the application talks to its database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import URL, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from {{ cookiecutter.package_name }} import settings


def create_db_engine(url: URL | str | None = None, *, sqlite_begin: str = "BEGIN") -> Engine:
    """Create an engine for ``url``, or for ``DATABASE_URL`` when no URL is given.

    ``sqlite_begin`` is the statement that opens a transaction on SQLite; migrations use
    ``BEGIN IMMEDIATE`` so that two of them never interleave.
    """
    if url is None:
        url = settings.database_url()
    else:
        url = settings.parse_database_url(url, source="the database URL")
    engine = create_engine(url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        make_sqlite_transactional(engine, sqlite_begin)
    return engine


def make_sqlite_transactional(engine: Engine, begin: str) -> None:
    """Make SQLite roll back schema changes too, as PostgreSQL does.

    Python's sqlite3 driver commits CREATE and ALTER statements at once unless a
    transaction was opened by hand, so a migration failing halfway would leave half
    its changes behind. Here SQLAlchemy opens every transaction itself.
    """

    @event.listens_for(engine, "connect")
    def let_sqlalchemy_begin(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def begin_transaction(connection: Any) -> None:
        connection.exec_driver_sql(begin)


def create_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to ``engine``; objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)
