"""Run revisions one at a time on one connection, quickly.

``alembic upgrade <rev>`` re-reads the revision files and walks the revision graph on
every call, so calling it once per revision makes a check quadratic in the number of
revisions. Here the revisions are loaded once; each step runs the revision's own
``upgrade()`` or ``downgrade()`` and moves ``alembic_version`` exactly as Alembic does.
"""

from __future__ import annotations

from alembic.operations import Operations
from alembic.runtime.migration import HeadMaintainer, MigrationContext, MigrationStep, RevisionStep
from alembic.script import Script, ScriptDirectory
from sqlalchemy import Connection, bindparam

from {{ cookiecutter.package_name }}.migrations.options import context_options


class RevisionStepper:
    def __init__(self, connection: Connection, scripts: ScriptDirectory) -> None:
        self.connection = connection
        self.scripts = scripts
        self.context = MigrationContext.configure(
            connection, opts=context_options(connection.dialect.name)
        )
        self.context._ensure_version_table()
        # What alembic_version holds, kept in step with the table as we write to it.
        self.heads = set(self.context.get_current_heads())
        # The UPDATE that moves alembic_version one step, built once and reused.
        version = self.context._version
        self.move_version = (
            version.update()
            .where(version.c.version_num == bindparam("old"))
            .values(version_num=bindparam("new"))
        )

    def revisions(self) -> list[Script]:
        """Every revision, oldest first."""
        return list(reversed(list(self.scripts.walk_revisions())))

    def current(self) -> tuple[str, ...]:
        """What ``alembic_version`` says now, read from the database."""
        return self.context.get_current_heads()

    def upgrade(self, revision: Script) -> None:
        self.run(MigrationStep.upgrade_from_script(self.scripts.revision_map, revision))

    def downgrade(self, revision: Script) -> None:
        self.run(MigrationStep.downgrade_from_script(self.scripts.revision_map, revision))

    def run(self, step: RevisionStep) -> None:
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
