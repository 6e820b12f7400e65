"""Migrate from Python: what an application calls, at start-up say::

    from <package>.migration_tools.commands import upgrade

    upgrade()  # the database of DATABASE_URL, up to the newest revision

The migrations ship inside the package, and so does a copy of alembic.ini: this works
wherever the package is installed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alembic import command

from .config import read_config

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine
    from sqlalchemy.ext.asyncio import AsyncEngine

    # What env.py accepts: a Connection (its transaction is yours; in an async project,
    # the one AsyncConnection.run_sync passes), or the project's kind of engine.
    Connectable = Connection | Engine | AsyncEngine


def upgrade(revision: str = "head", connection: Connectable | None = None) -> None:
    """``alembic upgrade <revision>``: on ``connection``, or on ``DATABASE_URL``."""
    command.upgrade(read_config(connection), revision)


def downgrade(revision: str, connection: Connectable | None = None) -> None:
    """``alembic downgrade <revision>``: on ``connection``, or on ``DATABASE_URL``."""
    command.downgrade(read_config(connection), revision)
