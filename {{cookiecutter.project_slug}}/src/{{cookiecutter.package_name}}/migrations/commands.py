"""Migrate from Python, without alembic.ini: what an installed application calls.

    from {{ cookiecutter.package_name }}.migrations.commands import upgrade

    upgrade()  # the database of DATABASE_URL, up to the newest revision

The migrations ship inside the package, so this works wherever the package is installed.
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config
{%- if cookiecutter.async %}
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

# What env.py accepts: the Connection that AsyncConnection.run_sync passes, or an engine.
Connectable = Connection | AsyncEngine
{%- else %}
from sqlalchemy import Connection, Engine

# What env.py accepts: a connection (its transaction is yours), or an engine.
Connectable = Connection | Engine
{%- endif %}


def alembic_config(connection: Connectable | None = None) -> Config:
    """Alembic's configuration, as alembic.ini gives it, on ``connection`` if one is given."""
    config = Config()
    config.set_main_option("script_location", "{{ cookiecutter.package_name }}:migrations")
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(revision: str = "head", connection: Connectable | None = None) -> None:
    """``alembic upgrade <revision>``: on ``connection``, or on ``DATABASE_URL``."""
    command.upgrade(alembic_config(connection), revision)


def downgrade(revision: str, connection: Connectable | None = None) -> None:
    """``alembic downgrade <revision>``: on ``connection``, or on ``DATABASE_URL``."""
    command.downgrade(alembic_config(connection), revision)
