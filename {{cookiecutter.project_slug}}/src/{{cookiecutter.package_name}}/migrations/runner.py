"""The steps of a migration run that env.py (sync or async) takes the same way every time.

Called from env.py while Alembic runs it: ``context`` then refers to the running command.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from alembic import context
from alembic.operations.ops import MigrationScript
from alembic.runtime.migration import MigrationContext
from alembic.util import CommandError
from sqlalchemy import URL, Connection
from sqlalchemy.exc import OperationalError

from {{ cookiecutter.package_name }} import models, settings
from {{ cookiecutter.package_name }}.migrations.checks import (
    check_models_imported,
    several_heads_message,
)
from {{ cookiecutter.package_name }}.migrations.lock import MigrationLockTimeout, migration_lock
from {{ cookiecutter.package_name }}.migrations.new_revision import prepare_new_revision
from {{ cookiecutter.package_name }}.migrations.options import context_options


def run_offline() -> None:
    """Render the migrations as SQL for the configured database, without connecting."""
    url = settings.database_url()
    context.configure(
        url=url,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        process_revision_directives=process_revision_directives,
        **context_options(url.get_backend_name()),
    )
    with context.begin_transaction():
        run_migrations()


def run_on(connection: Connection) -> None:
    """Run the migrations on ``connection``, holding the migration lock meanwhile."""
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
    except OperationalError as error:
        if "database is locked" not in str(error.orig):  # SQLite's file lock
            raise
        raise CommandError(
            f"Another process held the SQLite database for over "
            f"{settings.migration_lock_timeout():g} s. Wait for it to finish, or raise "
            "MIGRATION_LOCK_TIMEOUT."
        ) from None


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
    prepare_new_revision(migration_context, revision, directives)


@contextmanager
def settings_in_one_line() -> Iterator[None]:
    """End the command with one line, not a traceback, when a setting is wrong.

    That is a malformed ``DATABASE_URL`` or ``MIGRATION_LOCK_TIMEOUT``, or a database URL
    whose driver is not installed; the message says what to change.
    """
    try:
        yield
    except settings.SettingsError as error:
        raise CommandError(str(error)) from None


def cannot_connect(url: URL, reason: object) -> CommandError:
    """Why the database cannot be reached, and what to check."""
    where = url.render_as_string(hide_password=True)
    if url.get_backend_name() == "sqlite":
        question = "Does its directory exist"
    else:
        question = "Is the server running, does the database exist"
    return CommandError(
        f"Cannot connect to the database at {where}:\n{str(reason).strip()}\n"
        f"{question}, and is DATABASE_URL right? (see .env.example)"
    )
