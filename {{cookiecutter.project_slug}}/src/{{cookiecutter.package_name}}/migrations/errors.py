"""Mistakes newcomers make, told in one line that says what to do, instead of a traceback.

``alembic`` prints a ``CommandError`` as one line ("FAILED: ..."); env.py runs inside
``explained_errors`` so that the usual mistakes end that way too. docs/migrations.md
("When something goes wrong") walks through each of them.
"""

from __future__ import annotations

import pkgutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

from alembic import context
from alembic.util import CommandError
from sqlalchemy.exc import DBAPIError, OperationalError

from {{ cookiecutter.package_name }} import settings


@contextmanager
def explained_errors() -> Iterator[None]:
    """Turn a bad setting, an unreachable database, an irreversible revision or several
    heads into one clear line."""
    try:
        yield
    except settings.SettingsError as error:
        raise CommandError(str(error)) from None
    except (DBAPIError, OSError) as error:
        reason = error.orig if isinstance(error, DBAPIError) else error
        if isinstance(error, OperationalError) and "database is locked" in str(reason):
            raise CommandError(
                "Another process held the SQLite database for over "
                f"{settings.migration_lock_timeout():g} s. Wait for it to finish, or raise "
                "MIGRATION_LOCK_TIMEOUT."
            ) from None
        # A failed connect has no statement; a failed statement is the migration's own.
        if isinstance(error, DBAPIError) and error.statement is not None:
            raise
        raise CommandError(
            f"Cannot connect to the database: {str(reason).strip()}\n"
            "Is the server running, does the database exist, and is DATABASE_URL right? "
            "(see .env.example)"
        ) from None
    except NotImplementedError as error:  # IrreversibleMigration, raised by a downgrade()
        message = f"This downgrade would undo a revision that cannot be undone: {error}"
        raise CommandError(message) from None
    except CommandError as error:
        heads = context.script.get_heads()
        if len(heads) < 2 or "head" not in str(error):
            raise
        raise CommandError(
            f"The migrations have {len(heads)} heads ({', '.join(sorted(heads))}). Join them "
            'with a merge revision: alembic merge heads -m "merge heads"'
        ) from None


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
