"""Up to head, down to base and up again, through env.py, checking the schema at each step.

Each run is one ``alembic`` command on the test's connection, so the revisions run as in
production: with env.py's options, lock and transactions, on the project's own driver.
Alembic calls ``after_step`` once a revision is applied (``on_version_apply``), and there:

* going up, the changes each revision makes to the schema are recorded;
* going down, each downgrade() must put back exactly what its upgrade() changed;
* going up again, each upgrade() must change the schema as it did the first time;
* and the sample rows (sample_rows.py) must stay as they were written.

Three runs for the whole history, and the schema picture (schema_snapshot.py) re-reads only
what each step's statements name: the checks stay linear in the number of revisions.
"""

from __future__ import annotations

import traceback
import warnings
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationInfo
from alembic.script import Script, ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, column, inspect, select, table
from sqlalchemy.exc import DBAPIError

from sample_rows import SAMPLE_ROWS
from schema_snapshot import Changes, SchemaSnapshot, compare, explain

# What a downgrade() raises when its revision cannot be undone (see migrations/__init__.py).
IRREVERSIBLE = {"IrreversibleMigration", "NotImplementedError"}


class MigrationCheckFailed(AssertionError):
    """A revision did not do what it should; the message says which one, and how."""


class LostTrack(Exception):
    """A statement changed the schema where it does not name it (schema_snapshot.py)."""


def check_migrations(connection: Connection, config: Config, scripts: ScriptDirectory) -> None:
    """Run the three runs on ``connection``, an empty database; leave it at head.

    Should the schema picture lose track, the runs start over from the lowest revision,
    reading the whole schema at every step, and say so in a warning.
    """
    runs = MigrationRuns(connection, config, scripts)
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
    def __init__(self, connection: Connection, config: Config, scripts: ScriptDirectory) -> None:
        self.connection = connection
        self.config = config
        self.scripts = scripts
        self.floor = lowest_revision_to_undo(scripts)
        self.samples = SampleRows(connection, scripts)
        self.first_up: dict[str, Changes] = {}
        self.phase = "up"
        self.at_head = False

    def climb(self, *, read_everything: bool) -> None:
        with SchemaSnapshot(self.connection, read_everything=read_everything) as schema:
            self.schema = schema
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
        self.samples.written.clear()

    def run(self, phase: str, alembic_command: Any, target: str) -> None:
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

    def after_step(self, *, step: MigrationInfo, **_: Any) -> None:
        """Called by Alembic after each revision, inside the run's transaction."""
        if not step.is_migration:
            return
        revision = step.up_revision_id
        assert revision is not None
        changes = self.schema.catch_up()
        if self.phase == "up":
            self.first_up[revision] = changes
            if revision == self.floor:
                self.at_floor = dict(self.schema.entries)
        else:
            self.compare(revision, changes, first=self.first_up.get(revision, {}))
        with self.schema.unnoted():
            self.samples.after_step(revision, step.is_upgrade, self.schema, self.file(revision))

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


class SampleRows:
    """Writes the rows of sample_rows.py just after their revision, and checks them after
    every later step, as long as their table and columns exist."""

    def __init__(self, connection: Connection, scripts: ScriptDirectory) -> None:
        self.connection = connection
        self.written: dict[str, list[dict[str, Any]]] = {}
        unknown = [revision for revision in SAMPLE_ROWS if not has_revision(scripts, revision)]
        if unknown:
            raise MigrationCheckFailed(
                f"tests/sample_rows.py writes rows at revision {', '.join(unknown)}, which no "
                "revision file has: point it at the revision that creates those tables."
            )

    def after_step(self, revision: str, upgrade: bool, schema: SchemaSnapshot, file: str) -> None:
        if upgrade:
            for name, rows in SAMPLE_ROWS.get(revision, {}).items():
                self.insert(name, rows, file)
        for name, rows in list(self.written.items()):
            if name not in schema.entries:
                del self.written[name]  # its table is gone: downgraded, or dropped
                continue
            if schema.touched is not None and name not in schema.touched:
                continue  # no statement of this step named the table
            found = self.read(name, rows)
            if found is not None and found != as_tuples(rows):
                raise MigrationCheckFailed(
                    f"{'upgrade' if upgrade else 'downgrade'}() of {file} changed the sample "
                    f"rows of {name} (tests/sample_rows.py): expected {as_tuples(rows)}, "
                    f"found {found}"
                )

    def insert(self, name: str, rows: list[dict[str, Any]], file: str) -> None:
        sample = table(name, *(column(key) for key in rows[0]))
        try:
            self.connection.execute(sample.insert(), rows)
        except DBAPIError as error:
            raise MigrationCheckFailed(
                f"The sample rows of {name} do not fit the table as {file} leaves it: "
                f"{error.orig}. Update tests/sample_rows.py."
            ) from None
        self.written[name] = rows

    def read(self, name: str, rows: list[dict[str, Any]]) -> list[tuple[Any, ...]] | None:
        """The rows now in the sample's columns, or None when a column is gone."""
        keys = list(rows[0])
        if not set(keys) <= {found["name"] for found in inspect(self.connection).get_columns(name)}:
            return None
        sample = table(name, *(column(key) for key in keys))
        return sorted(map(tuple, self.connection.execute(select(*sample.c))), key=repr)


def has_revision(scripts: ScriptDirectory, revision: str) -> bool:
    try:
        return scripts.get_revision(revision) is not None
    except CommandError:  # "Can't locate revision identified by ..."
        return False


def as_tuples(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return sorted((tuple(row.values()) for row in rows), key=repr)


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
