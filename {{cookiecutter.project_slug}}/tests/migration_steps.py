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
from sqlalchemy import Connection

from {{ cookiecutter.package_name }}.migrations.options import context_options


class RevisionStepper:
    def __init__(self, connection: Connection, scripts: ScriptDirectory) -> None:
        self.scripts = scripts
        self.context = MigrationContext.configure(
            connection, opts=context_options(connection.dialect.name)
        )
        self.context._ensure_version_table()
        self.heads = HeadMaintainer(self.context, self.context.get_current_heads())

    def revisions(self) -> list[Script]:
        """Every revision, oldest first."""
        return list(reversed(list(self.scripts.walk_revisions())))

    def current(self) -> tuple[str, ...]:
        """What ``alembic_version`` says now."""
        return self.context.get_current_heads()

    def upgrade(self, revision: Script) -> None:
        self.run(MigrationStep.upgrade_from_script(self.scripts.revision_map, revision))

    def downgrade(self, revision: Script) -> None:
        self.run(MigrationStep.downgrade_from_script(self.scripts.revision_map, revision))

    def run(self, step: RevisionStep) -> None:
        with Operations.context(self.context):
            step.migration_fn()
        self.heads.update_to_step(step)
