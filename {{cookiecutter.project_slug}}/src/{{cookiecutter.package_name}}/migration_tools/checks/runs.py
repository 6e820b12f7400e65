"""Up to head, down to base and up again, through env.py, checking the schema at each step.

Each run is one ``alembic`` command on the test's connection, so the revisions run as in
production: with env.py's options, lock and transactions, on the project's own driver.
Alembic calls ``after_step`` once a revision is applied (``on_version_apply``), and there:

* going up, the changes each revision makes to the schema, and to the row counts of the
  tables its statements name, are recorded;
* going down, each downgrade() must put back exactly what its upgrade() changed in the
  schema, and take away the rows its upgrade() wrote (rows an upgrade deleted are not
  expected back);
* going up again, each upgrade() must change the schema as it did the first time;
* and the sample rows (tests/sample_rows.py) must stay as they were written.

Three runs for the whole history, and the schema picture (snapshot.py) re-reads only
what each step's statements name: the checks stay linear in the number of revisions.
"""

from __future__ import annotations

import gc
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext, MigrationInfo
from alembic.script import Script, ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection

from .failure import MigrationCheckFailed
from .rows import RowCounts, SampleRows, SampleRowsByRevision
from .snapshot import Changes, SchemaSnapshot, compare, explain

# What a downgrade() raises when its revision cannot be undone (see migration_tools/).
IRREVERSIBLE = {"IrreversibleMigration", "NotImplementedError"}


class LostTrack(Exception):
    """A statement changed the schema where it does not name it (snapshot.py)."""


def check_migrations(
    connection: Connection,
    config: Config,
    scripts: ScriptDirectory,
    sample_rows: SampleRowsByRevision,
) -> None:
    """Run the three runs on ``connection``, an empty database; leave it at head.

    Should the schema picture lose track, the runs start over from the lowest revision,
    reading the whole schema at every step, and say so in a warning.
    """
    # What is alive now (the models, every module) lives all run long: with a thousand
    # models and revisions, each full garbage collection scanning it again took a quarter
    # of the checks' time.
    gc.freeze()
    if connection.dialect.name == "postgresql":
        # A throw-away database: its commits need not wait for the disk.
        connection.exec_driver_sql("SET synchronous_commit = off")
        connection.commit()
    runs = MigrationRuns(connection, config, scripts, sample_rows)
    try:
        runs.climb(read_everything=False)
    except LostTrack as lost:
        runs.back_to_floor()
        runs.climb(read_everything=True)
        warnings.warn(
            "The migration checks started over, reading the whole schema at every step "
            f"(slower on a long history), because: {lost}",
            stacklevel=2,
        )


class MigrationRuns:
    def __init__(
        self,
        connection: Connection,
        config: Config,
        scripts: ScriptDirectory,
        sample_rows: SampleRowsByRevision,
    ) -> None:
        self.connection = connection
        self.config = config
        self.scripts = scripts
        self.floor = lowest_revision_to_undo(scripts)
        self.samples = SampleRows(connection, scripts, sample_rows)
        self.rows = RowCounts(connection)
        self.first_up: dict[str, Changes] = {}
        self.phase = "up"
        self.at_head = False
        self.version_table = "alembic_version"  # until env.py's context says otherwise

    def climb(self, *, read_everything: bool) -> None:
        with SchemaSnapshot(
            self.connection, read_everything=read_everything, version_table=self.version_table
        ) as schema:
            self.schema = schema
            self.rows.start(schema.tables())
            # The schema the way down must come back to: as it is now, or, when the way up
            # passes the floor (an irreversible revision), as that revision leaves it.
            self.at_floor = dict(schema.entries)
            self.run("up", command.upgrade, "heads")
            self.run("down", command.downgrade, self.floor)
            start = self.at_floor
            left = schema.differences(compare(start, schema.entries, start | schema.entries))
            if left:
                raise MigrationCheckFailed(f"At {self.floor} again, but changed:\n{describe(left)}")
            self.run("up again", command.upgrade, "heads")

    def back_to_floor(self) -> None:
        """Go back down unchecked, to where the first run started."""
        if self.at_head:
            self.config.attributes["connection"] = self.connection
            self.connection.commit()
            command.downgrade(self.config, self.floor)
        self.first_up.clear()
        self.samples.forget()
        self.rows = RowCounts(self.connection)

    def run(self, phase: str, alembic_command: Callable[[Config, str], None], target: str) -> None:
        self.phase = phase
        self.config.attributes.update(connection=self.connection, on_version_apply=self.after_step)
        # End the transaction the schema reads began, so that env.py begins and commits its
        # own, as in production: an autocommit_block() needs the transaction to be env.py's.
        self.connection.commit()
        try:
            alembic_command(self.config, target)
        except (MigrationCheckFailed, LostTrack):
            raise
        except CommandError as error:  # env.py has said what failed, in one line
            raise MigrationCheckFailed(str(error)) from None
        except Exception as error:
            where = step_name(failed_step(error, self.scripts), f"The way {phase}")
            raise MigrationCheckFailed(f"{where} failed: {type(error).__name__}: {error}") from None
        finally:
            del self.config.attributes["on_version_apply"]
        self.at_head = phase != "down"
        unnoticed = self.schema.unnoticed_changes()
        if unnoticed:
            raise LostTrack(f"after the way {phase}, {describe(unnoticed)}")

    def after_step(self, *, ctx: MigrationContext, step: MigrationInfo, **_: Any) -> None:
        """Called by Alembic after each revision, inside the run's transaction."""
        if not step.is_migration:
            return
        revision = step.up_revision_id
        assert revision is not None
        self.version_table = self.schema.version_table = ctx.version_table
        changes = self.schema.catch_up()
        if self.phase == "up":
            self.first_up[revision] = changes
            if revision == self.floor:
                self.at_floor = dict(self.schema.entries)
        else:
            self.compare(revision, changes, first=self.first_up.get(revision, {}))
        file = self.file(revision)
        tables = self.schema.tables()
        with self.schema.unnoted():
            if self.phase == "up":
                self.rows.after_upgrade(revision, self.schema.named, tables)
            if step.is_upgrade:
                written = self.samples.write(revision, file)
                if self.phase == "up":
                    self.rows.after_samples(revision, written)
            else:
                self.samples.take_away(revision, tables)
                left = self.rows.after_downgrade(revision, self.schema.named, tables)
                if left:
                    raise MigrationCheckFailed(f"downgrade() of {file} {left}")
            self.samples.check(self.schema.touched, tables, step.is_upgrade, file)

    def compare(self, revision: str, changes: Changes, first: Changes) -> None:
        """Going down: the schema as before the first upgrade. Going up again: as after it."""
        down = self.phase == "down"
        pairs = {}
        for key in first.keys() | changes.keys():
            # A table the first upgrade left alone must stay as it was.
            expected = first[key][0 if down else 1] if key in first else changes[key][0]
            actual = changes[key][1] if key in changes else first[key][1 if down else 0]
            if expected != actual:
                pairs[key] = (expected, actual)
        differences = self.schema.differences(pairs)
        if differences:
            what = "does not undo its upgrade()" if down else "differs from the first upgrade"
            raise MigrationCheckFailed(
                f"{'downgrade' if down else 'upgrade'}() of {self.file(revision)} {what}:\n"
                + describe(differences)
            )

    def file(self, revision: str) -> str:
        script = self.scripts.get_revision(revision)
        return Path(str(script.path)).name if script else revision


def current_heads(config: Config, connection: Connection) -> tuple[str, ...]:
    """The revisions the database at ``connection`` is at, read through env.py, so that its
    options (a ``version_table`` of its own) apply."""
    scripts = ScriptDirectory.from_config(config)
    heads: list[str] = []

    def read(_revision: object, migration_context: MigrationContext) -> list[Any]:
        heads.extend(migration_context.get_current_heads())
        return []

    config.attributes["connection"] = connection
    with EnvironmentContext(config, scripts, fn=read, dont_mutate=True):
        scripts.run_env()
    return tuple(heads)


def lowest_revision_to_undo(scripts: ScriptDirectory) -> str:
    """The revision the way down stops at: the newest one whose downgrade() declares it
    cannot be undone, or else "base"."""
    for script in scripts.walk_revisions():
        if irreversible(script):
            warnings.warn(
                f"{Path(str(script.path)).name} is irreversible: the migration checks go down "
                "no further than it.",
                stacklevel=3,
            )
            return script.revision
    return "base"


def irreversible(script: Script) -> bool:
    downgrade = getattr(script.module, "downgrade", None)
    return downgrade is not None and bool(IRREVERSIBLE & set(downgrade.__code__.co_names))


def failed_step(error: BaseException, scripts: ScriptDirectory) -> tuple[str, Script] | None:
    """The function (upgrade or downgrade) and revision of the innermost revision file
    that the traceback of ``error`` passes through."""
    versions = Path(scripts.versions).resolve()
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if Path(frame.filename).resolve().parent == versions
    ]
    if not frames:
        return None
    path = Path(frames[-1].filename).resolve()
    for script in scripts.walk_revisions():
        if Path(str(script.path)).resolve() == path:
            return frames[-1].name, script
    return None


def step_name(step: tuple[str, Script] | None, otherwise: str) -> str:
    """Name a step found by ``failed_step``: upgrade() of 2026_..._add_email.py."""
    if step is None:
        return otherwise
    function, script = step
    return f"{function}() of {Path(str(script.path)).name}"


def describe(differences: Changes) -> str:
    lines = [line for key, pair in sorted(differences.items()) for line in explain(key, *pair)]
    return "\n".join(f"  {line}" for line in lines)
