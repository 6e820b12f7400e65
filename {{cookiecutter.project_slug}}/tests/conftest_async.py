"""Database fixtures: every test gets a fresh, empty database.

By default that is a temporary SQLite file. Set ``TEST_DATABASE_URL`` to a server, e.g.
``postgresql://postgres@localhost:5432/postgres`` or ``mysql://root@localhost:3306/test``,
and each test gets a throw-away database created on it and dropped afterwards.

Two engines reach that database. ``async_engine`` is the application's own, with its async
driver. ``engine`` (and ``connection``) use the blocking driver of the same database
(the standard library's sqlite3, psycopg, PyMySQL): the migration checks step through
revisions and inspect the schema with Alembic's and SQLAlchemy's blocking APIs, and the
revision files run the same whichever driver carries their SQL. env.py is checked on the
async driver in tests/test_env.py and tests/test_env_async.py.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import URL, Connection, Engine, create_engine
from sqlalchemy.ext.asyncio import AsyncEngine

from {{ cookiecutter.package_name }}.db import create_db_engine
from {{ cookiecutter.package_name }}.sqlite import make_sqlite_transactional

from scratch_databases import empty_database

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# The blocking driver of each database, installed next to its async driver.
BLOCKING_DRIVERS = {
    "sqlite": "pysqlite",
    "postgresql": "psycopg",
    "mysql": "pymysql",
    "mariadb": "pymysql",
}


def pytest_collection_finish(session: pytest.Session) -> None:
    """Keep Python's garbage collector off the objects that live all run long.

    Once the tests are collected, the models and every imported module are loaded, and
    they stay until pytest exits. Frozen, they are no longer scanned at each full garbage
    collection: with 1000 models and revisions, that scanning took a quarter of the
    migration checks' time.
    """
    gc.freeze()


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[URL]:
    """The URL (async driver) of an empty database that exists for this test only."""
    with empty_database(tmp_path, blocking_url) as url:
        yield url


@pytest.fixture
async def async_engine(database_url: URL) -> AsyncIterator[AsyncEngine]:
    """The application's engine, on the test's database and the test's event loop."""
    engine = create_db_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def engine(database_url: URL) -> Iterator[Engine]:
    """A blocking engine on the test's database, for the migration checks."""
    engine = create_engine(blocking_url(database_url), pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        make_sqlite_transactional(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as connection:
        yield connection


@pytest.fixture
def alembic_config() -> Config:
    """The project's alembic.ini, with Alembic's logging left to pytest."""
    config = Config(PROJECT_ROOT / "alembic.ini")
    config.attributes["configure_logger"] = False
    return config


@pytest.fixture(scope="session")
def scripts() -> ScriptDirectory:
    """The revision files, read once for the whole run."""
    return ScriptDirectory.from_config(Config(PROJECT_ROOT / "alembic.ini"))


def blocking_url(url: URL) -> URL:
    """``url`` with the blocking driver of the same database."""
    backend = url.get_backend_name()
    return url.set(drivername=f"{backend}+{BLOCKING_DRIVERS[backend]}")
