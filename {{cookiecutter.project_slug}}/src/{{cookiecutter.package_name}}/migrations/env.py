"""Alembic's environment: run by every ``alembic`` command that needs the database.

It runs in one of three ways:

* offline (``alembic upgrade head --sql``): prints the SQL, no database needed;
* on a connection or engine handed in as ``config.attributes["connection"]``
  (tests and application code);
* on its own engine, built from ``DATABASE_URL`` (the command line).

Transactions: a migration run commits what it starts. On PostgreSQL and SQLite the whole
run is one transaction, so a failure leaves the database as it was; MySQL cannot roll
back DDL, so each migration gets its own transaction there. A connection handed in while
already inside a transaction is left for its owner to commit or roll back. On SQLite,
hand in connections of an engine made by ``db.create_db_engine``: its hooks (sqlite.py)
are what let SQLite roll back DDL.

The steps every run shares (options, lock, revision hooks, messages) are in runner.py.
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from alembic.util import CommandError
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError

from {{ cookiecutter.package_name }}.db import create_db_engine
from {{ cookiecutter.package_name }}.migrations.checks import check_revision_ids
from {{ cookiecutter.package_name }}.migrations.runner import (
    cannot_connect,
    run_offline,
    run_on,
    settings_in_one_line,
)

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def run_migrations_online() -> None:
    """Run the migrations on the handed-in connection or engine, or on our own engine."""
    handed_in = config.attributes.get("connection")
    if isinstance(handed_in, Connection):
        run_on(handed_in)
    elif isinstance(handed_in, Engine):
        with handed_in.connect() as connection:
            run_on(connection)
    elif handed_in is not None:
        raise CommandError(
            'config.attributes["connection"] must be a Connection or an Engine, '
            f"not {type(handed_in).__name__}"
        )
    else:
        engine = create_db_engine(for_migrations=True)
        try:
            with connect(engine) as connection:
                run_on(connection)
        finally:
            engine.dispose()


def connect(engine: Engine) -> Connection:
    try:
        return engine.connect()
    except OperationalError as error:
        raise cannot_connect(engine.url, error.orig) from None


# Two branches that each added a revision 0003 leave two files with that id: stop here,
# before Alembic silently picks one of them.
check_revision_ids(context.script)
with settings_in_one_line():
    if context.is_offline_mode():
        run_offline()
    else:
        run_migrations_online()
