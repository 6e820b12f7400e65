"""Alembic's environment: run by every ``alembic`` command that needs the database.

It runs in one of three ways:

* offline (``alembic upgrade head --sql``): prints the SQL, no database needed;
* on a connection or engine handed in as ``config.attributes["connection"]``
  (tests and application code);
* on its own async engine, built from ``DATABASE_URL`` (the command line).

Alembic itself is synchronous: the migrations run inside ``AsyncConnection.run_sync``,
which hands them a ``Connection`` whose every statement goes through the async driver.

From async code (an async test, an application migrating at startup), hand in the
``Connection`` that ``run_sync`` gives you, so the migrations run on your connection and
your event loop::

    def upgrade(connection: Connection) -> None:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")

    async with engine.connect() as connection:
        await connection.run_sync(upgrade)

An ``AsyncConnection`` cannot be handed in as it is: only its own event loop can drive it,
and that loop is blocked while a synchronous ``command.upgrade`` runs. An ``AsyncEngine``
can, when no other event loop holds connections of it (a new engine, say): env.py runs
the migrations on an event loop of its own and empties the engine's pool afterwards.
Handing in nothing works everywhere: ``command.upgrade(config, "head")`` called inside a
running event loop migrates ``DATABASE_URL`` from a worker thread, as ``asyncio.run``
cannot start there (alembic issue #1353).

The steps every run shares (options, lock, revision hooks, messages) are in runner.py.

Transactions: a migration run commits what it starts. On PostgreSQL and SQLite the whole
run is one transaction, so a failure leaves the database as it was; MySQL cannot roll
back DDL, so each migration gets its own transaction there. A connection handed in while
already inside a transaction is left for its owner to commit or roll back. On SQLite,
hand in connections of an engine made by ``db.create_db_engine``: its hooks (sqlite.py)
are what let SQLite roll back DDL.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from logging.config import fileConfig
from typing import Any

from alembic import context
from alembic.util import CommandError
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from {{ cookiecutter.package_name }}.db import create_db_engine
from {{ cookiecutter.package_name }}.migrations.checks import check_revision_ids
from {{ cookiecutter.package_name }}.migrations.runner import (
    cannot_connect,
    run_offline,
    run_on,
    settings_in_one_line,
)

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def run_migrations_online() -> None:
    """Run the migrations on what was handed in, or on our own async engine."""
    handed_in = config.attributes.get("connection")
    if isinstance(handed_in, Connection):
        run_on(handed_in)
    elif isinstance(handed_in, Engine):
        with handed_in.connect() as connection:
            run_on(connection)
    elif isinstance(handed_in, AsyncConnection):
        raise CommandError(
            'config.attributes["connection"] is an AsyncConnection, which only its own event '
            "loop can drive: hand in the Connection that `await connection.run_sync(upgrade)` "
            "passes to `upgrade` instead (see the docstring of migrations/env.py)."
        )
    elif isinstance(handed_in, AsyncEngine):
        run_to_completion(run_on_engine(handed_in))
    elif handed_in is not None:
        raise CommandError(
            'config.attributes["connection"] must be a Connection, an Engine or an '
            f"AsyncEngine, not {type(handed_in).__name__}"
        )
    else:
        engine = create_db_engine(for_migrations=True)
        run_to_completion(run_on_engine(engine))


async def run_on_engine(engine: AsyncEngine) -> None:
    """Migrate on a connection of ``engine``, then close every connection it pooled.

    They belong to the event loop running this coroutine, which ends with the migration
    run: left in the pool, they would fail the engine's next user.
    """
    try:
        async with connect(engine) as connection:
            await connection.run_sync(run_on)
    finally:
        await engine.dispose()


def run_to_completion(migration: Coroutine[Any, Any, None]) -> None:
    """Run ``migration`` on an event loop of its own and wait for it to finish.

    ``asyncio.run`` refuses to start while this thread already runs an event loop (an
    async test, an application migrating at startup), so there the migration runs on a
    worker thread, and the caller's loop waits for it as for any blocking call.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(migration)
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="alembic") as worker:
        worker.submit(asyncio.run, migration).result()


@asynccontextmanager
async def connect(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """Connect, or explain in one line why the database cannot be reached.

    Async drivers report an unreachable server as a driver error or as a plain OSError
    (asyncpg: connection refused, unknown host).
    """
    try:
        connection = await engine.connect()
    except (DBAPIError, OSError) as error:
        if engine.dialect.driver == "aiosqlite":
            # aiosqlite cleans up after a failed connect on its own thread, then reports to
            # this event loop: give it a moment, or it finds the loop closed and prints a
            # traceback (aiosqlite issue #241).
            await asyncio.sleep(0.1)
        reason = error.orig if isinstance(error, DBAPIError) else error
        raise cannot_connect(engine.url, reason) from None
    try:
        yield connection
    finally:
        await connection.close()


# Two branches that each added a revision 0003 leave two files with that id: stop here,
# before Alembic silently picks one of them.
check_revision_ids(context.script)
with settings_in_one_line():
    if context.is_offline_mode():
        run_offline()
    else:
        run_migrations_online()
