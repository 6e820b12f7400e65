"""The engine and session factory: how the application talks to its database."""

from __future__ import annotations

from sqlalchemy import URL, Engine, NullPool, create_engine
from sqlalchemy.orm import Session, sessionmaker

from {{ cookiecutter.package_name }} import settings
from {{ cookiecutter.package_name }}.migration_tools.settings import (
    check_migration_settings,
)
from {{ cookiecutter.package_name }}.migration_tools.url_options import (
    driver_options,
    refuse_connections_without_ssl,
)
from {{ cookiecutter.package_name }}.sqlite import (
    make_sqlite_transactional,
    refuse_a_missing_file,
)


def create_db_engine(url: URL | str | None = None, *, for_migrations: bool = False) -> Engine:
    """Create an engine for ``url``, or for ``DATABASE_URL`` when no URL is given.

    ``for_migrations``: an engine for one migration run, which keeps no connection open
    afterwards. On SQLite, the application's engine (no URL given, not for migrations) does
    not create the database file: the migrations do, with its tables.
    """
    from_settings = url is None
    url = settings.database_url(url)
    settings.require_driver(url)
    if for_migrations:
        check_migration_settings()  # a malformed value stops us before we connect
    pool = {"poolclass": NullPool} if for_migrations else {}
    # Options such as ?sslmode=require, in the form the driver takes (url_options.py).
    url, connect_args = driver_options(url)
    engine = create_engine(url, pool_pre_ping=True, connect_args=connect_args, **pool)
    if "ssl" in connect_args:  # MySQL's drivers may fall back to an unencrypted connection
        refuse_connections_without_ssl(engine)
    if engine.dialect.name == "sqlite":
        make_sqlite_transactional(engine)
        if from_settings and not for_migrations:
            refuse_a_missing_file(engine)  # the application's database: migrated first
    return engine


def create_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to ``engine``; objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)
