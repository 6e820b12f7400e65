"""Settings read from the environment (and from a `.env` file, if there is one).

The database URL comes from ``DATABASE_URL``. Passwords belong there, never in a file
tracked by git: copy ``.env.example`` to ``.env`` (git-ignored) and edit it. A password
with special characters must be URL-escaped (``p@ss`` becomes ``p%40ss``).
"""

from __future__ import annotations

import math
import os

from dotenv import find_dotenv, load_dotenv
from sqlalchemy import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

DEFAULT_DATABASE_URL = "{{ cookiecutter.__default_database_url }}"
"""Used when ``DATABASE_URL`` is not set. {{ cookiecutter.__default_database_note }}"""

# The driver used when a URL names only the database ("postgresql://..."), so URLs
# copied from a hosting dashboard work as they are.
{%- if cookiecutter.async %}
DRIVERS = {
    "sqlite": "aiosqlite",
    "postgresql": "asyncpg",
    "mysql": "aiomysql",
    "mariadb": "aiomysql",
}
{%- else %}
DRIVERS = {"postgresql": "psycopg", "mysql": "pymysql", "mariadb": "pymysql"}
{%- endif %}

# The package to install for each driver module, where the two names differ.
DRIVER_PACKAGES = {
    "psycopg": "psycopg[binary]",
    "psycopg2": "psycopg2-binary",
    "MySQLdb": "mysqlclient",
}

DEFAULT_MIGRATION_LOCK_TIMEOUT = 60.0
"""Seconds a deploy waits for another deploy that is migrating the same database."""

# The .env of the directory the command runs in; values already in the environment win.
load_dotenv(find_dotenv(usecwd=True))


class SettingsError(ValueError):
    """A setting is missing or malformed; the message says how to fix it."""


def database_url(url: URL | str | None = None) -> URL:
    """``url`` when given, else ``DATABASE_URL`` or the default, with this project's driver."""
    if url is not None:
        return parse_database_url(url, source="the database URL")
    return parse_database_url(
        os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL, source="DATABASE_URL"
    )


def parse_database_url(raw: str | URL, *, source: str) -> URL:
    """Parse ``raw`` and pick this project's driver when the URL names none."""
    try:
        url = make_url(raw)
    except ArgumentError:
        raise SettingsError(
            f"{source} is not a database URL; expected something like "
            f"{DEFAULT_DATABASE_URL!r} (see .env.example)."
        ) from None
    backend = "postgresql" if url.drivername == "postgres" else url.get_backend_name()
    if "+" not in url.drivername and backend in DRIVERS:
        url = url.set(drivername=f"{backend}+{DRIVERS[backend]}")
    try:
        url.get_dialect()
    except NoSuchModuleError:
        raise SettingsError(
            f"{source} names an unknown database {url.drivername!r}; "
            "see .env.example for the supported forms."
        ) from None
    return url


def migration_lock_timeout() -> float:
    """Seconds to wait for the migration lock (``MIGRATION_LOCK_TIMEOUT``)."""
    raw = os.environ.get("MIGRATION_LOCK_TIMEOUT") or str(DEFAULT_MIGRATION_LOCK_TIMEOUT)
    try:
        seconds = float(raw)
    except ValueError:
        seconds = math.nan
    # 0 would mean "wait forever" on PostgreSQL but "do not wait" on MySQL: ask for more.
    if not 0 < seconds < math.inf:
        raise SettingsError(
            f"MIGRATION_LOCK_TIMEOUT must be a number of seconds above 0, not {raw!r}."
        )
    return seconds


def require_driver(url: URL) -> None:
    """Stop with what to install when the driver ``url`` names is missing."""
    try:
        url.get_dialect().import_dbapi()
    except ImportError as error:
        module = error.name or url.get_driver_name()
        package = DRIVER_PACKAGES.get(module, module)
        raise SettingsError(
            f"The database URL ({url.drivername}://...) needs the {module!r} module, which is "
            f"not installed: add {package!r} to this project's dependencies and install it."
        ) from None
