"""Mistakes newcomers make, told in one line that says what to do, instead of a traceback.

``alembic`` prints a ``CommandError`` as one line ("FAILED: ..."); env.py runs inside
``explained_errors`` so that the usual mistakes end that way too. docs/migrations.md
("When something goes wrong") walks through each of them.
"""

from __future__ import annotations

import difflib
import logging
import pkgutil
import re
import sys
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

from alembic import context
from alembic.util import CommandError
from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError, PendingRollbackError

from . import retries, settings
from .partial_runs import schema_changes_that_ran
from .revision_files import is_revision_file, unreadable_revision
from .squashed_file import squashed_refusal

# Alembic's own errors that newcomers meet, with what to do about each.
ALEMBIC_ADVICE = {
    "Can't locate revision identified by": (
        "The database is at a revision this code does not have (its file was deleted, or "
        "belongs to another branch): check out the code that has it and downgrade there; "
        "if it is gone for good, `alembic stamp <revision>` the one the database matches."
    ),
    "Target database is not up to date": (
        "Apply the pending migrations first (alembic upgrade head), then autogenerate."
    ),
    "Relative revision": (
        "There are fewer revisions that way than asked: alembic current shows where the "
        "database is, alembic history what there is."
    ),
}
# A constraint dropped by a name it does not have, as PostgreSQL and MySQL word it.
CONSTRAINT_NOT_FOUND = re.compile(
    r'constraint ".*" of relation ".*" does not exist|Can\'t DROP .*; check that'
)
# A NOT NULL column added to a table that has rows, as each database words it.
NOT_NULL_ON_ROWS = ("contains null values", "NOT NULL column with default value NULL")
# A statement stopped by MIGRATION_TABLE_LOCK_TIMEOUT or MIGRATION_STATEMENT_TIMEOUT
# (timeouts.py), as PostgreSQL, MySQL and MariaDB word it.
LOCK_TIMED_OUT = ("canceling statement due to lock timeout", "Lock wait timeout exceeded")
STATEMENT_TIMED_OUT = (
    "canceling statement due to statement timeout",
    "max_statement_time exceeded",  # MariaDB
    "maximum statement execution time exceeded",  # MySQL
)
LIVE_DATABASE_DOC = 'docs/migrations.md, "Migrations on a live database"'
# What a revision calls on a statement's result to read rows: offline, the result is None.
RESULT_METHODS = {
    "all",
    "first",
    "one",
    "one_or_none",
    "scalar",
    "scalar_one",
    "scalar_one_or_none",
    "scalars",
    "fetchall",
    "fetchone",
    "fetchmany",
    "mappings",
    "tuples",
    "partitions",
}


@contextmanager
def explained_errors() -> Iterator[None]:
    """Turn a bad setting, an unreachable database, a failed migration, an irreversible
    revision, a revision file that cannot be read or one of Alembic's usual errors into one
    clear line."""
    started = time.monotonic()
    show_errors_when_quiet()
    unreadable = unreadable_revision(context.script)
    if unreadable:
        raise CommandError(unreadable)
    try:
        with schema_changes_that_ran() as schema_changes, first_failure():
            yield
    except settings.SettingsError as error:
        raise CommandError(str(error)) from None
    except (DBAPIError, OSError) as error:
        reason = str(error.orig if isinstance(error, DBAPIError) else error).strip()
        if "database is locked" in reason:  # SQLite's file lock
            raise CommandError(sqlite_locked(time.monotonic() - started)) from None
        step = revision_step(error)
        if step is not None:  # raised by a revision's own code
            message = failed_migration(step, reason, revision_line(error), error)
            if schema_changes.ran:
                message = message.rstrip(".") + (
                    ". MySQL cannot roll back a schema change: what this revision ran before "
                    f"the failure stays ({'; '.join(schema_changes.ran)}). Undo it, or take "
                    "it out of the revision, before running it again."
                )
            raise CommandError(message) from error
        # The driver's first line says what failed; psycopg's next ones repeat our advice.
        first_line = reason.splitlines()[0] if reason else type(error).__name__
        if isinstance(error, DBAPIError) and error.statement is not None:
            # Connected, then a statement was refused: a permission, a missing table...
            raise CommandError(f"The database refused a statement: {first_line}") from None
        raise CommandError(
            f"Cannot connect to the database: {first_line}\n"
            "Is the server running, does the database exist, and is DATABASE_URL right? "
            "(see .env.example)"
        ) from None
    except CommandError as error:
        refusal = squashed_refusal(context.script, str(error))
        if refusal:  # a database older than the baseline of a squash
            raise CommandError(refusal) from None
        advice = next((text for key, text in ALEMBIC_ADVICE.items() if key in str(error)), None)
        heads = context.script.get_heads()
        if advice is None and len(heads) > 1 and "head" in str(error):
            advice = (
                f"The migrations have {len(heads)} heads ({', '.join(sorted(heads))}). Join "
                'them with a merge revision: alembic merge heads -m "merge heads"'
            )
        if advice is None:
            raise
        raise CommandError(f"{str(error).rstrip('.')}. {advice}") from None
    except Exception as error:
        step = revision_step(error)
        if step is None:  # not raised by a revision: a traceback is the best account
            raise
        if isinstance(error, NotImplementedError) and step.startswith("downgrade()"):
            # IrreversibleMigration, raised by a downgrade().
            message = f"This downgrade would undo a revision that cannot be undone: {error}"
            raise CommandError(message) from None
        raise CommandError(failed_revision(step, error)) from error


@contextmanager
def first_failure() -> Iterator[None]:
    """Raise the database's error, not SQLAlchemy's refusal of what came after it: when the
    connection is lost in an ``autocommit_block()`` (the server restarted, the session was
    killed), leaving the block fails with a PendingRollbackError that says nothing of why."""
    try:
        yield
    except PendingRollbackError as error:
        if isinstance(error.__context__, DBAPIError):
            raise error.__context__ from None
        raise


def show_errors_when_quiet() -> None:
    """alembic.ini silences Alembic's log of an error, which repeats its "FAILED: ..." line;
    ``alembic -q`` leaves that line out, so let the log say it then."""
    if getattr(context.config.cmd_opts, "quiet", False):
        logging.getLogger("alembic.util.messaging").setLevel(logging.ERROR)


def sqlite_locked(waited: float) -> str:
    """Why SQLite said "database is locked": another writer for the whole timeout, or a
    connection handed in that could not wait at all."""
    timeout = settings.migration_lock_timeout()
    if waited < timeout and isinstance(context.config.attributes.get("connection"), Connection):
        # SQLite refuses at once, rather than deadlock, when a transaction that has read
        # wants to write while another connection writes.
        return (
            f"The SQLite database is being written by another connection, and the connection "
            f"handed in could not wait for it (it gave up after {waited:.1f} s): it was "
            "inside a transaction that had read the database. Commit or roll back before "
            "handing it in, or migrate on a new connection."
        )
    return (
        f"Another process held the SQLite database for over {timeout:g} s. Wait for it to "
        "finish, or raise MIGRATION_LOCK_TIMEOUT."
    )


def revision_frame(error: BaseException) -> traceback.FrameSummary | None:
    """The innermost frame of ``error``'s traceback inside a revision file, if any."""
    folder = Path(context.script.dir).resolve()
    frames = traceback.extract_tb(error.__traceback__)
    steps = [frame for frame in frames if is_revision_file(Path(frame.filename), folder)]
    return steps[-1] if steps else None


def revision_step(error: BaseException) -> str | None:
    """Name the revision step that raised ``error`` (upgrade() of <file>), if one did."""
    frame = revision_frame(error)
    return f"{frame.name}() of {Path(frame.filename).name}" if frame else None


def revision_line(error: BaseException) -> int | None:
    """The line of the revision file where ``error`` was raised."""
    frame = revision_frame(error)
    return frame.lineno if frame else None


def failed_revision(step: str, error: Exception) -> str:
    """A revision's own code failed (a typo, a wrong argument): where, and what Python said;
    offline, whether it reads the database, which ``--sql`` has not got."""
    line = revision_line(error)
    what = f"{type(error).__name__}: {error}{did_you_mean(error)}"
    if not context.is_offline_mode():
        return f"{step} failed at line {line}: {what}"
    message = f"{step} cannot be rendered as SQL (line {line}): {what}"
    if reads_the_database(error):
        message += (
            ". It reads the database, which --sql has not got: run that part under "
            "`if not context.is_offline_mode():`"
        )
    return message


def did_you_mean(error: Exception) -> str:
    """The attribute a misspelt one most likely meant (op.add_colum: add_column)."""
    if not isinstance(error, AttributeError) or error.obj is None or not error.name:
        return ""
    names = [name for name in dir(error.obj) if not name.startswith("_")]
    likely = difflib.get_close_matches(error.name, names, n=1)
    return f" (did you mean {likely[0]}?)" if likely else ""


def reads_the_database(error: Exception) -> bool:
    """Whether ``error``, raised offline, comes from reading the database: offline, a
    statement returns nothing (None), and the connection is a placeholder that records SQL."""
    if "MockConnection" in f"{type(error).__name__} {error}":
        return True  # inspect(op.get_bind()), bind.exec_driver_sql(...)
    if isinstance(error, AttributeError) and error.obj is None:
        return error.name in RESULT_METHODS  # bind.execute(...).scalar()
    frame = revision_frame(error)
    # for row in bind.execute(...): the None it returned is iterated
    return (
        isinstance(error, TypeError)
        and "NoneType" in str(error)
        and (frame is not None and "execute(" in (frame.line or ""))
    )


def failed_migration(
    step: str, reason: str, line: int | None = None, error: BaseException | None = None
) -> str:
    """Which revision failed, the database's reason, and what to do when it is a known one."""
    if any(words in reason for words in LOCK_TIMED_OUT):
        tries = int(getattr(error, retries.TRIES, 1))
        held_by = str(getattr(error, retries.HELD_BY, ""))
        return (
            f"{step} waited over {settings.migration_table_lock_timeout():g} s for a lock "
            "another session holds (MIGRATION_TABLE_LOCK_TIMEOUT)"
            f"{f', on each of {tries} tries' if tries > 1 else ''}: "
            f"{f'{held_by} Retry' if held_by else 'retry'} when the table is quieter, or "
            f"raise the timeout for this revision ({LIVE_DATABASE_DOC})."
        )
    if any(words in reason for words in STATEMENT_TIMED_OUT):
        return (
            f"{step} ran a statement for over {settings.migration_statement_timeout():g} s "
            "(MIGRATION_STATEMENT_TIMEOUT): do the work in smaller batches, or raise the "
            f"timeout for this revision ({LIVE_DATABASE_DOC})."
        )
    message = f"{step} failed{f' at line {line}' if line else ''}: {reason}"
    if CONSTRAINT_NOT_FOUND.search(reason):
        message += (
            ". Constraints a revision leaves unnamed are named by the naming convention "
            "(models/base.py), not as the database would name them; a history brought from "
            "another project keeps its names with naming_convention_from() (docs/migrations.md, "
            '"Bringing a history from another project")'
        )
    if any(words in reason for words in NOT_NULL_ON_ROWS):
        message += (
            ". A NOT NULL column added to a table that has rows (on SQLite, to any table) "
            "needs a server_default; or add it nullable, fill it, then make it NOT NULL "
            "(docs/migrations.md)."
        )
    return message


def check_models_imported(models: ModuleType) -> None:
    """Fail when a module of the models package is not imported by its ``__init__.py``.

    Autogenerate sees only the tables of models that were imported: it would miss a new
    model's table, or propose dropping the table of an existing one.
    """
    missing = unimported_model_modules(models)
    if missing:
        init = f"{models.__name__.replace('.', '/')}/__init__.py"
        raise CommandError(
            f"{', '.join(missing)} is not imported by {init}, so Alembic cannot see its "
            "tables: import its model classes there (and list them in __all__)."
        )


def unimported_model_modules(models: ModuleType) -> list[str]:
    """The modules of the models package that nothing has imported so far."""
    package = models.__name__
    modules = [f"{package}.{module.name}" for module in pkgutil.iter_modules(models.__path__)]
    return [module for module in modules if module not in sys.modules]
