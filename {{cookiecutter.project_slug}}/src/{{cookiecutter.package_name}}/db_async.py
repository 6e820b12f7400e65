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
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from {{ cookiecutter.package_name }} import settings
from {{ cookiecutter.package_name }}.migration_tools.settings import (
    SettingsError,
    check_migration_settings,
)
from {{ cookiecutter.package_name }}.sqlite import make_sqlite_transactional


def create_db_engine(
    url: URL | str | None = None, *, for_migrations: bool = False, pool: Pool | None = None
) -> AsyncEngine:
    """Create an engine for ``url``, or for ``DATABASE_URL`` when no URL is given.

    ``for_migrations``: an engine for one migration run, which keeps no connection open
    afterwards. ``pool``: the pool to use (migrations/env.py hands in a copy of an engine's).
    """
    url = settings.database_url(url)
    settings.require_driver(url)
    if for_migrations:
        check_migration_settings()  # a malformed value stops us before we connect
    # A pool handed in keeps its own settings.
    options: dict[str, object] = {"pool": pool} if pool else {"pool_pre_ping": True}
    if for_migrations and not pool:
        options["poolclass"] = NullPool
    try:
        engine = create_async_engine(url, **options)
    except InvalidRequestError:  # a blocking driver, which asyncio cannot use
        backend = url.get_backend_name()
        raise SettingsError(
            f"The database URL ({url.drivername}://...) names a blocking driver, but this "
            f"project is async: write {backend}://... and it uses {settings.DRIVERS[backend]}."
        ) from None
    if engine.dialect.name == "sqlite":
        # Events are registered on the blocking engine that the async one drives.
        make_sqlite_transactional(engine.sync_engine)
    return engine


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Async sessions bound to ``engine``.

    Objects stay readable after commit: with ``expire_on_commit=True`` reading an
    attribute would need a query, which async code cannot run implicitly.
    """
    return async_sessionmaker(engine, expire_on_commit=False)
