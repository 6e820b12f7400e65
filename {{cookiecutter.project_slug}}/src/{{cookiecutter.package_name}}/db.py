"""The engine and session factory: how the application talks to its database."""

from __future__ import annotations

from sqlalchemy import URL, Engine, NullPool, create_engine
from sqlalchemy.orm import Session, sessionmaker

from {{ cookiecutter.package_name }} import settings
from {{ cookiecutter.package_name }}.migration_tools.settings import (
    check_migration_settings,
)
from {{ cookiecutter.package_name }}.sqlite import make_sqlite_transactional


def create_db_engine(url: URL | str | None = None, *, for_migrations: bool = False) -> Engine:
    """Create an engine for ``url``, or for ``DATABASE_URL`` when no URL is given.

    ``for_migrations``: an engine for one migration run, which keeps no connection open
    afterwards.
    """
    url = settings.database_url(url)
    settings.require_driver(url)
    if for_migrations:
        check_migration_settings()  # a malformed value stops us before we connect
    pool = {"poolclass": NullPool} if for_migrations else {}
    engine = create_engine(url, pool_pre_ping=True, **pool)
    if engine.dialect.name == "sqlite":
        make_sqlite_transactional(engine)
    return engine


def create_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to ``engine``; objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)
