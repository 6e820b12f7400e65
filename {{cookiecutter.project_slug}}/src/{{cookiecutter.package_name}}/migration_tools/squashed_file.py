"""The squashed file, ``migrations/squashed.txt``: the revisions a squash replaced.

``python -m <package>.migration_tools.squash <revision>`` replaces the revisions from the
first one up to ``<revision>`` with one baseline revision, which keeps ``<revision>``'s id.
A database at one of the replaced revisions has no way up in this code: each line of the
file names one, and the baseline that replaced it, so that ``alembic upgrade`` on such a
database says what to do (messages.py) instead of "Can't locate revision".
"""

from __future__ import annotations

import re
from pathlib import Path

from alembic.script import ScriptDirectory

HEADER = (
    "# Revisions squashed into a baseline (python -m <package>.migration_tools.squash).\n"
    "# Each line: a squashed revision, then the baseline revision that replaced it.\n"
)
UNKNOWN_REVISION = re.compile(r"Can't locate revision identified by '([^']+)'")


def squashed_file(scripts: ScriptDirectory) -> Path:
    return Path(scripts.dir) / "squashed.txt"


def squashed_revisions(scripts: ScriptDirectory) -> dict[str, str]:
    """Each squashed revision id, with the id of the baseline that replaced it."""
    path = squashed_file(scripts)
    if not path.is_file():
        return {}
    found = {}
    for line in path.read_text().splitlines():
        words = line.split("#", 1)[0].split()
        if len(words) == 2:
            found[words[0]] = words[1]
    return found


def latest_baseline(revision: str, squashed: dict[str, str]) -> str:
    """The revision that now stands for ``revision``: itself, or the baseline of the last
    squash that replaced it (a baseline can be squashed in turn)."""
    seen = {revision}
    while revision in squashed and squashed[revision] not in seen:
        revision = squashed[revision]
        seen.add(revision)
    return revision


def add_squashed(scripts: ScriptDirectory, squashed: list[str], baseline: str) -> None:
    """Name ``squashed``, now replaced by ``baseline``, in the file (kept from earlier squashes)."""
    path = squashed_file(scripts)
    text = path.read_text() if path.is_file() else HEADER
    path.write_text(text + "".join(f"{revision} {baseline}\n" for revision in squashed))


def squashed_refusal(scripts: ScriptDirectory, error: str) -> str | None:
    """The one line that replaces Alembic's "Can't locate revision" for a database at a
    squashed revision; None for any other error."""
    found = UNKNOWN_REVISION.search(error)
    if not found:
        return None
    revision = found[1]
    baseline = squashed_revisions(scripts).get(revision)
    if baseline is None:
        return None
    return (
        f"The database is at revision {revision}, which this release no longer has: it was "
        f"squashed into the baseline revision {baseline}. Upgrade the database with a release "
        f"from before the squash (to {baseline} or later), then come back to this one "
        '(docs/migrations.md, "Squashing old revisions").'
    )
