"""Database fixtures: every test gets a fresh, empty database.

On SQLite, a temporary file. On a server, a throw-away database created for the test and
dropped after it, on the server of ``TEST_DATABASE_URL`` if set (e.g.
``postgresql://postgres@localhost:5432/postgres``), else on the project's own server
(``DATABASE_URL`` or the default): see scratch_databases.py.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import URL, Connection, Engine

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


def pytest_sessionstart(session: pytest.Session) -> None:
    require_server_for_tests()


def pytest_collection_finish(session: pytest.Session) -> None:
    """Keep Python's garbage collector off the objects that live all run long (the models,
    every module): with a thousand models and revisions, scanning them again and again at
    each full collection took a quarter of the migration checks' time."""
    gc.freeze()


def new_database(directory: Path) -> AbstractContextManager[URL]:
    """An empty database, for as long as the context lasts."""
    return empty_database(directory)


def on_database_at(url: URL) -> OnDatabase:
    """A function that calls another with a connection to the database at ``url``."""

    def call(function: Callable[[Connection], None]) -> None:
        engine = create_db_engine(url)
        try:
            with engine.connect() as connection:
                function(connection)
        finally:
            engine.dispose()

    return call


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[URL]:
    """The URL of an empty database that exists for this test only."""
    with new_database(tmp_path) as url:
        yield url


@pytest.fixture
def engine(database_url: URL) -> Iterator[Engine]:
    engine = create_db_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def on_database(database_url: URL) -> OnDatabase:
    """Call a function with a connection to the test's database."""
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
