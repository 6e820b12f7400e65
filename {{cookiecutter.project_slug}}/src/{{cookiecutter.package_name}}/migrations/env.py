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
from typing import Any

from alembic import context
from alembic.operations.ops import MigrationScript
from alembic.runtime.migration import MigrationContext
from alembic.util import CommandError
from sqlalchemy import URL, Connection, Engine
from sqlalchemy.exc import OperationalError

from {{ cookiecutter.package_name }} import models, settings
from {{ cookiecutter.package_name }}.db import create_db_engine
from {{ cookiecutter.package_name }}.migrations.checks import (
    check_models_imported,
    check_revision_ids,
    several_heads_message,
)
from {{ cookiecutter.package_name }}.migrations.lock import MigrationLockTimeout, migration_lock
from {{ cookiecutter.package_name }}.migrations.naming import name_new_revision
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
        process_revision_directives=process_revision_directives,
        **context_options(url.get_backend_name()),
    )
    with context.begin_transaction():
        run_migrations()


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
        process_revision_directives=process_revision_directives,
        **context_options(connection.dialect.name),
    )
    try:
        with (
            migration_lock(connection.engine, settings.migration_lock_timeout()),
            context.begin_transaction(),
        ):
            run_migrations()
    except MigrationLockTimeout as error:
        raise CommandError(str(error)) from None


def run_migrations() -> None:
    """Run the command's migrations; when it fails on several heads, say how to join them."""
    try:
        context.run_migrations()
    except CommandError as error:
        advice = several_heads_message(context.script)
        if advice is None:
            raise
        raise CommandError(f"{advice}\n(Alembic said: {error})") from None


def process_revision_directives(
    migration_context: MigrationContext, revision: Any, directives: list[MigrationScript]
) -> None:
    """Run by ``alembic revision`` and ``alembic check``, before a revision is written.

    A model module that the models package does not import would be missing from the
    comparison, so that is checked first.
    """
    check_models_imported(models)
    name_new_revision(migration_context, revision, directives)


def configured_url() -> URL:
    try:
        return settings.database_url()
    except settings.SettingsError as error:
        raise CommandError(str(error)) from None


def connect(engine: Engine) -> Connection:
    """Connect, or explain why the database cannot be reached and what to check."""
    try:
        return engine.connect()
    except OperationalError as error:
        where = engine.url.render_as_string(hide_password=True)
        if engine.dialect.name == "sqlite":
            question = "Does its directory exist"
        else:
            question = "Is the server running, does the database exist"
        raise CommandError(
            f"Cannot connect to the database at {where}:\n{str(error.orig).strip()}\n"
            f"{question}, and is DATABASE_URL right? (see .env.example)"
        ) from None


# Two branches that each added a revision 0003 leave two files with that id: stop here, before
# Alembic silently picks one of them.
check_revision_ids(context.script)
if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
