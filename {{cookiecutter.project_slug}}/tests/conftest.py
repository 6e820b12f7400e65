"""Database fixtures: every test gets a fresh, empty database.

By default that is a temporary SQLite file. Set ``TEST_DATABASE_URL`` to a server, e.g.
``postgresql://postgres@localhost:5432/postgres`` or ``mysql://root@localhost:3306/test``,
and each test gets a throw-away database created on it and dropped afterwards.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import URL, Connection, Engine

from {{ cookiecutter.package_name }}.db import create_db_engine

from scratch_databases import empty_database

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Calls a function with a connection to the test's database.
OnDatabase = Callable[[Callable[[Connection], None]], None]


def pytest_collection_finish(session: pytest.Session) -> None:
    """Keep Python's garbage collector off the objects that live all run long (the models,
    every module): with a thousand models and revisions, scanning them again and again at
    each full collection took a quarter of the migration checks' time."""
    gc.freeze()


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[URL]:
    """The URL of an empty database that exists for this test only."""
    with empty_database(tmp_path) as url:
        yield url


@pytest.fixture
def engine(database_url: URL) -> Iterator[Engine]:
    engine = create_db_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def on_database(engine: Engine) -> OnDatabase:
    """Call a function with a connection to the test's database."""

    def call(function: Callable[[Connection], None]) -> None:
        with engine.connect() as connection:
            function(connection)

    return call


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
