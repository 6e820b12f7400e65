"""The migration safety lint: it flags operations that are correct but dangerous on a
database in use (a table locked for minutes, a column dropped while the running release
reads it) and says the safe way. docs/migrations.md, "Migrations on a live database".

    python -m <package>.migration_tools.safety              # every revision
    python -m <package>.migration_tools.safety FILE ...     # these revisions

It reads the SQL each revision runs (render.py), for the project's own database: squawk
and a few rules of its own on PostgreSQL (rules_postgresql.py), rules that know what
MySQL and MariaDB do online on those (rules_mysql.py), and what breaks the running
release on every engine (rules.py). The tests run it on every revision, pre-commit on the
revisions a commit changes. A finding is accepted only by a waiver on its operation that
says why it is safe there (waivers.py).

A project that brings a history whose older revisions already ran in production starts
the lint after the last of them, in alembic.ini::

    [migration_tools]
    safety_lint_start_after = 3f9c2a1b7d40
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError

from ..config import read_config, tools_option
from ..revision_files import dangling_reference_of, explain_unreadable
from . import rules, rules_mysql, rules_postgresql
from .contract_steps import ContractSteps
from .findings import Finding, finding, shown_path
from .render import Revision, RevisionFile, RevisionScript, render
from .waivers import waived

START_AFTER = "safety_lint_start_after"
DATABASES = ("sqlite", "postgresql", "mysql")


def problems(
    paths: Iterable[Path] | None = None, scripts: ScriptDirectory | None = None
) -> list[str]:
    """What is unsafe in the revisions at ``paths`` (all revisions when None), one report
    per finding no waiver accepts, per malformed waiver, per revision that cannot be
    rendered, and per path that is not a revision the lint checks. ``scripts``: the
    project's revisions when the caller has read them already (Alembic reads every file
    once per ScriptDirectory)."""
    config = read_config()
    scripts = scripts or ScriptDirectory.from_config(config)
    database = tools_option(config, "database", "sqlite") or "sqlite"
    if database not in DATABASES:
        raise SystemExit(
            f"alembic.ini, [migration_tools] database = {database}: write one of "
            f"{', '.join(DATABASES)}."
        )
    lintable, reports = revisions(config, scripts, paths)
    rendered = render(config, lintable, database)
    findings_of: dict[Path, list[Finding]] = defaultdict(list)
    for found in find_dangers(rendered, database):
        findings_of[found.path].append(found)
    contract_steps = ContractSteps()
    for revision in rendered:
        if revision.unrenderable is not None:
            reports.append(
                f"{shown_path(revision.path)}: cannot be rendered as SQL, so it was not "
                f"linted: {revision.unrenderable}"
            )
            continue
        unwaived, waiver_problems = waived(revision.path, findings_of[revision.path])
        unwaived = contract_steps.still_unsafe(revision.script, unwaived)
        reports += [found.report() for found in unwaived] + waiver_problems
    return reports


def find_dangers(revisions: Sequence[Revision], database: str) -> Iterator[Finding]:
    renderable = [revision for revision in revisions if revision.unrenderable is None]
    for revision in renderable:
        if revision.copied_table and database != "sqlite":  # SQLite alters by copying
            operation = f'batch_alter_table("{revision.copied_table}", recreate="always")'
            yield finding(revision.path, "table-copy", operation, line=revision.copy_line)
    if database == "postgresql":
        yield from rules_postgresql.find_dangers(renderable)
        return
    for revision in renderable:
        parts = rules.Parts(revision)
        yield from rules.find_dangers(parts, database)
        if database == "mysql":
            yield from rules_mysql.find_dangers(parts)


def revisions(
    config: Config, scripts: ScriptDirectory, paths: Iterable[Path] | None
) -> tuple[list[RevisionScript], list[str]]:
    """The revisions to lint, oldest first (every one when ``paths`` is None, less those up
    to the start setting), and a report for each path that is not a revision."""
    start = tools_option(config, START_AFTER)
    found: list[RevisionScript] = []
    if paths is not None and not start:
        # The quick way, for pre-commit: only these files are read, not the whole history.
        found, others, broken = revision_files(scripts, paths)
        if not others or broken:
            return found, broken
        paths = others  # outside the versions folder: looked for in the whole history
    everything = list(reversed(list(scripts.walk_revisions())))
    skipped: set[str] = set()
    if start:
        try:
            skipped = {script.revision for script in scripts.iterate_revisions(start, "base")}
        except CommandError:
            raise SystemExit(
                f"alembic.ini, [migration_tools] {START_AFTER} = {start}: no such revision; "
                "name the last revision the lint should skip (`alembic history` lists them)."
            ) from None
    lintable: list[RevisionScript] = [
        script for script in everything if script.revision not in skipped
    ]
    if paths is None:
        return lintable, []
    by_path = {Path(str(script.path)).resolve(): script for script in everything}
    wanted, reports = [], []
    for path in paths:
        script = by_path.get(path.resolve())
        if script is None:
            reports.append(not_a_revision(path))
        elif script.revision not in skipped:
            wanted.append(script)
    return found + [script for script in lintable if script in wanted], reports


def revision_files(
    scripts: ScriptDirectory, paths: Iterable[Path]
) -> tuple[list[RevisionScript], list[Path], list[str]]:
    """The revision files at ``paths`` in the versions folder, each read on its own; the
    paths that are not; and why each file Python cannot run is broken, in one line."""
    folders = {Path(folder).resolve() for folder in scripts.version_locations or [scripts.versions]}
    found: list[RevisionScript] = []
    others = []
    broken = []
    for path in paths:
        revision = None
        if path.suffix == ".py" and path.is_file() and path.resolve().parent in folders:
            try:
                revision = RevisionFile.load(path)
            except Exception as error:
                broken.append(explain_unreadable(error, scripts))
                continue
        if revision is None:
            others.append(path)
        else:
            found.append(revision)
    if found and not broken:  # a down_revision naming no revision breaks every command
        folder = Path(scripts.versions).resolve()
        dangling = dangling_reference_of([revision.module for revision in found], folder)
        broken += [dangling] if dangling else []
    return found, others, broken


def not_a_revision(path: Path) -> str:
    return (
        f"{path}: not a revision of this project (none of the files `alembic history` "
        "lists), so it was not linted"
    )
