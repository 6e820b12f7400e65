"""The offline check: ``alembic upgrade head --sql`` renders every revision, no database."""

from __future__ import annotations

import io

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError

from .runs import failed_step, step_name

# SQLite's batch mode copies a table by reading it: it cannot render that offline.
SQLITE_BATCH_COPY = "batch mode with dialect sqlite"


def offline_problem(config: Config, scripts: ScriptDirectory) -> str | None:
    """Which revision cannot be rendered as SQL, and why; None when all can.

    env.py says it (migration_tools/messages.py): which revision and line, what failed, and,
    when the revision reads the database, to run that part online only.
    """
    start = "base"
    while True:
        config.output_buffer = io.StringIO()
        try:
            command.upgrade(config, f"{start}:heads", sql=True)
            return None
        except CommandError as error:
            step = failed_step(error.__cause__ or error, scripts)
            if step is not None and SQLITE_BATCH_COPY in str(error):
                start = step[1].revision  # go on with the revisions after this one
                continue
            where = step_name(step, "A revision")
            if where in str(error):  # env.py said which, with the line and what to do
                return str(error)
            return f"{where} cannot be rendered as SQL: {error}"
        except Exception as error:  # raised outside the revisions: env.py itself, say
            return f"alembic upgrade --sql failed: {type(error).__name__}: {error}"
