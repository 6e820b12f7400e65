"""Mistakes newcomers make, told in one line that says what to do, instead of a traceback.

``alembic`` prints a ``CommandError`` as one line ("FAILED: ..."); env.py runs inside
``explained_errors`` so that the usual mistakes end that way too. docs/migrations.md
("When something goes wrong") walks through each of them.
"""

from __future__ import annotations

import pkgutil
import re
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

from alembic import context
from alembic.util import CommandError
from sqlalchemy.exc import DBAPIError

from . import settings

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


@contextmanager
def explained_errors() -> Iterator[None]:
    """Turn a bad setting, an unreachable database, a failed migration, an irreversible
    revision or one of Alembic's usual errors into one clear line."""
    try:
        yield
    except settings.SettingsError as error:
        raise CommandError(str(error)) from None
    except (DBAPIError, OSError) as error:
        reason = str(error.orig if isinstance(error, DBAPIError) else error).strip()
        if "database is locked" in reason:  # SQLite's file lock
            raise CommandError(
                "Another process held the SQLite database for over "
                f"{settings.migration_lock_timeout():g} s. Wait for it to finish, or raise "
                "MIGRATION_LOCK_TIMEOUT."
            ) from None
        step = revision_step(error)
        if step is not None:  # raised by a revision's own code
            raise CommandError(failed_migration(step, reason)) from error
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
    except NotImplementedError as error:
        step = revision_step(error)
        if step is None or not step.startswith("downgrade()"):
            raise
        # IrreversibleMigration, raised by a downgrade().
        message = f"This downgrade would undo a revision that cannot be undone: {error}"
        raise CommandError(message) from None
    except CommandError as error:
        advice = next((text for key, text in ALEMBIC_ADVICE.items() if key in str(error)), None)
        heads = context.script.get_heads()
        if advice is None and len(heads) > 1 and "head" in str(error):
            advice = (
                f"The migrations have {len(heads)} heads ({', '.join(sorted(heads))}). Join "
                'them with a merge revision: alembic merge heads -m "merge heads"'
            )
        if advice is None:
            raise
        raise CommandError(f"{error}. {advice}") from None


def revision_step(error: BaseException) -> str | None:
    """Name the revision step that raised ``error`` (upgrade() of <file>), if one did."""
    frames = traceback.extract_tb(error.__traceback__)
    steps = [frame for frame in frames if Path(frame.filename).parent.name == "versions"]
    return f"{steps[-1].name}() of {Path(steps[-1].filename).name}" if steps else None


def failed_migration(step: str, reason: str) -> str:
    """Which revision failed, the database's reason, and what to do when it is a known one."""
    if any(words in reason for words in LOCK_TIMED_OUT):
        return (
            f"{step} waited over {settings.migration_table_lock_timeout():g} s for a lock "
            "another session holds (MIGRATION_TABLE_LOCK_TIMEOUT): retry when the table is "
            f"quieter, or raise the timeout for this revision ({LIVE_DATABASE_DOC})."
        )
    if any(words in reason for words in STATEMENT_TIMED_OUT):
        return (
            f"{step} ran a statement for over {settings.migration_statement_timeout():g} s "
            "(MIGRATION_STATEMENT_TIMEOUT): do the work in smaller batches, or raise the "
            f"timeout for this revision ({LIVE_DATABASE_DOC})."
        )
    message = f"{step} failed: {reason}"
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
