"""Alembic's environment: run by every ``alembic`` command that needs the database.

It runs in one of three ways:

* offline (``alembic upgrade head --sql``): prints the SQL, no database needed;
* on a connection or engine handed in as ``config.attributes["connection"]``
  (tests and application code);
* on its own engine, built from ``DATABASE_URL`` (the command line).

Transactions: a migration run commits what it starts. On PostgreSQL and SQLite the whole
run is one transaction, so a failure leaves the database as it was; MySQL cannot roll
back DDL, so each migration gets its own transaction there. A connection handed in while
already inside a transaction is left for its owner to commit or roll back.
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from alembic.util import CommandError
from sqlalchemy import URL, Connection, Engine
from sqlalchemy.exc import OperationalError

from {{ cookiecutter.package_name }} import settings
from {{ cookiecutter.package_name }}.db import create_db_engine
from {{ cookiecutter.package_name }}.migrations.lock import MigrationLockTimeout, migration_lock
from {{ cookiecutter.package_name }}.migrations.new_revision import prepare_new_revision
from {{ cookiecutter.package_name }}.migrations.options import context_options

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def run_migrations_offline() -> None:
    """Render the migrations as SQL for the configured database, without connecting."""
    url = configured_url()
    context.configure(
        url=url,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        process_revision_directives=prepare_new_revision,
        **context_options(url.get_backend_name()),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations on the handed-in connection or engine, or on our own engine."""
    handed_in = config.attributes.get("connection")
    if isinstance(handed_in, Connection):
        run_on(handed_in)
    elif isinstance(handed_in, Engine):
        with handed_in.connect() as connection:
            run_on(connection)
    else:
        engine = create_db_engine(configured_url(), sqlite_begin="BEGIN IMMEDIATE")
        try:
            with connect(engine) as connection:
                run_on(connection)
        finally:
            engine.dispose()


def run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        process_revision_directives=prepare_new_revision,
        **context_options(connection.dialect.name),
    )
    try:
        with (
            migration_lock(connection.engine, settings.migration_lock_timeout()),
            context.begin_transaction(),
        ):
            context.run_migrations()
    except MigrationLockTimeout as error:
        raise CommandError(str(error)) from None


def configured_url() -> URL:
    try:
        return settings.database_url()
    except settings.SettingsError as error:
        raise CommandError(str(error)) from None


def connect(engine: Engine) -> Connection:
    """Connect, or explain in one line why the database cannot be reached."""
    try:
        return engine.connect()
    except OperationalError as error:
        where = engine.url.render_as_string(hide_password=True)
        raise CommandError(
            f"Cannot connect to the database at {where}: {error.orig}. "
            "Is the server running, and is DATABASE_URL right? (see .env.example)"
        ) from None


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
