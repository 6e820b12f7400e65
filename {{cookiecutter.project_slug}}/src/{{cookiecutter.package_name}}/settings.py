"""Settings read from the environment (and from a `.env` file, if there is one).

The database URL comes from ``DATABASE_URL``. Passwords belong there, never in a file
tracked by git: copy ``.env.example`` to ``.env`` (git-ignored) and edit it. A password
with special characters must be URL-escaped (``p@ss`` becomes ``p%40ss``).
"""

from __future__ import annotations

import functools
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
MAX_MIGRATION_LOCK_TIMEOUT = 86400.0  # a day: every database can wait that long
DEFAULT_MIGRATION_TABLE_LOCK_TIMEOUT = 5.0
"""Seconds one migration statement may wait for a lock on a table or row; 0: no limit."""
DEFAULT_MIGRATION_STATEMENT_TIMEOUT = 300.0
"""Seconds one migration statement may run; 0: no limit."""


class SettingsError(ValueError):
    """A setting is missing or malformed; the message says how to fix it."""


def setting(name: str) -> str | None:
    """A setting from the environment, or else from the .env file of the current directory."""
    read_env_file()
    return os.environ.get(name)


@functools.cache
def read_env_file() -> None:
    """Read .env once into the environment; values already in the environment win."""
    try:
        load_dotenv(find_dotenv(usecwd=True))
    except UnicodeDecodeError:
        raise SettingsError(".env is not UTF-8 text: save it as UTF-8.") from None


def database_url(url: URL | str | None = None) -> URL:
    """``url`` when given, else ``DATABASE_URL`` or the default, with this project's driver."""
    if url is not None:
        return parse_database_url(url, source="the database URL")
    raw = setting("DATABASE_URL")
    if raw is not None and not raw.strip():
        raise SettingsError(
            "DATABASE_URL is set but empty: give it a URL, or unset it to use the default "
            f"({DEFAULT_DATABASE_URL})."
        )
    return parse_database_url(raw or DEFAULT_DATABASE_URL, source="DATABASE_URL")


def parse_database_url(raw: str | URL, *, source: str) -> URL:
    """Parse ``raw`` and pick this project's driver when the URL names none.

    No message quotes ``raw``: it may hold a password.
    """
    if isinstance(raw, str) and password_needs_escaping(raw):
        raise SettingsError(
            f"{source}: its user name or password holds '@', '/', '?' or '#', which must be "
            "URL-escaped (as %40, %2F, %3F, %23)."
        )
    try:
        url = make_url(raw)
    except (ArgumentError, ValueError):
        raise SettingsError(
            f"{source} is not a database URL (or its host or port is malformed); expected "
            f"something like {DEFAULT_DATABASE_URL!r} (see .env.example)."
        ) from None
    backend = "postgresql" if url.drivername == "postgres" else url.get_backend_name()
    if "+" not in url.drivername and backend in DRIVERS:
        url = url.set(drivername=f"{backend}+{DRIVERS[backend]}")
    try:
        url.get_dialect()
    except NoSuchModuleError:
        if backend in DRIVERS:  # a known database, with a driver name SQLAlchemy lacks
            raise SettingsError(
                f"{source} names an unknown driver {url.drivername!r}: write {backend}://... "
                f"and this project uses {DRIVERS[backend]} (or {backend}+{DRIVERS[backend]}://)."
            ) from None
        raise SettingsError(
            f"{source} names an unknown database {url.drivername!r}; "
            "see .env.example for the supported forms."
        ) from None
    return url


def password_needs_escaping(raw: str) -> bool:
    """Whether the user name or password of the URL ``raw`` holds '@', '/', '?' or '#':
    unescaped, the URL falls apart there, and part of the password is taken for the host."""
    _, _, rest = raw.partition("://")
    userinfo, at, _ = rest.rpartition("@")
    return bool(at) and not rest.startswith("/") and any(char in userinfo for char in "@/?#")


def migration_lock_timeout() -> float:
    """Seconds to wait for the migration lock (``MIGRATION_LOCK_TIMEOUT``)."""
    raw, seconds = seconds_setting("MIGRATION_LOCK_TIMEOUT", DEFAULT_MIGRATION_LOCK_TIMEOUT)
    # 0 would mean "wait forever" on PostgreSQL but "do not wait" on MySQL: ask for more.
    if not 0 < seconds <= MAX_MIGRATION_LOCK_TIMEOUT:
        raise SettingsError(
            "MIGRATION_LOCK_TIMEOUT must be a number of seconds above 0 and at most "
            f"{MAX_MIGRATION_LOCK_TIMEOUT:g}, not {raw!r}."
        )
    return seconds


def check_migration_settings() -> None:
    """Refuse a malformed migration setting before a migration run connects."""
    migration_lock_timeout()
    migration_table_lock_timeout()
    migration_statement_timeout()


def migration_table_lock_timeout() -> float:
    """Seconds one migration statement may wait for a lock (``MIGRATION_TABLE_LOCK_TIMEOUT``);
    0 turns the limit off. Meanwhile every query on that table waits behind it."""
    return seconds_or_off("MIGRATION_TABLE_LOCK_TIMEOUT", DEFAULT_MIGRATION_TABLE_LOCK_TIMEOUT)


def migration_statement_timeout() -> float:
    """Seconds one migration statement may run (``MIGRATION_STATEMENT_TIMEOUT``); 0 turns
    the limit off."""
    return seconds_or_off("MIGRATION_STATEMENT_TIMEOUT", DEFAULT_MIGRATION_STATEMENT_TIMEOUT)


def seconds_setting(name: str, default: float) -> tuple[str, float]:
    """The setting ``name`` as written (``default`` when unset), and as a number of seconds
    (NaN when it is not a number: every bound check refuses it)."""
    raw = setting(name) or str(default)
    try:
        return raw, float(raw)
    except ValueError:
        return raw, math.nan


def seconds_or_off(name: str, default: float) -> float:
    """The setting ``name`` in seconds, from 0 (no limit) to a day; ``default`` when unset."""
    raw, seconds = seconds_setting(name, default)
    if not 0 <= seconds <= MAX_MIGRATION_LOCK_TIMEOUT:
        raise SettingsError(
            f"{name} must be a number of seconds from 0 (no limit) to "
            f"{MAX_MIGRATION_LOCK_TIMEOUT:g}, not {raw!r}."
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
