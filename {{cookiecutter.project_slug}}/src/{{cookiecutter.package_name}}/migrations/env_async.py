"""Alembic's environment: every ``alembic`` command that needs the database runs this file.

It has the shape ``alembic init -t async`` gives, so Alembic's docs and cookbook apply as
written: add an option to the ``context.configure(...)`` calls below. The database URL
comes from ``DATABASE_URL`` (settings.py), never from alembic.ini.

Alembic is synchronous: online, the migrations run inside ``AsyncConnection.run_sync``, on
a ``Connection`` whose statements go through the async driver. Hand that ``Connection`` in
as ``config.attributes["connection"]`` to migrate on your connection and event loop (see
migration_tools/commands.py and the README), or an ``AsyncEngine``, or nothing
(``DATABASE_URL``): the run then gets an event loop of its own, in a worker thread, so it
works where a loop already runs (``asyncio.run`` cannot start there: alembic issue #1353).

A run commits what it starts. On a server each revision is a transaction of its own, so
the locks a revision takes are released when it commits, and a failed revision leaves the
database at the revision before it (MySQL cannot roll back DDL: what the failed revision
did before the failure stays). On SQLite the whole run is one transaction. A connection
handed in inside a transaction is left for its owner to commit (on MySQL it is committed
when another deploy migrated since it began).

The commands that migrate (upgrade, downgrade, stamp) take the deploy lock and set a lock
timeout and a statement timeout (``MIGRATION_TABLE_LOCK_TIMEOUT``,
``MIGRATION_STATEMENT_TIMEOUT``), so that a migration queued behind a long transaction fails
instead of stalling every query behind it; ``--sql`` prints the same timeouts first. A run
stopped by the lock timeout runs again a few times, after a growing pause
(``MIGRATION_TABLE_LOCK_RETRIES``, ``MIGRATION_TABLE_LOCK_RETRY_PAUSE``).
Commands that only read (current, check, autogenerate) take neither.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from logging.config import fileConfig
from typing import Any

from alembic import context
from alembic.operations.ops import MigrationScript
from alembic.runtime.migration import MigrationContext
from alembic.util import CommandError
from sqlalchemy import Connection
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from {{ cookiecutter.package_name }} import models, settings
from {{ cookiecutter.package_name }}.db import create_db_engine
from {{ cookiecutter.package_name }}.migration_tools.autogenerate import (
    drop_indexes_with_their_tables,
)
from {{ cookiecutter.package_name }}.migration_tools.lock import migration_lock
from {{ cookiecutter.package_name }}.migration_tools.messages import (
    check_models_imported,
    explained_errors,
)
from {{ cookiecutter.package_name }}.migration_tools.phases import mark_contract_step
from {{ cookiecutter.package_name }}.migration_tools.retries import lock_timeout_retries
from {{ cookiecutter.package_name }}.migration_tools.safe_forms import write_safe_forms
from {{ cookiecutter.package_name }}.migration_tools.server_defaults import (
    server_defaults_differ,
)
from {{ cookiecutter.package_name }}.migration_tools.timeouts import (
    configured_timeouts,
    session_timeouts,
)

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

# The models' MetaData, for autogenerate: models/__init__.py imports every model module.
target_metadata = models.Base.metadata

# Autogenerate compares CHECK constraints by name too: the naming convention names them all.
AUTOGENERATE_PLUGINS = ["alembic.autogenerate.*", "alembic.ext.checkconstraint_byname"]


def process_revision_directives(
    migration_context: MigrationContext, revision: Any, directives: list[MigrationScript]
) -> None:
    """Shape what ``alembic revision --autogenerate`` is about to write."""
    check_models_imported(models)
    script = directives[0]
    if getattr(config.cmd_opts, "autogenerate", False) and script.upgrade_ops_list[0].is_empty():
        directives.clear()  # never an empty revision file
        print("No changes between the models and the database: no revision written.")
        return
    for operations in (*script.upgrade_ops_list, *script.downgrade_ops_list):
        drop_indexes_with_their_tables(operations)
    # A revision that only drops waits until the new code is live: a contract step.
    mark_contract_step(migration_context, script)
    # A change to a table in use, in the form that does not block it (CONCURRENTLY, NOT
    # VALID, LOCK=NONE); what has none is marked with a comment. docs/migrations.md.
    write_safe_forms(migration_context, revision, directives)


def run_migrations_offline() -> None:
    """Print the SQL of the migrations (``alembic upgrade head --sql``): no database needed."""
    url = settings.database_url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=url.get_backend_name() == "sqlite",
    )
    with context.begin_transaction():
        # The script sets the timeouts an online run sets: what is reviewed is what runs.
        for statement in configured_timeouts(context.get_context().dialect):
            context.execute(statement)
        context.run_migrations()


def do_run_migrations(connection: Connection) -> None:
    """Run the migrations on ``connection``, one deploy at a time."""
    sqlite = connection.dialect.name == "sqlite"
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        # By what a default means: '2020-01-01' equals the server's '2020-01-01 00:00:00'.
        compare_server_default=server_defaults_differ,
        autogenerate_plugins=AUTOGENERATE_PLUGINS,
        process_revision_directives=process_revision_directives,
        # SQLite cannot ALTER most things: "batch" operations copy the table instead.
        render_as_batch=sqlite,
        # SQLite rolls back DDL too, on engines made by db.create_db_engine (see sqlite.py).
        transactional_ddl=True if sqlite else None,
        # On a server, each revision commits on its own: the locks it took end with it, not
        # with the last revision, and a failure leaves the database at the revision before.
        transaction_per_migration=not sqlite,
        # Callers may watch each step as it is applied (the migration tests do).
        on_version_apply=config.attributes.get("on_version_apply", ()),
    )
    # The timeouts are set outside the migrations' transaction: its rollback cannot undo
    # them halfway, and the connection's own values come back after it ended.
    migration_context = context.get_context()
    with migration_lock(migration_context), session_timeouts(migration_context):
        # A run stopped by the table lock timeout runs again after a pause, from the
        # revision it reached (MIGRATION_TABLE_LOCK_RETRIES; migration_tools/retries.py).
        for attempt in lock_timeout_retries(migration_context):
            with attempt, context.begin_transaction():
                context.run_migrations()


async def run_async_migrations(engine: AsyncEngine) -> None:
    """Run the migrations on a connection of ``engine``, then close its connections: they
    belong to this event loop, which ends with the run."""
    try:
        async with engine.connect() as connection:
            await connection.run_sync(do_run_migrations)
    except OperationalError:
        if engine.dialect.driver == "aiosqlite":
            # aiosqlite reports a failed connect to this loop a moment later: wait for it,
            # or it finds the loop closed and prints a traceback (aiosqlite issue #241).
            await asyncio.sleep(0.1)
        raise
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    """Run the migrations on what was handed in, or on ``DATABASE_URL``."""
    connectable = config.attributes.get("connection")
    if isinstance(connectable, Connection):  # the caller's own connection, shared
        do_run_migrations(connectable)
        return
    if connectable is None:
        engine = create_db_engine(for_migrations=True)
    elif isinstance(connectable, AsyncEngine):
        # Its pooled connections belong to the caller's event loop: the run gets a pool of
        # its own, which connects as the caller's does (connect_args: SSL, server settings).
        pool = connectable.sync_engine.pool.recreate()
        engine = create_db_engine(connectable.url, for_migrations=True, pool=pool)
    else:
        raise CommandError(
            f"Cannot migrate on the {type(connectable).__name__} handed in: hand in an "
            "AsyncEngine, or the Connection that AsyncConnection.run_sync passes to your "
            "function (see the README)."
        )
    with ThreadPoolExecutor(max_workers=1) as worker:  # works inside a running loop too
        worker.submit(asyncio.run, run_async_migrations(engine)).result()


with explained_errors():
    if context.is_offline_mode():
        run_migrations_offline()
    else:
        run_migrations_online()
