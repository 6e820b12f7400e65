"""Alembic's configuration, read from the project's ``alembic.ini``: the one source of it.

Run from the source tree, that is the ``alembic.ini`` beside ``pyproject.toml``; the wheel
carries a copy inside the package, so an installed application reads the same options.
The tooling's own options live in its section of that file, ``[migration_tools]``.
"""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from alembic.util import CommandError

SECTION = "migration_tools"


def alembic_ini() -> Path:
    """The ``alembic.ini`` nearest above this package: the project's, or the wheel's copy."""
    here = Path(__file__).resolve().parent
    for folder in here.parents:
        candidate = folder / "alembic.ini"
        if candidate.is_file():
            return candidate
    raise CommandError(f"No alembic.ini above {here}: it belongs at the project's root.")


def read_config(connection: object = None) -> Config:
    """Alembic's configuration from ``alembic.ini``; its migrations run on ``connection``
    (a Connection or an engine) when one is given. Alembic's logging is left to the caller."""
    config = Config(alembic_ini())
    config.attributes["configure_logger"] = False
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def tools_option(config: Config, name: str, default: str | None = None) -> str | None:
    """An option of the ``[migration_tools]`` section of ``alembic.ini``."""
    value = config.get_section_option(SECTION, name, default)
    return value.strip() if value else default
