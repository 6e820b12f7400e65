"""Where each test's database comes from.

On SQLite, a temporary file. On a server, a throw-away database created for the test and
dropped after it, on the server of ``TEST_DATABASE_URL``, or else on the project's own
server (``DATABASE_URL``, or the default): the tests never skip for want of a server.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import URL, create_engine
from sqlalchemy.exc import DBAPIError

from {{ cookiecutter.package_name }}.settings import (
    SettingsError,
    database_url,
    parse_database_url,
    setting,
)

# The database to connect to on each server, to create and drop the tests' databases.
ADMIN_DATABASES = {"postgresql": "postgres", "mysql": "mysql", "mariadb": "mysql"}


@contextmanager
def empty_database(
    tmp_path: Path, admin_url: Callable[[URL], URL] = lambda url: url
) -> Iterator[URL]:
    """The URL of an empty database; ``admin_url`` gives a blocking URL to create it with."""
    server_url, _ = server_for_tests()
    if server_url.get_backend_name() == "sqlite":
        yield parse_database_url(f"sqlite:///{tmp_path / 'test.db'}", source="a test")
        return
    name = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url(server_url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {name}")
        yield server_url.set(database=name)
    finally:
        force = " WITH (FORCE)" if admin.dialect.name == "postgresql" else ""
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}{force}")
        admin.dispose()


def require_server_for_tests(admin_url: Callable[[URL], URL] = lambda url: url) -> None:
    """Stop the whole run with one message when the tests' database server is unreachable:
    every test would fail the same way."""
    server_url, variable = server_for_tests()
    if server_url.get_backend_name() == "sqlite":
        return
    admin = create_engine(admin_url(server_url))
    try:
        admin.connect().close()
    except DBAPIError as error:
        where = f"{server_url.host or 'localhost'}:{server_url.port or 'default port'}"
        pytest.exit(
            f"The tests cannot reach the database server at {where} (from {variable}): "
            f"{str(error.orig).strip()}\nStart the server, or set TEST_DATABASE_URL to one "
            "where the tests may create databases (see .env.example).",
            returncode=1,
        )
    finally:
        admin.dispose()


@functools.cache
def server_for_tests() -> tuple[URL, str]:
    """The server the tests create their databases on, and the variable that names it."""
    try:
        test_url = setting("TEST_DATABASE_URL")  # from the environment, or .env
        if test_url:
            url = parse_database_url(test_url, source="TEST_DATABASE_URL")
            variable = "TEST_DATABASE_URL"
        else:
            url, variable = database_url(), "DATABASE_URL"
    except SettingsError as error:
        pytest.exit(str(error), returncode=1)
    backend = url.get_backend_name()
    if backend in ADMIN_DATABASES:
        url = url.set(database=ADMIN_DATABASES[backend])
    return url, variable
