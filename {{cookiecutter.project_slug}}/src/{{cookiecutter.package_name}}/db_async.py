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

from sqlalchemy import URL
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from {{ cookiecutter.package_name }} import settings
from {{ cookiecutter.package_name }}.sqlite import make_sqlite_transactional


def create_db_engine(url: URL | str | None = None, *, for_migrations: bool = False) -> AsyncEngine:
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
        return create_async_engine(url, pool_pre_ping=True)
    begin = "BEGIN IMMEDIATE" if for_migrations else "BEGIN"
    connect_args = {"timeout": settings.migration_lock_timeout()} if for_migrations else {}
    engine = create_async_engine(url, pool_pre_ping=True, connect_args=connect_args)
    # Events are registered on the blocking engine that the async one drives.
    make_sqlite_transactional(engine.sync_engine, begin)
    return engine


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Async sessions bound to ``engine``.

    Objects stay readable after commit: with ``expire_on_commit=True`` reading an
    attribute would need a query, which async code cannot run implicitly.
    """
    return async_sessionmaker(engine, expire_on_commit=False)
