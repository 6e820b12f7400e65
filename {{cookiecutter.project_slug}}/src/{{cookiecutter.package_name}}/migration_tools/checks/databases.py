"""The tests' throw-away databases, and connections to them on any engine.

On SQLite, a temporary file. On a server, a database created for the test and dropped after
it, through the server's blocking driver (an async project has one installed beside its
async driver), so creating it needs no event loop.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import URL, Connection, Engine, create_engine
from sqlalchemy.exc import DBAPIError

from ..settings import SettingsError
from ..url_options import driver_options

if TYPE_CHECKING:  # imported only by async projects: it needs greenlet
    from sqlalchemy.ext.asyncio import AsyncEngine

T = TypeVar("T")

# Calls a function with a connection to a test's database (the ``on_database`` fixture).
OnDatabase = Callable[[Callable[[Connection], None]], None]

# The blocking driver of each database, and the database to connect to on each server to
# create and drop the tests' databases.
BLOCKING_DRIVERS = {
    "sqlite": "pysqlite",
    "postgresql": "psycopg",
    "mysql": "pymysql",
    "mariadb": "pymysql",
}
ADMIN_DATABASES = {"postgresql": "postgres", "mysql": "mysql", "mariadb": "mysql"}


def server_of(url: URL) -> URL:
    """The administration URL of the server ``url`` is on, with its blocking driver."""
    backend = url.get_backend_name()
    url = url.set(drivername=f"{backend}+{BLOCKING_DRIVERS[backend]}")
    return url.set(database=ADMIN_DATABASES[backend]) if backend in ADMIN_DATABASES else url


def admin_engine(server: URL, **options: Any) -> Engine:
    """An engine on the administration database of ``server``, with its blocking driver."""
    url, connect_args = driver_options(server_of(server))
    return create_engine(url, connect_args=connect_args, **options)


def unreachable(url: URL, variable: str) -> str | None:
    """Why the tests' server at ``url`` (named by ``variable``) cannot be used, if so."""
    if url.get_backend_name() == "sqlite":
        return None
    blocking = server_of(url)
    try:
        blocking.get_dialect().import_dbapi()
        admin = admin_engine(url)
    except ImportError as error:
        return (
            f"The tests create their databases on the server of {variable} with "
            f"{blocking.get_driver_name()}, which is not installed (no module {error.name!r}): "
            "install it, or point TEST_DATABASE_URL at this project's own database engine."
        )
    except SettingsError as error:
        return f"{variable}: {error}"
    try:
        admin.connect().close()
    except DBAPIError as error:
        where = f"{url.host or 'localhost'}:{url.port or 'default port'}"
        return (
            f"The tests cannot reach the database server at {where} (from {variable}): "
            f"{str(error.orig).strip()}\nStart the server, or set TEST_DATABASE_URL to one "
            "where the tests may create databases (see .env.example)."
        )
    finally:
        admin.dispose()
    return None


@contextmanager
def empty_database(server: URL, folder: Path) -> Iterator[URL]:
    """The URL (with ``server``'s driver) of a new, empty database, for as long as the
    context lasts: a SQLite file in ``folder``, or a database on the server."""
    if server.get_backend_name() == "sqlite":
        yield server.set(database=str(folder / "test.db"))
        return
    name = f"test_{uuid.uuid4().hex[:12]}"
    admin = admin_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {name}")
        yield server.set(database=name)
    finally:
        force = " WITH (FORCE)" if admin.dialect.name == "postgresql" else ""
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}{force}")
        admin.dispose()


def with_connection(engine: Engine | AsyncEngine, function: Callable[[Connection], T]) -> T:
    """``function`` called with a connection of ``engine``, which is disposed of afterwards;
    on an async engine, inside ``run_sync`` on an event loop of its own, as the project's
    env.py runs the migrations."""
    if not isinstance(engine, Engine):
        return asyncio.run(with_async_connection(engine, function))
    try:
        with engine.connect() as connection:
            return function(connection)
    finally:
        engine.dispose()


async def with_async_connection(engine: AsyncEngine, function: Callable[[Connection], T]) -> T:
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(function)
    finally:
        await engine.dispose()  # its connections belong to this event loop, which ends here
