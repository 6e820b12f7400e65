"""The database URL, read from the environment (and from a `.env` file, if there is one).

The database URL comes from ``DATABASE_URL``. Passwords belong there, never in a file
tracked by git: copy ``.env.example`` to ``.env`` (git-ignored) and edit it. A password
with special characters must be URL-escaped (``p@ss`` becomes ``p%40ss``).
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

# The migration tooling reads .env and the migration settings the same way.
from {{ cookiecutter.package_name }}.migration_tools.settings import SettingsError, setting
from {{ cookiecutter.package_name }}.migration_tools.url_options import driver_options

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

ASYNC = {{ "True" if cookiecutter.async else "False" }}
"""Whether this project's database layer is async: its URLs name async drivers."""

# A host, or [IPv6 address], with a port or none: what a URL holds before its path.
HOST_AND_PORT = re.compile(r"(\[[^\]]*\]|[^:\[\]]*)(:\d*)?")

# The package to install for each driver module, where the two names differ.
DRIVER_PACKAGES = {
    "psycopg": "psycopg[binary]",
    "psycopg2": "psycopg2-binary",
    "MySQLdb": "mysqlclient",
}


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
    url = parse_database_url(raw or DEFAULT_DATABASE_URL, source="DATABASE_URL")
    problem = database_name_problem(url)
    if problem:  # a migration must never run on a database nobody named
        raise SettingsError(f"DATABASE_URL {problem}")
    return url


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
        url = make_url(escape_query_at_signs(raw) if isinstance(raw, str) else raw)
    except (ArgumentError, ValueError):
        raise SettingsError(
            f"{source} is not a database URL (or its host or port is malformed); expected "
            f"something like {DEFAULT_DATABASE_URL!r} (see .env.example)."
        ) from None
    backend = "postgresql" if url.drivername == "postgres" else url.get_backend_name()
    if "+" not in url.drivername and backend in DRIVERS:
        url = url.set(drivername=f"{backend}+{DRIVERS[backend]}")
    try:
        dialect = url.get_dialect()
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
    if dialect.is_async != ASYNC:
        kind, project = ("an async", "not async") if dialect.is_async else ("a blocking", "async")
        raise SettingsError(
            f"{source} ({url.drivername}://...) names {kind} driver, but this project is "
            f"{project}: write {backend}://... and it uses {DRIVERS.get(backend, 'sqlite3')}."
        )
    try:
        driver_options(url)
    except SettingsError as error:
        raise SettingsError(f"{source}: {error}") from None
    return url


def database_name_problem(url: URL) -> str | None:
    """What is wrong with the database ``url`` names, if anything: none at all (a server then
    picks one itself, and SQLite keeps it in memory), or, on SQLite, a folder or a host."""
    if url.get_backend_name() != "sqlite":
        if not url.database:
            return (
                "names no database (nothing after the host's '/'), so the server would pick "
                "one: add the database's name there (see .env.example)."
            )
        return None
    if url.host:
        return (
            f"has two slashes, so {url.host!r} is read as a host: a SQLite file takes three, "
            f"as in {DEFAULT_DATABASE_URL!r} (four for an absolute path)."
        )
    if not url.database or url.database == ":memory:":
        return (
            "names no SQLite file (the database would live in memory and vanish): name one, "
            f"as in {DEFAULT_DATABASE_URL!r}."
        )
    if url.database.endswith(("/", "\\")) or Path(url.database).is_dir():
        return f"names a folder, {url.database!r}, where a SQLite file belongs."
    return None


def password_needs_escaping(raw: str) -> bool:
    """Whether the user name or password of the URL ``raw`` holds '@', '/', '?' or '#':
    unescaped, the URL falls apart there, and part of the password is taken for the host.

    An '@' after the host (in the query string: an e-mail as application_name, say) is not
    one of them.
    """
    _, _, rest = raw.partition("://")
    if "@" not in rest or rest.startswith("/"):
        return False
    head = re.split(r"[/?#]", rest, maxsplit=1)[0]
    if "@" in head:  # user@host: the user and password end at the last '@' before the path
        return any(char in head.rpartition("@")[0] for char in "@/?#")
    # No '@' before the first '/', '?' or '#': the '@' comes after a host (and port), or
    # the password was cut short there ("app:pa/ss@host", whose "port" is no number).
    return not HOST_AND_PORT.fullmatch(head)


def escape_query_at_signs(raw: str) -> str:
    """``raw`` with each '@' of its query string escaped: SQLAlchemy would otherwise take the
    text before it for a user name (application_name=me@host)."""
    scheme, separator, rest = raw.partition("://")
    head = re.split(r"[/?#]", rest, maxsplit=1)[0]
    start = rest.find("?", len(head))
    if not separator or start < 0:
        return raw
    query = rest[start:].replace("@", "%40")
    return f"{scheme}://{rest[:start]}{query}"


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
