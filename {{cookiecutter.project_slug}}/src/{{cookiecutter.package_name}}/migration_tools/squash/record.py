"""The proof, kept: ``tests/squashed_baseline.json`` records what the squashed revisions
built (schema and rows) on the project's engine, so that once they are gone the tests can
still check that the baseline builds it (``baseline_problem``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import URL, Connection, create_engine

from ..config import alembic_ini, read_config
from ..phases import through_env
from ..previous_release import blocking, migrate
from .picture import Picture, differences, picture_of


def record_file() -> Path:
    return alembic_ini().parent / "tests" / "squashed_baseline.json"


def write_record(revision: str, dialect: str, picture: Picture) -> Path:
    path = record_file()
    found = {"baseline": revision, "engine": dialect, **picture.as_json()}
    path.write_text(json.dumps(found, indent=1, sort_keys=True) + "\n")
    return path


def read_picture(url: URL) -> Picture:
    """What the database at ``url`` holds, less Alembic's version table."""
    engine = create_engine(blocking(url))
    try:
        with engine.connect() as connection:
            return picture_of(connection, version_table_of(connection))
    finally:
        engine.dispose()


def version_table_of(connection: Connection) -> str:
    """Alembic's version table, as env.py names it (``version_table``, alembic_version
    by default)."""
    config = read_config(connection)
    scripts = ScriptDirectory.from_config(config)
    name: str = through_env(config, scripts, lambda context: context.version_table)
    connection.commit()  # what env.py began, reading
    return name


def baseline_problem(url: URL) -> str | None:
    """What the baseline of the last squash builds differently, on the empty database at
    ``url``, from what the squashed revisions built; None without a squash."""
    path = record_file()
    if not path.is_file():
        return None
    recorded: dict[str, Any] = json.loads(path.read_text())
    engine = url.get_backend_name()
    if engine != recorded["engine"]:
        return (
            f"{path.name} was recorded on {recorded['engine']}, and the tests run on {engine}: "
            "squash again on this engine to record it anew."
        )
    migrate(blocking(url), [recorded["baseline"]])
    found = differences(Picture.from_json(recorded), read_picture(url))
    if not found:
        return None
    return (
        f"The baseline revision {recorded['baseline']} builds another database than the "
        f"revisions it replaced ({path.name}): " + "; ".join(found)
    )
