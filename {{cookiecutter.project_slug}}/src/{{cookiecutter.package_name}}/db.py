"""The engine and session factory: how the application talks to its database."""

from __future__ import annotations

from sqlalchemy import URL, Engine, create_engine
from sqlalchemy.orm import Session, sessionmaker

from {{ cookiecutter.package_name }} import settings
from {{ cookiecutter.package_name }}.sqlite import make_sqlite_transactional


def create_db_engine(url: URL | str | None = None, *, for_migrations: bool = False) -> Engine:
    """Create an engine for ``url``, or for ``DATABASE_URL`` when no URL is given.

    On SQLite, an engine ``for_migrations`` opens its transactions with ``BEGIN IMMEDIATE``
    and waits up to ``MIGRATION_LOCK_TIMEOUT`` for the database file: two migration runs
    take turns instead of interleaving.
    """
    if url is None:
        url = settings.database_url()
    else:
        url = settings.parse_database_url(url, source="the database URL")
    if url.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    begin = "BEGIN IMMEDIATE" if for_migrations else "BEGIN"
    connect_args = {"timeout": settings.migration_lock_timeout()} if for_migrations else {}
    engine = create_engine(url, pool_pre_ping=True, connect_args=connect_args)
    make_sqlite_transactional(engine, begin)
    return engine


def create_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to ``engine``; objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)
