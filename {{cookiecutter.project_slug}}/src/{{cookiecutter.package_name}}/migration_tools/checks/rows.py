"""The rows the migration checks follow: the row counts of the tables each step names, and
the sample rows of tests/sample_rows.py."""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterable
from typing import Any

from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, and_, column, func, inspect, select, table
from sqlalchemy.exc import DBAPIError

from ..squashed_file import latest_baseline, squashed_revisions
from .failure import MigrationCheckFailed

# Under a revision id, the rows to write into each of its tables right after it is applied.
SampleRowsByRevision = dict[str, dict[str, list[dict[str, Any]]]]

# Tables counted by one query at most (one scalar subquery each).
COUNTS_PER_QUERY = 100


class RowCounts:
    """How many rows the tables held after each step of the way up, for the tables that
    step's statements named; the way down compares each downgrade() with them.

    A downgrade() must take away the rows its upgrade() wrote (a one-step stairway would
    collide on them), so a table holding more rows than before the upgrade fails. Fewer is
    fine: rows an upgrade deletes (a clean-up) are not expected back.
    """

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.position: dict[str, int] = {}  # revision -> its place on the way up
        self.named_by: dict[str, set[str]] = {}  # revision -> tables its upgrade() named
        # table -> (place, rows) after each step that named it, in order; a step's first
        # entry is just after its upgrade(), a second one after its sample rows.
        self.history: dict[str, list[tuple[int, int]]] = {}

    def start(self, tables: Iterable[str]) -> None:
        """Count the tables there are before the first step."""
        self.record(-1, self.count(set(tables)))

    def after_upgrade(self, revision: str, named: set[str], tables: set[str]) -> None:
        self.position[revision] = len(self.position)
        self.named_by[revision] = named
        self.record(self.position[revision], self.count(named & tables))

    def after_samples(self, revision: str, written: set[str]) -> None:
        if written:
            self.record(self.position[revision], self.count(written))

    def after_downgrade(self, revision: str, named: set[str], tables: set[str]) -> str | None:
        """What the downgrade() of ``revision`` left behind, if anything."""
        place = self.position.get(revision)
        if place is None:
            return None
        candidates = (self.named_by[revision] | named) & tables
        before = {name: self.rows_before(name, place) for name in candidates}
        known = {name: rows for name, rows in before.items() if rows is not None}
        now = self.count(set(known))
        for name in sorted(known):
            extra = now[name] - known[name]
            if extra > 0:
                wrote = self.rows_after(name, place)
                wrote_text = "none" if wrote is None else f"{wrote - known[name]}"
                return (
                    f"left {extra} row{'s' if extra != 1 else ''} behind in {name} "
                    f"(its upgrade() wrote {wrote_text})"
                )
        return None

    def record(self, place: int, counts: dict[str, int]) -> None:
        for name, rows in counts.items():
            self.history.setdefault(name, []).append((place, rows))

    def rows_before(self, name: str, place: int) -> int | None:
        """The rows ``name`` held before the step at ``place``, if known."""
        entries = self.history.get(name, [])
        index = bisect.bisect_left(entries, (place, -1))
        return entries[index - 1][1] if index else None

    def rows_after(self, name: str, place: int) -> int | None:
        """The rows ``name`` held just after the upgrade() at ``place``, if counted."""
        entries = self.history.get(name, [])
        index = bisect.bisect_left(entries, (place, -1))
        return entries[index][1] if index < len(entries) and entries[index][0] == place else None

    def count(self, names: set[str]) -> dict[str, int]:
        """The row count of each table in ``names``: one query per hundred tables."""
        ordered = sorted(names)
        counts: dict[str, int] = {}
        for start in range(0, len(ordered), COUNTS_PER_QUERY):
            chunk = ordered[start : start + COUNTS_PER_QUERY]
            query = select(
                *(select(func.count()).select_from(table(name)).scalar_subquery() for name in chunk)
            )
            counts.update(zip(chunk, self.connection.execute(query).one(), strict=True))
        return counts


class SampleRows:
    """Writes the rows of tests/sample_rows.py just after their revision, checks after every
    later step that each is still there, unchanged (whatever else the table holds), as long
    as its table and columns exist, and takes them away when their revision is undone."""

    def __init__(
        self, connection: Connection, scripts: ScriptDirectory, samples: SampleRowsByRevision
    ) -> None:
        self.connection = connection
        self.samples = after_squashes(samples, squashed_revisions(scripts))
        # revision -> table -> the rows written there, while they are in the database
        self.written: dict[str, dict[str, list[dict[str, Any]]]] = {}
        unknown = [revision for revision in self.samples if not has_revision(scripts, revision)]
        if unknown:
            raise MigrationCheckFailed(
                f"tests/sample_rows.py writes rows at revision {', '.join(unknown)}, which no "
                "revision file has: point it at the revision that creates those tables."
            )

    def write(self, revision: str, file: str) -> set[str]:
        """Insert the sample rows of ``revision``; the tables written to."""
        written = {}
        for name, rows in self.samples.get(revision, {}).items():
            sample = table(name, *(column(key) for key in rows[0]))
            try:
                self.connection.execute(sample.insert(), rows)
            except DBAPIError as error:
                raise MigrationCheckFailed(
                    f"The sample rows of {name} do not fit the table as {file} leaves it: "
                    f"{error.orig}. Update tests/sample_rows.py."
                ) from None
            written[name] = rows
        if written:
            self.written[revision] = written
        return set(written)

    def take_away(self, revision: str, tables: set[str]) -> None:
        """Delete the rows written after ``revision``, now that it is undone."""
        columns_of: dict[str, set[str]] = {}
        for name, rows in self.written.pop(revision, {}).items():
            if name not in tables:
                continue
            if name not in columns_of:
                columns_of[name] = self.column_names(name)
            for row in rows:
                kept = {key: value for key, value in row.items() if key in columns_of[name]}
                if kept:
                    sample = table(name, *(column(key) for key in kept))
                    match = and_(*(sample.c[key] == value for key, value in kept.items()))
                    self.connection.execute(sample.delete().where(match))

    def forget(self) -> None:
        self.written.clear()

    def check(self, touched: set[str] | None, tables: set[str], upgrade: bool, file: str) -> None:
        """Each sample row still in its table, unchanged, after the step of ``file``."""
        expected: dict[tuple[str, tuple[str, ...]], Counter[tuple[Any, ...]]] = {}
        for by_table in self.written.values():
            for name in [name for name in by_table if name not in tables]:
                del by_table[name]  # its table is gone: downgraded, or dropped
            for name, rows in by_table.items():
                if touched is not None and name not in touched:
                    continue  # no statement of this step named the table
                for row in rows:
                    key = (name, tuple(row))
                    expected.setdefault(key, Counter())[tuple(row.values())] += 1
        for (name, keys), wanted in sorted(expected.items(), key=repr):
            found = self.read(name, keys)
            if found is None:
                continue  # a column of the sample is gone
            missing = wanted - found
            if missing:
                lost = dict(zip(keys, sorted(missing, key=repr)[0], strict=True))
                raise MigrationCheckFailed(
                    f"{'upgrade' if upgrade else 'downgrade'}() of {file} changed the sample "
                    f"rows of {name} (tests/sample_rows.py): {lost} is no longer there"
                    f"{similar_rows(keys, lost, found)}"
                )

    def read(self, name: str, keys: tuple[str, ...]) -> Counter[tuple[Any, ...]] | None:
        """The rows now in the sample's columns, or None when a column is gone."""
        if not set(keys) <= self.column_names(name):
            return None
        sample = table(name, *(column(key) for key in keys))
        return Counter(map(tuple, self.connection.execute(select(*sample.c))))

    def column_names(self, name: str) -> set[str]:
        return {found["name"] for found in inspect(self.connection).get_columns(name)}

    def tables_of(self, revision: str) -> set[str]:
        return set(self.samples.get(revision, {}))


def after_squashes(samples: SampleRowsByRevision, squashed: dict[str, str]) -> SampleRowsByRevision:
    """The samples of a squashed revision (migrations/squashed.txt) written after the
    baseline that replaced it, with the baseline's own."""
    found: SampleRowsByRevision = {}
    for revision, tables in samples.items():
        into = found.setdefault(latest_baseline(revision, squashed), {})
        for name, rows in tables.items():
            into[name] = [*into.get(name, []), *rows]
    return found


def similar_rows(
    keys: tuple[str, ...], lost: dict[str, Any], found: Counter[tuple[Any, ...]]
) -> str:
    """The rows that share the lost row's first value (its id, usually): what it became."""
    first = keys[0]
    near = [dict(zip(keys, row, strict=True)) for row in found if row[0] == lost[first]]
    return f"; found {near[0]}" if len(near) == 1 else ""


def has_revision(scripts: ScriptDirectory, revision: str) -> bool:
    try:
        return scripts.get_revision(revision) is not None
    except CommandError:  # "Can't locate revision identified by ..."
        return False
