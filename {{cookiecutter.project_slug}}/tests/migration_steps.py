"""Run revisions one at a time on one connection, quickly; and the stairway built on it.

``alembic upgrade <rev>`` re-reads the revision files and walks the revision graph on
every call, so calling it once per revision makes a check quadratic in the number of
revisions. Here the revisions are loaded once; each step runs the revision's own
``upgrade()`` or ``downgrade()`` and moves ``alembic_version`` exactly as Alembic does.

That takes a few of Alembic's inner parts (``MigrationStep``, ``HeadMaintainer`` and some
underscored attributes of ``MigrationContext``): should a new Alembic release change
them, these tests fail here first, and ``alembic upgrade`` itself is not affected.
"""

from __future__ import annotations

import warnings

from alembic.operations import Operations
from alembic.runtime.migration import HeadMaintainer, MigrationContext, MigrationStep, RevisionStep
from alembic.script import Script, ScriptDirectory
from sqlalchemy import Connection, bindparam, event

from {{ cookiecutter.package_name }}.migrations.options import context_options

from schema_snapshot import SchemaSnapshot


class RevisionStepper:
    def __init__(self, connection: Connection, scripts: ScriptDirectory) -> None:
        self.connection = connection
        self.scripts = scripts
        self.context = MigrationContext.configure(
            connection, opts=context_options(connection.dialect.name)
        )
        self.context._ensure_version_table()
        # Whether a revision committed, in ``op.get_context().autocommit_block()``.
        self.committed = False
        event.listen(connection, "commit", self.note_commit)
        # What alembic_version holds, kept in step with the table as we write to it.
        self.heads = set(self.context.get_current_heads())
        # The UPDATE that moves alembic_version one step, built once and reused.
        version = self.context._version
        self.move_version = (
            version.update()
            .where(version.c.version_num == bindparam("old"))
            .values(version_num=bindparam("new"))
        )

    def note_commit(self, _connection: Connection) -> None:
        self.committed = True

    def revisions(self) -> list[Script]:
        """Every revision, oldest first."""
        return list(reversed(list(self.scripts.walk_revisions())))

    def transactional(self) -> bool:
        """Whether rolling back the connection's transaction undoes schema changes too
        (SQLite as db.py sets it up, PostgreSQL; not MySQL)."""
        return bool(self.context.impl.transactional_ddl)

    def current(self) -> tuple[str, ...]:
        """What ``alembic_version`` says now, read from the database."""
        return self.context.get_current_heads()

    def upgrade(self, revision: Script) -> None:
        self.run(MigrationStep.upgrade_from_script(self.scripts.revision_map, revision))

    def downgrade(self, revision: Script) -> None:
        self.run(MigrationStep.downgrade_from_script(self.scripts.revision_map, revision))

    def run(self, step: RevisionStep) -> None:
        # Each step runs as its own `alembic` command would. The context remembers which
        # PostgreSQL enum types it created, and would not create one again after a
        # downgrade dropped it.
        self.context.impl.memo.clear()
        # A revision may commit what came before it, to run a statement outside any
        # transaction (CREATE INDEX CONCURRENTLY, in an autocommit block): Alembic then
        # commits the transaction it knows of, and opens the next one.
        self.context._transaction = self.connection.get_transaction()
        with Operations.context(self.context):
            step.migration_fn()
        self.record(step)

    def record(self, step: RevisionStep) -> None:
        """Write the step into ``alembic_version``, as ``alembic upgrade`` would."""
        old, new = step.from_revisions, step.to_revisions
        if self.heads == set(old) and len(old) == len(new) == 1:
            # A straight stretch of history: one revision id replaces another. Alembic's
            # HeadMaintainer writes the same row, but first walks every older revision
            # to rule out a branch, which over a long history costs more than the step.
            self.replace_version(old[0], new[0])
        else:
            # The first or last revision, a branch point or a merge: Alembic works out
            # which rows to insert, update or delete.
            maintainer = HeadMaintainer(self.context, self.heads)
            maintainer.update_to_step(step)
            self.heads = maintainer.heads

    def replace_version(self, old: str, new: str) -> None:
        result = self.connection.execute(self.move_version, {"old": old, "new": new})
        assert result.rowcount == 1, f"alembic_version does not hold {old!r}"
        self.heads = {new}


def climb_stairway(connection: Connection, scripts: ScriptDirectory) -> str | None:
    """Up to each revision, down one, compare the schema with before, up again.

    Returns what the first downgrade() that does not undo its upgrade() left behind, or
    None. The schema snapshot re-reads only what each statement names; should it find a
    trace, or lose track of the schema (a statement changed a table it does not name), the
    climb starts over from the empty database and reads the whole schema at every step:
    where rolling back the one transaction it ran in leaves an empty database, that is
    on PostgreSQL and SQLite, unless a revision committed.
    """
    stepper = RevisionStepper(connection, scripts)
    with SchemaSnapshot(connection) as schema:
        found = climb(stepper, schema)
    if found is None or not stepper.transactional() or stepper.committed:
        return found
    connection.rollback()  # the climb ran in one transaction: back to the empty database
    stepper = RevisionStepper(connection, scripts)
    with SchemaSnapshot(connection, read_everything=True) as schema:
        found_again = climb(stepper, schema)
    if found_again is None:
        warnings.warn(
            f"The stairway started over, reading the whole schema at every step (slower on "
            f"a long history; see tests/schema_snapshot.py), because: {found}",
            stacklevel=2,
        )
    return found_again


def climb(stepper: RevisionStepper, schema: SchemaSnapshot) -> str | None:
    for revision in stepper.revisions():
        stepper.upgrade(revision)
        stepper.downgrade(revision)
        left_behind = schema.differences(schema.catch_up())
        if left_behind:
            return (
                f"downgrade() of {revision.revision} does not undo its upgrade(); "
                f"left behind (before, after): {left_behind}"
            )
        stepper.upgrade(revision)
        schema.catch_up()  # the upgrade's changes are expected: only bring the picture up to date
    unnoticed = schema.unnoticed_changes()
    if unnoticed:
        return f"The schema changed without the statements naming it: {unnoticed}"
    if set(stepper.current()) != set(stepper.scripts.get_heads()):
        return f"alembic_version holds {stepper.current()} at the top of the stairway"
    return None
