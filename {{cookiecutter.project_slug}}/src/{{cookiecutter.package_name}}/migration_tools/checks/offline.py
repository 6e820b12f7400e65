"""The offline check: ``alembic upgrade head --sql`` renders every revision, no database."""

from __future__ import annotations

import io

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from .runs import failed_step, step_name

# SQLite's batch mode copies a table by reading it: it cannot render that offline.
SQLITE_BATCH_COPY = "batch mode with dialect sqlite"
# What a revision that reads the database says offline: its reads return no rows, or the
# placeholder connection has no results to give.
NEEDS_A_DATABASE = ("MockConnection", "NoneType", "has no attribute 'fetch", "no attribute 'scalar")


def offline_problem(config: Config, scripts: ScriptDirectory) -> str | None:
    """Which revision cannot be rendered as SQL, and why; None when all can."""
    start = "base"
    while True:
        config.output_buffer = io.StringIO()
        try:
            command.upgrade(config, f"{start}:heads", sql=True)
            return None
        except Exception as error:
            step = failed_step(error, scripts)
            if step is not None and SQLITE_BATCH_COPY in str(error):
                start = step[1].revision  # go on with the revisions after this one
                continue
            message = f"{step_name(step, 'A revision')} cannot be rendered as SQL: {error}"
            if any(words in f"{type(error).__name__}: {error}" for words in NEEDS_A_DATABASE):
                message += (
                    "\nIt reads the database, which --sql has not got: run that part under "
                    "`if not context.is_offline_mode():`"
                )
            return message
