"""Where each test's database comes from.

A temporary SQLite file by default; with ``TEST_DATABASE_URL`` set, a throw-away database
created on that server for the test and dropped after it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import URL, create_engine

from {{ cookiecutter.package_name }}.settings import DEFAULT_DATABASE_URL, parse_database_url

# Where the tests can create their throw-away databases on a local server.
SERVER_EXAMPLE = DEFAULT_DATABASE_URL.rsplit("/", 1)[0] + (
    "/mysql" if DEFAULT_DATABASE_URL.startswith("mysql") else "/postgres"
)


@contextmanager
def empty_database(
    tmp_path: Path, admin_url: Callable[[URL], URL] = lambda url: url
) -> Iterator[URL]:
    """The URL of an empty database; ``admin_url`` gives a blocking URL to create it with."""
    server = os.environ.get("TEST_DATABASE_URL")
    if server:
        server_url = parse_database_url(server, source="TEST_DATABASE_URL")
        with throwaway_database(server_url, admin_url(server_url)) as url:
            yield url
    elif DEFAULT_DATABASE_URL.startswith("sqlite"):
        yield parse_database_url(f"sqlite:///{tmp_path / 'test.db'}", source="a test")
    else:
        pytest.skip(
            "TEST_DATABASE_URL is not set; point it at a server to run the database tests, "
            f"e.g. TEST_DATABASE_URL={SERVER_EXAMPLE}"
        )


@contextmanager
def throwaway_database(server_url: URL, admin_url: URL) -> Iterator[URL]:
    """Create a database on the server behind ``server_url``; drop it afterwards."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"test_{uuid.uuid4().hex[:12]}"
    force = " WITH (FORCE)" if admin.dialect.name == "postgresql" else ""
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {name}")
        yield server_url.set(database=name)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}{force}")
        admin.dispose()
