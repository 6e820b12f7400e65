"""Which revisions a squash up to a revision replaces, and whether it can."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic.script import Script, ScriptDirectory
from alembic.util import CommandError

from ..phases import ancestors, parents_of


class HistoryRefused(Exception):
    """The history cannot be squashed up to that revision; the message says why."""


@dataclass(frozen=True)
class Squashed:
    """The revisions a squash replaces, oldest first; ``last`` is the one named."""

    last: Script
    scripts: list[Script]

    @property
    def ids(self) -> list[str]:
        return [script.revision for script in self.scripts]

    @property
    def files(self) -> list[Path]:
        return [Path(str(script.path)) for script in self.scripts]


def squashed_revisions(scripts: ScriptDirectory, upto: str) -> Squashed:
    """The revision ``upto`` and every revision before it; refused when a revision kept
    after the squash builds on one of them other than ``upto`` (a branch the baseline
    would cut off)."""
    try:
        last = scripts.get_revision(upto)
    except CommandError as error:
        raise HistoryRefused(str(error)) from None
    if last is None:
        raise HistoryRefused(f"No revision {upto!r} to squash up to.")
    every = list(scripts.walk_revisions())
    parents = {script.revision: parents_of(script, scripts) for script in every}
    gone = ancestors([last.revision], parents)
    for script in every:
        cut = (parents[script.revision] & gone) - {last.revision}
        if script.revision not in gone and cut:
            raise HistoryRefused(
                f"Cannot squash up to {last.revision}: {script.revision} "
                f"({Path(str(script.path)).name}) builds on {', '.join(sorted(cut))}, which "
                "the squash would replace. Squash up to a revision every kept one comes after."
            )
    if len(gone) == 1:
        raise HistoryRefused(f"{last.revision} is the first revision: nothing to squash.")
    # walk_revisions goes from the heads down: oldest first is the other way round.
    return Squashed(last, [script for script in reversed(every) if script.revision in gone])
