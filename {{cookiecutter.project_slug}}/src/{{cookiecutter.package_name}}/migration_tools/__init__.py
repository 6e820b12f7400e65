"""The project's migration tooling, beside Alembic's own folder (``../migrations/``).

Alembic runs ``migrations/env.py``; env.py and the tests call on what is here:

* ``config``: Alembic's configuration, read from ``alembic.ini`` (the one source of it);
* ``commands``: ``upgrade()`` and ``downgrade()`` for application code;
* ``lock`` and ``timeouts``: one deploy at a time, and no migration stalling a busy table;
* ``messages`` (with ``partial_runs``): the usual mistakes told in one line, and on MySQL
  what a failed revision ran before it failed;
* ``head_file``: ``migrations/head.txt``, which makes parallel revisions a git conflict;
* ``autogenerate`` and ``naming``: what autogenerate writes, and how constraints are named;
* ``phases``: the two phases of a deploy (``make db-expand``, then ``make db-contract``);
* ``previous_release`` (with ``released_models``): the release in production still works
  on the schema a deploy's first phase leaves;
* ``safety``: the migration safety lint;
* ``squash`` (with ``squashed_file``): the revisions up to one replaced by a proven
  baseline (``make squash upto=<revision>``), and a clear refusal for a database older
  than it;
* ``checks``: the machinery of the migration tests in ``tests/test_migrations.py``.

Nothing here names this project: it works from ``alembic.ini`` and the database URL alone.
"""


class IrreversibleMigration(NotImplementedError):
    """Raised by the ``downgrade()`` of a revision that cannot be undone.

    The migration tests go down no further than such a revision, and say so. They find it
    by the name ``IrreversibleMigration`` (or ``NotImplementedError``) in the body of
    ``downgrade()``: raise it there, not from a helper. docs/migrations.md shows when.
    """
