"""The options of a database URL (``?sslmode=require``), in the form each driver takes.

Hosted databases hand out URLs with the options of libpq or of the mysql client:
``?sslmode=require`` for PostgreSQL, ``?ssl-mode=REQUIRED`` for MySQL. Each driver of the
engine (psycopg and asyncpg; PyMySQL and aiomysql) gets them here in its own form, so the
same URL works in a sync project and an async one; an option the driver does not take, or
a value out of range, is refused in one line, before anything connects.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import URL, Engine, event

from .settings import SettingsError

POSTGRESQL_SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
# libpq's options that asyncpg reads from a connection string, as libpq does.
ASYNCPG_LIBPQ_OPTIONS = {
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "sslcrl",
    "sslpassword",
    "ssl_min_protocol_version",
    "ssl_max_protocol_version",
    "target_session_attrs",
    "application_name",
}
# What asyncpg takes besides: SQLAlchemy's cache size (0 behind PgBouncer in transaction mode).
ASYNCPG_OPTIONS = {"prepared_statement_cache_size"}
USUAL_POSTGRESQL = "sslmode, sslrootcert, connect_timeout, application_name"
POSTGRESQL_SSL_FILES = ("sslrootcert", "sslcert", "sslkey", "sslcrl")

MYSQL_SSL_MODES = ("DISABLED", "PREFERRED", "REQUIRED", "VERIFY_CA", "VERIFY_IDENTITY")
# How the mysql client, MySQL Connector and others spell the SSL mode.
MYSQL_SSL_MODE_NAMES = ("ssl_mode", "ssl-mode", "sslmode")
MYSQL_SSL_FILES = ("ssl_ca", "ssl_cert", "ssl_key")
MYSQL_TIMEOUTS = ("connect_timeout", "read_timeout", "write_timeout")
MYSQL_OPTIONS = {"charset", "connect_timeout"}
PYMYSQL_OPTIONS = MYSQL_OPTIONS | {"read_timeout", "write_timeout"}
# The flag of the MySQL protocol by which a server says it can encrypt the connection.
MYSQL_CLIENT_SSL = 2048
USUAL_MYSQL = "ssl-mode, ssl_ca, ssl_cert, ssl_key, charset, connect_timeout"


def driver_options(url: URL) -> tuple[URL, dict[str, Any]]:
    """``url`` with the options its driver takes in the URL, and the connect arguments
    (``create_engine(connect_args=...)``) for those it takes in another form."""
    options: dict[str, str] = {}
    for name, value in url.query.items():
        if not isinstance(value, str):
            raise SettingsError(f"the option {name!r} is given more than once: keep one.")
        options[name] = value
    backend, driver = url.get_backend_name(), url.get_driver_name()
    if backend == "postgresql" and driver in ("psycopg", "psycopg2", "asyncpg"):
        arguments = postgresql_options(options, driver)
    elif backend in ("mysql", "mariadb") and driver in ("pymysql", "aiomysql"):
        arguments = mysql_options(options, driver)
    else:
        return url, {}
    return url.set(query=options), arguments


def postgresql_options(options: dict[str, str], driver: str) -> dict[str, Any]:
    """Take libpq's options out of ``options`` where ``driver`` wants them elsewhere."""
    if "ssl" in options:  # node-postgres's and JDBC's spelling
        value = options.pop("ssl").lower()
        options.setdefault("sslmode", {"true": "require", "false": "disable"}.get(value, value))
    mode = options.get("sslmode")
    if mode is not None and mode not in POSTGRESQL_SSL_MODES:
        raise SettingsError(f"sslmode={mode!r} is not one of {', '.join(POSTGRESQL_SSL_MODES)}.")
    if "connect_timeout" in options:
        seconds(options, "connect_timeout")
    for name in POSTGRESQL_SSL_FILES:
        path = options.get(name)
        if path and path != "system" and not Path(path).is_file():  # system: libpq's own CAs
            raise SettingsError(f"{name} names {path!r}, which is not a file.")
    if driver != "asyncpg":  # libpq reads them all by name
        refuse_unknown(options, libpq_options(), driver, USUAL_POSTGRESQL)
        return {}
    if "channel_binding" in options:
        raise SettingsError(
            "channel_binding is not something asyncpg can do: remove it (sslmode=verify-full "
            "and the server's certificate authenticate the server instead)."
        )
    arguments: dict[str, Any] = {}
    libpq = {name: options.pop(name) for name in list(options) if name in ASYNCPG_LIBPQ_OPTIONS}
    if libpq:  # asyncpg reads them from a connection string beside its other arguments
        arguments["dsn"] = f"postgresql://?{urlencode(libpq)}"
    if "connect_timeout" in options:
        arguments["timeout"] = seconds(options, "connect_timeout")
        del options["connect_timeout"]
    refuse_unknown(options, ASYNCPG_OPTIONS, driver, USUAL_POSTGRESQL)
    return arguments


def libpq_options() -> set[str] | None:
    """The option names libpq takes (psycopg asks it); None when psycopg is not installed,
    which the project says itself when it connects."""
    try:
        from psycopg import pq
    except ImportError:
        return None
    return {option.keyword.decode() for option in pq.Conninfo.get_defaults()}


def mysql_options(options: dict[str, str], driver: str) -> dict[str, Any]:
    """Take the SSL options out of ``options``, into an SSL context both drivers take."""
    given = [name for name in MYSQL_SSL_MODE_NAMES if name in options]
    mode = options.pop(given[0]).upper().replace("-", "_") if given else None
    if mode is not None and mode not in MYSQL_SSL_MODES:
        raise SettingsError(f"{given[0]}={mode!r} is not one of {', '.join(MYSQL_SSL_MODES)}.")
    files: dict[str, str] = {name: options.pop(name) for name in MYSQL_SSL_FILES if name in options}
    refuse_unknown(
        options, PYMYSQL_OPTIONS if driver == "pymysql" else MYSQL_OPTIONS, driver, USUAL_MYSQL
    )
    # Timeouts go as numbers: SQLAlchemy would read "2.5" as a whole number, and fail.
    arguments: dict[str, Any] = {
        name: seconds(options, name) for name in MYSQL_TIMEOUTS if name in options
    }
    for name in arguments:
        del options[name]
    if mode not in (None, "DISABLED", "PREFERRED") or files:
        # Neither driver tries SSL unless asked: PREFERRED connects as DISABLED does.
        arguments["ssl"] = mysql_ssl_context(mode or "VERIFY_IDENTITY", files)
    return arguments


def mysql_ssl_context(mode: str, files: dict[str, str]) -> ssl.SSLContext:
    """The SSL context of ``mode``, as the mysql client reads it: REQUIRED encrypts without
    checking the server's certificate (unless ssl_ca names one), VERIFY_CA checks it
    against ssl_ca or the system's authorities, VERIFY_IDENTITY checks the host name too."""
    try:
        context = ssl.create_default_context(cafile=files.get("ssl_ca"))
        if "ssl_cert" in files:
            context.load_cert_chain(files["ssl_cert"], files.get("ssl_key"))
    except (OSError, ssl.SSLError) as error:
        raise SettingsError(f"the SSL files it names cannot be read: {error}") from None
    if mode == "REQUIRED" and "ssl_ca" not in files:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif mode in ("REQUIRED", "VERIFY_CA"):
        context.check_hostname = False
    return context


def seconds(options: dict[str, str], name: str) -> float:
    """The option ``name`` as a number of seconds."""
    try:
        value = float(options[name])
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise SettingsError(f"{name}={options[name]!r} is not a number of seconds.")
    return value


def refuse_unknown(
    options: dict[str, str], known: set[str] | None, driver: str, usual: str
) -> None:
    unknown = sorted(set(options) - known) if known is not None else []
    if unknown:
        raise SettingsError(
            f"the option {unknown[0]!r} is not one that {driver} takes (the usual ones: {usual})."
        )


def refuse_connections_without_ssl(engine: Engine) -> None:
    """Refuse a connection of ``engine`` that is not encrypted: asked for SSL, aiomysql and
    older PyMySQL go on without it when the server offers none."""

    @event.listens_for(engine, "connect")
    def check_ssl(dbapi_connection: Any, _record: Any) -> None:
        connection = getattr(dbapi_connection, "driver_connection", dbapi_connection)
        if not connection.server_capabilities & MYSQL_CLIENT_SSL:
            raise SettingsError(
                "The database URL asks for SSL, but the server does not offer it: connect to "
                "it over SSL, or remove the URL's SSL options."
            )
