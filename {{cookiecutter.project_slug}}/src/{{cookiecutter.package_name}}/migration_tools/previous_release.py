"""The previous-release check: the release still running during a deploy keeps working on
the schema the deploy's first phase leaves.

A deploy runs ``make db-expand``, ships the new code, then runs ``make db-contract``
(phases.py). Until the new code is live, the previous release serves traffic on the
expanded schema. This check builds that schema on a throw-away database: the migrations up
to the previous release's newest revision, then what ``db-expand`` runs after it. It reads
the previous release's source out of git, imports its models in a process of their own
(released_models.py), and lets Alembic's ``compare_metadata()`` compare them with that
database. What breaks that release fails the check, one line each:

* a table or a column it maps is gone (dropped, or renamed);
* a column it maps has a type that no longer takes what it writes;
* a column it does not know is NOT NULL without a server default: its inserts fail.

::

    python -m <package>.migration_tools.previous_release              # the newest tag
    python -m <package>.migration_tools.previous_release --ref v1.4   # any git ref

The previous release is the newest tag HEAD has, or else the commit where HEAD left the
main branch (``main_branch`` in the ``[migration_tools]`` section of alembic.ini). Without
a git repository, or with neither, there is nothing to compare with, and the check says so.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import URL, MetaData, create_engine, make_url
from sqlalchemy.exc import ArgumentError

from .checks.databases import BLOCKING_DRIVERS, empty_database
from .config import alembic_ini, read_config, tools_option
from .phases import ancestors, expand_plan, parents_of, through_env
from .settings import setting
from .squashed_file import squashed_revisions

# The models of the release, unless alembic.ini's [migration_tools] says otherwise.
PACKAGE = __name__.rsplit(".", 2)[0]
DEFAULT_METADATA = f"{PACKAGE}.models:Base.metadata"
PROBE = Path(__file__).with_name("released_models.py")
# What a git revision is followed by to name its commit (a tag names a tag object).
COMMIT = "^{commit}"
LESSON = 'docs/migrations.md, "Two phases of a deploy"'


@dataclass(frozen=True)
class Release:
    """A release to compare with: how to name it, and its commit."""

    name: str
    commit: str


@dataclass
class Outcome:
    """What the check found: ``problems`` (one line each), or why it ``skipped``."""

    release: str | None = None
    problems: list[str] = field(default_factory=list)
    skipped: str | None = None


@dataclass(frozen=True)
class ReleaseTables:
    """The tables and columns a release maps, and the revisions it has."""

    release: str
    tables: dict[str, frozenset[str]]
    revisions: frozenset[str]

    def maps(self, table: str, column: str | None = None) -> bool:
        """Whether the release uses ``table`` (or that column of it)."""
        return table in self.tables and (column is None or column in self.tables[table])


def check_previous_release(
    server: URL | None = None, ref: str | None = None, at_head: URL | None = None
) -> Outcome:
    """Compare the previous release (``ref``, or the default) with the schema ``make
    db-expand`` leaves, built on a throw-away database on ``server`` (default: the
    ``TEST_DATABASE_URL`` or ``DATABASE_URL`` server, or a SQLite file).

    ``at_head`` is a database already migrated to head (the migration checks leave one):
    when ``make db-expand`` would reach head too, that database is read instead of
    migrating a new one."""
    config = read_config()
    scripts = ScriptDirectory.from_config(config)
    with exported_release(config, scripts, ref) as exported:
        if isinstance(exported, str):
            return Outcome(skipped=exported)
        release, source = exported
        outcome = Outcome(release.name)
        released, lacking = released_revisions(scripts, source)
        if lacking:
            outcome.problems.append(
                f"{release.name} has revisions this history lacks ({', '.join(lacking)}): a "
                "database it migrated is at a revision this code cannot find; put them back, "
                "or compare with another release (REF=...)"
            )
            return outcome
        applied = newest(released, scripts)
        plan = expand_plan(scripts, applied)
        # The release's models are imported while the migrations run.
        with released_models(config, source, release) as compare_with, ExitStack() as stack:
            if at_head is not None and not plan.waiting:  # db-expand runs every revision
                url = blocking(at_head)
            else:
                server = blocking(server or default_server(config, scripts))
                url = stack.enter_context(empty_database(server, source.parent))
                try:
                    migrate(url, [*applied, *plan.targets])
                except CommandError as error:
                    outcome.problems.append(f"The migrations fail before the deploy: {error}")
                    return outcome
            try:
                answer = compare_with(url)
            except CommandError as error:  # that release's models cannot be imported
                outcome.problems.append(str(error))
                return outcome
        outcome.problems += [problem_line(found, release.name) for found in answer["breaks"]]
    return outcome


def previous_release_tables(ref: str | None = None) -> ReleaseTables | None:
    """The tables and columns the previous release (``ref``, or the default) maps; None
    when there is no previous release."""
    config = read_config()
    scripts = ScriptDirectory.from_config(config)
    with exported_release(config, scripts, ref) as exported:
        if isinstance(exported, str):
            return None
        release, source = exported
        with released_models(config, source, release) as compare_with:
            answer = compare_with(None)
        revisions, _ = released_revisions(scripts, source)
    tables = {name: frozenset(columns) for name, columns in answer["tables"].items()}
    return ReleaseTables(release.name, tables, frozenset(revisions))


def current_model_tables() -> dict[str, frozenset[str]]:
    """The tables and columns today's models map (``metadata`` in alembic.ini), imported
    here: what the new code uses once it is live."""
    found = current_metadata()
    return {name: frozenset(c.name for c in table.columns) for name, table in found.tables.items()}


def current_metadata() -> MetaData:
    """Today's models' MetaData (``metadata`` in alembic.ini), imported here."""
    config = read_config()
    spec = tools_option(config, "metadata", DEFAULT_METADATA) or DEFAULT_METADATA
    module_name, _, path = spec.partition(":")
    found: Any = importlib.import_module(module_name)
    for attribute in path.split(".") if path else []:
        found = getattr(found, attribute)
    if not isinstance(found, MetaData):
        raise CommandError(f"metadata = {spec} in alembic.ini names a {type(found).__name__}")
    return found


@contextmanager
def exported_release(
    config: Config, scripts: ScriptDirectory, ref: str | None
) -> Iterator[tuple[Release, Path] | str]:
    """The previous release and its ``src/`` folder, read out of git into a temporary
    folder for as long as the context lasts; or why there is none."""
    root = alembic_ini().parent
    found = find_release(root, ref, tools_option(config, "main_branch", "main") or "main")
    if isinstance(found, str):
        yield found
        return
    with tempfile.TemporaryDirectory(prefix="previous-release-") as folder:
        source = export(root, found, scripts, Path(folder))
        yield source if isinstance(source, str) else (found, source)


def git(root: Path, *arguments: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *arguments], cwd=root, capture_output=True, check=False)


def find_release(root: Path, ref: str | None, main_branch: str) -> Release | str:
    """The release named ``ref``, else the newest tag HEAD has, else the commit where HEAD
    left ``main_branch``; or why there is none."""
    try:
        inside = git(root, "rev-parse", "--is-inside-work-tree")
    except FileNotFoundError:
        return "git is not installed"
    if inside.returncode != 0:
        return f"{root} is not in a git repository"
    if ref:
        commit = git(root, "rev-parse", "--verify", "--quiet", ref + COMMIT)
        if commit.returncode != 0:
            raise CommandError(
                f"REF={ref} names no commit of this repository: name a tag, a branch or a commit"
            )
        return Release(ref, commit.stdout.decode().strip())
    tag = git(root, "describe", "--tags", "--abbrev=0")
    if tag.returncode == 0:
        name = tag.stdout.decode().strip()
        return Release(name, git(root, "rev-parse", name + COMMIT).stdout.decode().strip())
    for branch in (main_branch, f"origin/{main_branch}"):
        base = git(root, "merge-base", "HEAD", branch)
        if base.returncode == 0:
            start = base.stdout.decode().strip()
            if unchanged_since(root, start):  # a fresh project, say: nothing to compare
                return f"nothing has changed since {branch} ({start[:7]})"
            return Release(f"{branch} ({start[:7]})", start)
    return (
        f"no tag, and no branch {main_branch} to start from: tag the release in production "
        "(git tag v1.0), or name one with REF=<tag or commit>"
    )


def unchanged_since(root: Path, commit: str) -> bool:
    """Whether HEAD is ``commit`` and the work tree holds no change to the code or the
    migrations."""
    head = git(root, "rev-parse", "HEAD").stdout.decode().strip()
    changes = git(root, "status", "--porcelain", "--", "src", "alembic.ini")
    return head == commit and changes.returncode == 0 and not changes.stdout.strip()


def export(root: Path, release: Release, scripts: ScriptDirectory, folder: Path) -> Path | str:
    """Write the ``src/`` folder of ``release`` into ``folder``; return where it is, or why
    there is nothing to compare with."""
    prefix = git(root, "rev-parse", "--show-prefix").stdout.decode().strip()
    archive = git(root, "archive", "--format=zip", "-0", release.commit, "--", f"{prefix}src")
    if archive.returncode != 0:
        return f"{release.name} has no src/ folder"
    with zipfile.ZipFile(BytesIO(archive.stdout)) as files:
        files.extractall(folder)
    versions = folder / prefix / Path(scripts.versions).resolve().relative_to(root.resolve())
    if not any(versions.glob("*.py")):
        return f"{release.name} has no migrations yet"
    return folder / prefix / "src"


def released_revisions(scripts: ScriptDirectory, source: Path) -> tuple[set[str], list[str]]:
    """The revisions of the release whose ``src/`` is ``source``, as today's history names
    them, and the file names of those today's history lacks."""
    root = alembic_ini().parent.resolve()
    versions = source.parent / Path(scripts.versions).resolve().relative_to(root)
    files = {path.name for path in versions.glob("*.py") if not path.name.startswith("_")}
    by_file = {Path(str(script.path)).name: script for script in scripts.walk_revisions()}
    released = {by_file[name].revision for name in files & by_file.keys()}
    lacking = sorted(files - by_file.keys())
    # A squash's baseline keeps the id of the last revision it replaced, under another
    # file name; the revisions before it are in it (migrations/squashed.txt).
    squashed = squashed_revisions(scripts)
    baselines = set(squashed.values())
    for name in list(lacking):
        baseline = next((found for found in baselines if found in name), None)
        if baseline is not None:
            released.add(baseline)
            lacking.remove(name)
    return released, [
        name
        for name in lacking
        if not any(old in name and squashed[old] in released for old in squashed)
    ]


def newest(revisions: set[str], scripts: ScriptDirectory) -> list[str]:
    """The revisions of ``revisions`` that no other one of them follows."""
    parents = {script.revision: parents_of(script, scripts) for script in scripts.walk_revisions()}
    older = {parent for revision in revisions for parent in ancestors(parents[revision], parents)}
    return sorted(revisions - older)


def default_server(config: Config, scripts: ScriptDirectory) -> URL:
    """Where the throw-away database goes: the tests' server, or the project's, or a file."""
    for variable in ("TEST_DATABASE_URL", "DATABASE_URL"):
        raw = setting(variable)
        if raw:
            try:
                return make_url(raw)
            except ArgumentError:
                raise CommandError(f"{variable} is not a database URL (see .env.example)") from None
    if tools_option(config, "database", "sqlite") == "sqlite":
        return make_url("sqlite://")
    # The server of the project's default URL, as env.py connects to it.
    try:
        url: URL = through_env(config, scripts, connected_url)
    except CommandError as error:
        raise CommandError(
            f"{error}\nThe previous-release check makes a throw-away database on the server "
            "of DATABASE_URL, or of TEST_DATABASE_URL when it is set."
        ) from None
    return url


def connected_url(migration_context: MigrationContext) -> URL:
    if migration_context.bind is None:
        raise CommandError("env.py connected to no database: set TEST_DATABASE_URL")
    return migration_context.bind.engine.url


def blocking(url: URL) -> URL:
    """``url`` with the blocking driver of its database (the check needs no event loop)."""
    backend = "postgresql" if url.drivername == "postgres" else url.get_backend_name()
    return url.set(drivername=f"{backend}+{BLOCKING_DRIVERS.get(backend, 'pysqlite')}")


def migrate(url: URL, targets: list[str]) -> None:
    """Upgrade the database at ``url`` to each of ``targets``, through env.py."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            config = read_config(connection)
            for target in targets:
                command.upgrade(config, target)
    finally:
        engine.dispose()


@contextmanager
def released_models(
    config: Config, source: Path, release: Release
) -> Iterator[Callable[[URL | None], dict[str, Any]]]:
    """Start released_models.py, which imports the models of ``release`` from its
    ``source``; the function yielded hands it a database URL (or None) and returns its
    answer: the tables the release maps, and what in that database breaks it."""
    script = source.parent / PROBE.name  # beside src/: nothing of today's package is on the path
    shutil.copyfile(PROBE, script)
    metadata = tools_option(config, "metadata", DEFAULT_METADATA) or DEFAULT_METADATA
    process = subprocess.Popen(
        [sys.executable, str(script), metadata, str(source)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=source.parent,
        env={**os.environ, "PYTHONPATH": str(source)},
    )

    def compare_with(url: URL | None) -> dict[str, Any]:
        # On stdin, so that no password shows in the list of processes.
        request = {"url": url.render_as_string(hide_password=False) if url else None}
        stdout, stderr = process.communicate(json.dumps(request))
        if process.returncode != 0:
            reason = (stderr.strip().splitlines() or ["no output"])[-1]
            raise CommandError(f"The models of {release.name} cannot be imported: {reason}")
        # The last line: what the release's own code prints on import comes before it.
        answer: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
        return answer

    try:
        yield compare_with
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def problem_line(found: dict[str, str], release: str) -> str:
    """One line for what breaks ``release``, naming the table and the column."""
    table, column, kind = found["table"], found["column"], found["kind"]
    if kind == "table_gone":
        return (
            f"{table}: {release} uses this table, but it is gone before the new code is live "
            f'(dropped or renamed): do that in a contract step (phase = "contract"; {LESSON})'
        )
    if kind == "column_gone":
        return (
            f"{table}.{column}: {release} uses this column, but it is gone before the new "
            f'code is live (dropped or renamed): do that in a contract step (phase = "contract"; '
            f"{LESSON})"
        )
    if kind == "required_column":
        return (
            f"{table}.{column}: NOT NULL without a server default, and {release} does not know "
            "this column: its inserts fail. Add it nullable or with a server_default (and make "
            f"it NOT NULL in a contract step; {LESSON})"
        )
    return (
        f"{table}.{column}: {found['was']} in {release}, {found['now']} before the new code is "
        f"live: {release} may write what it refuses. Widen a type only, or change it in a "
        f"contract step ({LESSON})"
    )


def main(arguments: list[str]) -> int:
    ref = None
    if arguments[:1] == ["--ref"] and len(arguments) == 2:
        ref = arguments[1]
    elif arguments:
        print(
            "usage: python -m <package>.migration_tools.previous_release [--ref REF]",
            file=sys.stderr,
        )
        return 2
    try:
        outcome = check_previous_release(ref=ref)
    except CommandError as error:
        print(f"FAILED: {error}", file=sys.stderr)
        return 1
    if outcome.skipped:
        print(f"No previous release to compare with: {outcome.skipped}.")
        return 0
    if outcome.problems:
        print("\n".join(outcome.problems), file=sys.stderr)
        return 1
    print(f"{outcome.release} works on the schema make db-expand leaves.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
