"""Database fixtures: every test gets a fresh, empty database.

On SQLite, a temporary file. On a server, a throw-away database created for the test and
dropped after it, on the server of ``TEST_DATABASE_URL`` if set (e.g.
``postgresql://postgres@localhost:5432/postgres``), else on the project's own server
(``DATABASE_URL`` or the default): the tests never skip for want of a server.
"""

from __future__ import annotations

from collections.abc import {{ "AsyncIterator, " if cookiecutter.async }}Iterator
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
{%- if cookiecutter.async %}
from sqlalchemy import URL
from sqlalchemy.ext.asyncio import AsyncEngine
{%- else %}
from sqlalchemy import URL, Engine
{%- endif %}

from {{ cookiecutter.package_name }} import models, settings
from {{ cookiecutter.package_name }}.db import create_db_engine
from {{ cookiecutter.package_name }}.migration_tools import checks
from {{ cookiecutter.package_name }}.migration_tools.config import read_config
from {{ cookiecutter.package_name }}.migration_tools.messages import (
    unimported_model_modules,
)
from {{ cookiecutter.package_name }}.migration_tools.settings import (
    SettingsError,
    setting,
)

from tests.sample_rows import SAMPLE_ROWS

# Taken before any test imports a model module itself: the modules that the models package
# leaves out, whose tables autogenerate would not see (tests/test_models.py).
MODEL_MODULES_LEFT_OUT = unimported_model_modules(models)


@pytest.fixture(scope="session")
def model_modules_left_out() -> list[str]:
    return MODEL_MODULES_LEFT_OUT


@pytest.fixture(scope="session")
def test_server() -> URL:
    """Where the tests make their databases: TEST_DATABASE_URL's server, or DATABASE_URL's
    (a folder of files, on SQLite). An unreachable server, or a driver that is not
    installed, stops the run with one message."""
    try:
        raw = setting("TEST_DATABASE_URL")
        variable = "TEST_DATABASE_URL" if raw else "DATABASE_URL"
        url = settings.parse_database_url(raw, source=variable) if raw else settings.database_url()
        settings.require_driver(url)
    except SettingsError as error:
        pytest.exit(str(error), returncode=1)
    problem = checks.unreachable(url, variable)
    if problem:
        pytest.exit(problem, returncode=1)
    return url


@pytest.fixture
def database_url(test_server: URL, tmp_path: Path) -> Iterator[URL]:
    """The URL of an empty database that exists for this test only."""
    with checks.empty_database(test_server, tmp_path) as url:
        yield url


@pytest.fixture
def on_database(database_url: URL) -> checks.OnDatabase:
    """Call a function with a connection to the test's database{{ " (on the async driver,
    inside run_sync)" if cookiecutter.async }}."""
    return lambda function: checks.with_connection(create_db_engine(database_url), function)

{% if cookiecutter.async %}
@pytest.fixture
async def async_engine(database_url: URL) -> AsyncIterator[AsyncEngine]:
    """The application's engine, on the test's database and the test's event loop."""
    engine = create_db_engine(database_url)
    yield engine
    await engine.dispose()
{%- else %}
@pytest.fixture
def engine(database_url: URL) -> Iterator[Engine]:
    """The application's engine, on the test's database."""
    engine = create_db_engine(database_url)
    yield engine
    engine.dispose()
{%- endif %}


@pytest.fixture
def alembic_config() -> Config:
    """The project's alembic.ini, with Alembic's logging left to pytest."""
    return read_config()


@pytest.fixture(scope="session")
def scripts() -> ScriptDirectory:
    """The revision files, read once for the whole run. One that Alembic cannot read stops
    the run with one message: which file, which line."""
    scripts = ScriptDirectory.from_config(read_config())
    problem = checks.unreadable_revision(scripts)
    if problem:
        pytest.exit(problem, returncode=1)
    return scripts


@pytest.fixture(scope="session")
def checked_database(
    test_server: URL, tmp_path_factory: pytest.TempPathFactory, scripts: ScriptDirectory
) -> Iterator[checks.CheckedDatabase]:
    """Up to head, down to base, up again (migration_tools/checks/runs.py), once per run.
    The tests of test_migrations.py and the previous-release check read the database it
    leaves at head."""
    with checks.empty_database(test_server, tmp_path_factory.mktemp("checked")) as url:
        config = read_config()
        try:
            checks.with_connection(
                create_db_engine(url),
                lambda connection: checks.check_migrations(
                    connection, config, scripts, SAMPLE_ROWS
                ),
            )
        except checks.MigrationCheckFailed as failure:
            yield checks.CheckedDatabase(url, str(failure))
        else:
            yield checks.CheckedDatabase(url, None)
