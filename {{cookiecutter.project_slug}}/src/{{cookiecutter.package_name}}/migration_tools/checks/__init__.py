"""The machinery of the migration tests (tests/test_migrations.py): they call it, and it
checks any history, on any engine, without naming a revision or a table.

* ``check_migrations``: up to head, down to base and up again, comparing the schema and
  the rows at every step (runs.py, snapshot.py, rows.py);
* ``models_differences``: the models against the migrated database (models.py);
* ``offline_problem``: every revision renders as SQL (offline.py);
* ``empty_database`` and ``with_connection``: the tests' throw-away databases (databases.py);
* ``unreadable_revision``: a revision file Alembic cannot read, with its line.
"""

from ..revision_files import unreadable_revision
from .databases import OnDatabase, empty_database, unreachable, with_connection
from .failure import CheckedDatabase, MigrationCheckFailed
from .models import models_differences
from .offline import offline_problem
from .rows import SampleRowsByRevision
from .runs import check_migrations, current_heads

__all__ = [
    "CheckedDatabase",
    "MigrationCheckFailed",
    "OnDatabase",
    "SampleRowsByRevision",
    "check_migrations",
    "current_heads",
    "empty_database",
    "models_differences",
    "offline_problem",
    "unreachable",
    "unreadable_revision",
    "with_connection",
]
