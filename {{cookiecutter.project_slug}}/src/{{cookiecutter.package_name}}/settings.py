"""The database URL, read from the environment (and from a `.env` file, if there is one).

The database URL comes from ``DATABASE_URL``. Passwords belong there, never in a file
tracked by git: copy ``.env.example`` to ``.env`` (git-ignored) and edit it. A password
with special characters must be URL-escaped (``p@ss`` becomes ``p%40ss``).
"""

from __future__ import annotations

from sqlalchemy import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

# The migration tooling reads .env and the migration settings the same way.
from {{ cookiecutter.package_name }}.migration_tools.settings import SettingsError, setting

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
