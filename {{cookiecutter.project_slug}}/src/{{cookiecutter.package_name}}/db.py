"""The engine and session factory: how the application talks to its database."""

from __future__ import annotations

from sqlalchemy import URL, Engine, create_engine
from sqlalchemy.orm import Session, sessionmaker

from {{ cookiecutter.package_name }} import settings
from {{ cookiecutter.package_name }}.sqlite import make_sqlite_transactional


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


def create_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to ``engine``; objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)
