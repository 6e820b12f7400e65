"""The migration safety lint: it flags operations that are correct but dangerous on a
database in use (a table locked for minutes, a column dropped while the running release
reads it) and says the safe way. docs/migrations.md, "Migrations on a live database".

    python -m <package>.migration_tools.safety              # every revision
    python -m <package>.migration_tools.safety FILE ...     # these revisions

The tests run it on every revision, pre-commit on the revisions a commit changes. A finding
is accepted only by a waiver in its revision that says why it is safe there (waivers.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from alembic.script import Script, ScriptDirectory

from ..config import read_config, tools_option
from . import rules, rules_postgresql
from .findings import Finding
from .waivers import waived


def problems(paths: Iterable[Path] | None = None) -> list[str]:
    """What is unsafe in the revisions at ``paths`` (all revisions when None), one report
    per finding no waiver accepts and per malformed waiver."""
    scripts = revisions(paths)
    # PostgreSQL's rules are squawk's; the other engines have the project's own.
    database = tools_option(read_config(), "database", "sqlite")
    find_dangers = rules_postgresql.find_dangers if database == "postgresql" else rules.find_dangers
    findings_of: dict[Path, list[Finding]] = defaultdict(list)
    for found in find_dangers(scripts):
        findings_of[found.path].append(found)
    reports = []
    for script in scripts:
        path = Path(str(script.path))
        unwaived, waiver_problems = waived(path, findings_of[path])
        reports += [found.report() for found in unwaived] + waiver_problems
    return reports


def revisions(paths: Iterable[Path] | None) -> list[Script]:
    """The revisions at ``paths``, oldest first; every revision when ``paths`` is None."""
    scripts = ScriptDirectory.from_config(read_config())
    everything = list(reversed(list(scripts.walk_revisions())))
    if paths is None:
        return everything
    wanted = {path.resolve() for path in paths}
    return [script for script in everything if Path(str(script.path)).resolve() in wanted]
