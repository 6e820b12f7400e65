"""Which revisions a squash up to a revision replaces, and whether it can."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic.config import Config
from alembic.script import Script, ScriptDirectory
from alembic.util import CommandError

from ..config import alembic_ini, tools_option
from ..head_file import head_file
from ..phases import ancestors, parents_of
from ..previous_release import find_release, git
from ..revision_files import ID_LINE


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


def release_squashed_away(
    config: Config, scripts: ScriptDirectory, squashed: Squashed
) -> str | None:
    """Why the squash would strand the release the previous-release check compares with:
    its head revision would be replaced by the baseline, so its databases could not
    upgrade. None when it would not, or when there is no release to tell."""
    root = alembic_ini().parent.resolve()
    release = find_release(root, None, tools_option(config, "main_branch", "main") or "main")
    if isinstance(release, str):
        return None

    def at_release(path: Path) -> str | None:
        shown = git(
            root, "show", f"{release.commit}:./{path.resolve().relative_to(root).as_posix()}"
        )
        return shown.stdout.decode(errors="replace") if shown.returncode == 0 else None

    named = at_release(head_file(scripts))
    source = at_release(Path(scripts.versions) / named.strip()) if named else None
    found = ID_LINE.search(source) if source else None
    if found is None or found[1] not in squashed.ids[:-1]:
        return None
    return (
        f"Cannot squash up to {squashed.last.revision}: {release.name} is at revision "
        f"{found[1]}, which the squash would replace, so its databases could not upgrade. "
        f"Squash up to {found[1]} or an earlier revision, or release this history first."
    )
