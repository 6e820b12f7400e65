"""Squash a long history: the revisions from the first one up to a named one become one
baseline revision, proven to build the same database::

    python -m <package>.migration_tools.squash <revision>     # or: make squash upto=<revision>

* ``history``: which revisions go (the named one and every revision before it);
* ``picture``: what a database holds (schema, rows, what autogenerate cannot see);
* ``render``: the baseline's upgrade() and downgrade(), from Alembic's autogenerate;
* ``files``: the baseline file written as ``alembic revision`` writes one, swapped in;
* ``record``: the proof kept for the tests once the old revisions are gone;
* ``run``: the squash itself, which stops, naming what differs, rather than write a
  baseline that builds another database.

docs/migrations.md, "Squashing old revisions", says when to squash and when not to.
"""

from .record import baseline_problem
from .run import SquashRefused, squash

__all__ = ["SquashRefused", "baseline_problem", "squash"]
