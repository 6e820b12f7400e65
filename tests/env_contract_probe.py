"""Drive a baked project's env.py from Python, as application code does; report the outcome.

Run by tests/test_env_contract.py with the baked project's Python, in the project's
directory, with its src/ on the path::

    python env_contract_probe.py PACKAGE SCENARIO DATABASE_URL [REVISION]

Prints one JSON object: what the scenario saw (the database's state after each of its
steps, and the error it raised, if any). ``hold`` first holds the migration lock (on
SQLite, the database's write lock) and prints "held", until its standard input closes.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import sqlite3
import sys
import tempfile
import threading
from collections.abc import Callable
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.util import CommandError
from sqlalchemy import Connection, NullPool, create_engine, inspect, make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

# The blocking drivers the probe reads the database with, whatever the project's driver.
READERS = {"sqlite": "sqlite", "postgresql": "postgresql+psycopg", "mysql": "mysql+pymysql"}
ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "mysql": "mysql+aiomysql",
}

package, scenario, url, *revision = sys.argv[1:]
db = importlib.import_module(f"{package}.db")
commands = importlib.import_module(f"{package}.migration_tools.commands")
lock = importlib.import_module(f"{package}.migration_tools.lock")
is_async = hasattr(db, "create_async_engine")


def state() -> dict[str, Any]:
    """The tables of the database, the revisions in alembic_version, and each table's rows."""
    raw = make_url(url)
    engine = create_engine(raw.set(drivername=READERS[raw.get_backend_name()]), poolclass=NullPool)
    with engine.connect() as connection:
        tables = sorted(inspect(connection).get_table_names())
        rows = {table: connection.scalar(text(f"SELECT count(*) FROM {table}")) for table in tables}
        versions = (
            sorted(connection.scalars(text("SELECT version_num FROM alembic_version")))
            if "alembic_version" in tables
            else []
        )
    engine.dispose()
    return {"tables": tables, "versions": versions, "rows": rows}


def ini_config(connection: object = None) -> Config:
    """The project's alembic.ini (the probe runs in the project's directory)."""
    config = Config("alembic.ini")
    config.attributes["configure_logger"] = False
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade_on(connection: Connection) -> None:
    """What application code runs, directly or through ``AsyncConnection.run_sync``."""
    command.upgrade(ini_config(connection), "head")


def connection() -> dict[str, Any]:
    """A Connection handed in (from ``run_sync`` in async projects), never committed by us."""
    on_a_connection(upgrade_on, owner_rolls_back=False)
    return {"after": state()}


def transaction() -> dict[str, Any]:
    """A Connection handed in inside a transaction, which its owner then rolls back."""
    on_a_connection(upgrade_on, owner_rolls_back=True)
    return {"after": state()}


def transaction_at_head() -> dict[str, Any]:
    """At head, the owner of a transaction writes a row, hands its Connection in (nothing
    to migrate), then rolls back."""
    os.environ["DATABASE_URL"] = url
    command.upgrade(ini_config(), "head")

    def write_then_upgrade(connection: Connection) -> None:
        connection.execute(text("INSERT INTO users (name) VALUES ('written by the owner')"))
        upgrade_on(connection)

    on_a_connection(write_then_upgrade, owner_rolls_back=True)
    return {"after": state()}


def on_a_connection(work: Callable[[Connection], None], *, owner_rolls_back: bool) -> None:
    """Run ``work`` on a new Connection (through ``run_sync`` in async projects); with
    ``owner_rolls_back``, inside a transaction that its owner then rolls back."""
    if is_async:

        async def main() -> None:
            engine = db.create_db_engine(url)
            try:
                async with engine.connect() as async_connection:
                    owners = await async_connection.begin() if owner_rolls_back else None
                    await async_connection.run_sync(work)
                    if owners is not None:
                        await owners.rollback()
            finally:
                await engine.dispose()

        asyncio.run(main())
    else:
        engine = db.create_db_engine(url)
        with engine.connect() as sync_connection:
            owners = sync_connection.begin() if owner_rolls_back else None
            work(sync_connection)
            if owners is not None:
                owners.rollback()
        engine.dispose()


def engine() -> dict[str, Any]:
    """An Engine (an AsyncEngine in async projects) handed in, from code with no event loop."""
    handed_in = db.create_db_engine(url)
    command.upgrade(ini_config(handed_in), "head")
    return {"after": state()}


def async_engine_in_loop() -> dict[str, Any]:
    """An AsyncEngine handed in from a running event loop, then used on that loop."""

    async def main() -> list[str]:
        handed_in = db.create_db_engine(url)
        try:
            command.upgrade(ini_config(handed_in), "head")
            async with handed_in.connect() as async_connection:
                tables: list[str] = await async_connection.run_sync(
                    lambda sync: inspect(sync).get_table_names()
                )
            return sorted(tables)
        finally:
            await handed_in.dispose()

    seen = asyncio.run(main())
    return {"after": state(), "seen_by_the_engine": seen}


def async_connection() -> dict[str, Any]:
    """An AsyncConnection handed in: env.py refuses it."""

    async def main() -> str | None:
        handed_in = db.create_db_engine(url)
        try:
            async with handed_in.connect() as refused:
                try:
                    command.upgrade(ini_config(refused), "head")
                except CommandError as error:
                    return str(error)
                return None
        finally:
            await handed_in.dispose()

    return {"error": asyncio.run(main()), "after": state()}


def wrong_kind() -> dict[str, Any]:
    """Something env.py cannot migrate on, handed in (``revision[0]`` says what): it must
    refuse it, and migrate nothing, not even DATABASE_URL."""
    os.environ["DATABASE_URL"] = url
    raw = make_url(url)
    backend = raw.get_backend_name()
    kinds: dict[str, Callable[[], object]] = {
        # The other kind of engine than the project's: a blocking one in an async project.
        "engine": lambda: (
            create_engine(raw.set(drivername=READERS[backend]))
            if is_async
            else create_async_engine(raw.set(drivername=ASYNC_DRIVERS[backend]))
        ),
        "text": lambda: url,
    }
    try:
        command.upgrade(ini_config(kinds[revision[0]]()), "head")
    except CommandError as error:
        return {"error": str(error), "after": state()}
    return {"error": None, "after": state()}


def async_engine_connect_args() -> dict[str, Any]:
    """An AsyncEngine handed in with connect_args: the migrations' connection has them."""
    backend = make_url(url).get_backend_name()
    if backend == "postgresql":
        connect_args: dict[str, Any] = {"server_settings": {"application_name": "probe-app"}}
        show = "SELECT current_setting('application_name')"
    else:
        connect_args = {"init_command": "SET @probe_app = 'probe-app'"}
        show = "SELECT @probe_app"
    seen: list[str] = []
    handed_in = db.create_async_engine(db.settings.database_url(url), connect_args=connect_args)
    config = ini_config(handed_in)
    config.attributes["on_version_apply"] = lambda *, ctx, **_: seen.append(
        ctx.connection.exec_driver_sql(show).scalar()
    )
    command.upgrade(config, "head")
    return {"seen": seen, "after": state()}


def without_alembic_ini() -> dict[str, Any]:
    """commands.upgrade() and downgrade("base") where no alembic.ini is, on DATABASE_URL."""
    os.environ["DATABASE_URL"] = url
    os.chdir(tempfile.mkdtemp())
    assert not os.path.exists("alembic.ini")
    commands.upgrade()
    upgraded = state()
    commands.downgrade("base")
    return {"after_upgrade": upgraded, "after_downgrade": state()}


def unreachable() -> dict[str, Any]:
    """``upgrade head`` ten times on a database that cannot be reached: the messages, and
    what went wrong in other threads (reported by the end of the run, which waits for them)."""
    os.environ["DATABASE_URL"] = url
    thread_errors: list[str] = []
    threading.excepthook = lambda args: thread_errors.append(repr(args.exc_value))
    messages = set()
    for _ in range(10):
        try:
            command.upgrade(ini_config(), "head")
        except CommandError as error:
            messages.add(str(error))
    for thread in threading.enumerate():
        if thread is not threading.current_thread():
            thread.join(timeout=10)
    return {"messages": sorted(messages), "thread_errors": thread_errors}


def failed_migration() -> dict[str, Any]:
    """``upgrade REVISION``, then ``upgrade head`` through a revision that fails halfway."""
    os.environ["DATABASE_URL"] = url
    command.upgrade(ini_config(), revision[0])
    try:
        command.upgrade(ini_config(), "head")
    except Exception as error:  # noqa: BLE001 - the revision's own error, reported
        return {"error": f"{type(error).__name__}: {error}", "after": state()}
    return {"error": None, "after": state()}


def in_running_loop() -> dict[str, Any]:
    """command.upgrade and downgrade called from a running event loop, on DATABASE_URL."""
    os.environ["DATABASE_URL"] = url

    async def main() -> dict[str, Any]:
        command.upgrade(ini_config(), "head")
        upgraded = state()
        command.downgrade(ini_config(), "base")
        return {"after_upgrade": upgraded, "after_downgrade": state()}

    return asyncio.run(main())


def hold() -> dict[str, Any]:
    """Hold what a migrating deploy holds until standard input closes; then the state."""
    raw = make_url(url)
    backend = raw.get_backend_name()
    if backend == "sqlite":
        holder = sqlite3.connect(str(raw.database), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
    else:
        name = lock.lock_name(raw.database)
        engine = create_engine(raw.set(drivername=READERS[backend]), isolation_level="AUTOCOMMIT")
        holder = engine.connect()
        if backend == "postgresql":
            holder.execute(text("SELECT pg_advisory_lock(:key)"), {"key": lock.advisory_key(name)})
        else:
            assert holder.scalar(text("SELECT GET_LOCK(:name, 0)"), {"name": name}) == 1
    print("held", flush=True)
    sys.stdin.read()
    holder.close()
    return {"after": state()}


SCENARIOS: dict[str, Callable[[], dict[str, Any]]] = {
    "state": state,
    "connection": connection,
    "transaction": transaction,
    "transaction_at_head": transaction_at_head,
    "engine": engine,
    "async_engine_in_loop": async_engine_in_loop,
    "async_connection": async_connection,
    "without_alembic_ini": without_alembic_ini,
    "wrong_kind": wrong_kind,
    "async_engine_connect_args": async_engine_connect_args,
    "unreachable": unreachable,
    "failed_migration": failed_migration,
    "in_running_loop": in_running_loop,
    "hold": hold,
}

print(json.dumps(SCENARIOS[scenario]()))
