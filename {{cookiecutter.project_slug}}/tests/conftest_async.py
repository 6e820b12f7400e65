"""Database fixtures: every test gets a fresh, empty database.

On SQLite, a temporary file. On a server, a throw-away database created for the test and
dropped after it, on the server of ``TEST_DATABASE_URL`` if set (e.g.
``postgresql://postgres@localhost:5432/postgres``), else on the project's own server
(``DATABASE_URL`` or the default): see scratch_databases.py.

Everything runs on the project's async driver, as in production; the migrations run inside
``AsyncConnection.run_sync`` (see migrations/env.py).
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import URL, Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from {{ cookiecutter.package_name }} import models
from {{ cookiecutter.package_name }}.db import create_db_engine
from {{ cookiecutter.package_name }}.migrations.errors import unimported_model_modules

from scratch_databases import empty_database, require_server_for_tests

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Calls a function with a connection to the test's database.
OnDatabase = Callable[[Callable[[Connection], None]], None]

# Taken before any test imports a model module itself: the modules that the models package
# leaves out, whose tables autogenerate would not see (tests/test_models.py).
MODEL_MODULES_LEFT_OUT = unimported_model_modules(models)

# The blocking driver of each database, installed next to its async driver: only to create
# and drop the tests' throw-away databases.
BLOCKING_DRIVERS = {
    "sqlite": "pysqlite",
    "postgresql": "psycopg",
    "mysql": "pymysql",
    "mariadb": "pymysql",
}


def pytest_sessionstart(session: pytest.Session) -> None:
    require_server_for_tests(blocking_url)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Keep Python's garbage collector off the objects that live all run long (the models,
    every module): with a thousand models and revisions, scanning them again and again at
    each full collection took a quarter of the migration checks' time."""
    gc.freeze()


def new_database(directory: Path) -> AbstractContextManager[URL]:
    """An empty database (its URL with the async driver), for as long as the context lasts."""
    return empty_database(directory, blocking_url)


def on_database_at(url: URL) -> OnDatabase:
    """A function that calls another with a connection to the database at ``url``, on the
    async driver: inside ``run_sync``, on an event loop of its own."""

    async def run(function: Callable[[Connection], None]) -> None:
        engine = create_db_engine(url)
        try:
            async with engine.connect() as connection:
                await connection.run_sync(function)
        finally:
            await engine.dispose()

    return lambda function: asyncio.run(run(function))


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[URL]:
    """The URL (async driver) of an empty database that exists for this test only."""
    with new_database(tmp_path) as url:
        yield url


@pytest.fixture
async def async_engine(database_url: URL) -> AsyncIterator[AsyncEngine]:
    """The application's engine, on the test's database and the test's event loop."""
    engine = create_db_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def on_database(database_url: URL) -> OnDatabase:
    """Call a function with a connection to the test's database, on the async driver."""
    return on_database_at(database_url)


def alembic_config_for_tests() -> Config:
    """The project's alembic.ini, with Alembic's logging left to pytest."""
    config = Config(PROJECT_ROOT / "alembic.ini")
    config.attributes["configure_logger"] = False
    return config


@pytest.fixture
def alembic_config() -> Config:
    return alembic_config_for_tests()


@pytest.fixture(scope="session")
def scripts() -> ScriptDirectory:
    """The revision files, read once for the whole run."""
    return ScriptDirectory.from_config(Config(PROJECT_ROOT / "alembic.ini"))


def blocking_url(url: URL) -> URL:
    """``url`` with the blocking driver of the same database."""
    backend = url.get_backend_name()
    return url.set(drivername=f"{backend}+{BLOCKING_DRIVERS[backend]}")
