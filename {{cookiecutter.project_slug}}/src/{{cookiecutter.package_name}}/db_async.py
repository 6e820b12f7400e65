"""The async engine and session factory: how the application talks to its database.

Use them from async code::

    engine = create_db_engine()
    new_session = create_session_factory(engine)
    async with new_session() as session:
        session.add(User(name="Ada"))
        await session.commit()

An engine belongs to the event loop that first uses it: its pooled connections cannot
move to another loop. Create one per loop (one per application, usually), and
``await engine.dispose()`` before that loop ends.
"""

from __future__ import annotations

from sqlalchemy import URL, NullPool, Pool
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

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


def create_db_engine(
    url: URL | str | None = None, *, for_migrations: bool = False, pool: Pool | None = None
) -> AsyncEngine:
    """Create an engine for ``url``, or for ``DATABASE_URL`` when no URL is given.

    ``for_migrations``: an engine for one migration run, which keeps no connection open
    afterwards. On SQLite, the application's engine (no URL given, not for migrations) does
    not create the database file: the migrations do, with its tables. ``pool``: the pool to
    use (migrations/env.py hands in a copy of an engine's).
    """
    from_settings = url is None
    url = settings.database_url(url)
    settings.require_driver(url)
    if for_migrations:
        check_migration_settings()  # a malformed value stops us before we connect
    # Options such as ?sslmode=require, in the form the driver takes (url_options.py).
    url, connect_args = driver_options(url)
    # A pool handed in keeps its own settings.
    options: dict[str, object] = {"pool": pool} if pool else {"pool_pre_ping": True}
    if for_migrations and not pool:
        options["poolclass"] = NullPool
    engine = create_async_engine(url, connect_args=connect_args, **options)
    if "ssl" in connect_args:  # MySQL's drivers may fall back to an unencrypted connection
        refuse_connections_without_ssl(engine.sync_engine)
    if engine.dialect.name == "sqlite":
        # Events are registered on the blocking engine that the async one drives.
        make_sqlite_transactional(engine.sync_engine)
        if from_settings and not for_migrations:
            refuse_a_missing_file(engine.sync_engine)  # the application's: migrated first
    return engine


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Async sessions bound to ``engine``.

    Objects stay readable after commit: with ``expire_on_commit=True`` reading an
    attribute would need a query, which async code cannot run implicitly.
    """
    return async_sessionmaker(engine, expire_on_commit=False)
