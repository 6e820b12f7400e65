"""The baked env.py keeps its promises, on every database x async combination.

Its callers' contract (a handed-in Connection, transaction or engine; no alembic.ini; a
running event loop), a failed migration, eight deploys at once, the deploy lock's timeout,
and the wording of every message a newcomer meets. Python callers are played by
env_contract_probe.py, run with the baked project's code in the shared virtualenv; the
messages come from the ``alembic`` command line, as a newcomer sees them. Each server test
runs on a throw-away database of its own.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from conftest import admin, scratch_database
from helpers import COMBINATIONS, TEMPLATE, BakedProject, combination_id

PROBE = TEMPLATE / "tests" / "env_contract_probe.py"

ALL = pytest.mark.parametrize("project", COMBINATIONS, ids=combination_id, indirect=True)
ASYNC = pytest.mark.parametrize(
    "project", [c for c in COMBINATIONS if c["async"]], ids=combination_id, indirect=True
)

# What the baked settings.py suggests when DATABASE_URL cannot be parsed.
DEFAULT_URLS = {
    "sqlite": "sqlite:///{package}.db",
    "postgresql": "postgresql://postgres@localhost:5432/{package}",
    "mysql": "mysql://root@localhost:3306/{package}",
}
# A driver the shared virtualenv does not install, for each engine: (URL, module, package).
MISSING_DRIVERS = {
    "sqlite": ("postgresql+psycopg2://app@localhost:5432/app", "psycopg2", "psycopg2-binary"),
    "postgresql": ("postgresql+psycopg2://app@localhost:5432/app", "psycopg2", "psycopg2-binary"),
    "mysql": ("mysql+mysqldb://app@localhost:3306/app", "MySQLdb", "mysqlclient"),
}
# Async projects name an async driver (a blocking one is refused as such, first).
MISSING_ASYNC_DRIVER = ("mysql+asyncmy://app@localhost:3306/app", "asyncmy", "asyncmy")
CANNOT_CONNECT_ADVICE = (
    "Is the server running, does the database exist, and is DATABASE_URL right? (see .env.example)"
)


@pytest.fixture(scope="module")
def bakery(cookies_session: Any, project_venv: Path) -> Callable[[dict[str, Any]], BakedProject]:
    """Bakes each combination once per module (and xdist worker); tests that change the
    project change a copy of it (``copy_of``)."""
    baked: dict[str, BakedProject] = {}

    def bake(answers: dict[str, Any]) -> BakedProject:
        key = combination_id(answers)
        if key not in baked:
            answers = {"project_name": f"Env {key}", **answers}
            result = cookies_session.bake(extra_context=answers)
            assert result.exit_code == 0, result.exception
            baked[key] = BakedProject(result.project_path, project_venv, answers)
        return baked[key]

    return bake


@pytest.fixture
def project(request: pytest.FixtureRequest, bakery: Callable[[dict[str, Any]], BakedProject]) -> BakedProject:
    return bakery(request.param)


@pytest.fixture
def database(project: BakedProject, tmp_path: Path) -> Iterator[str]:
    """An empty database for ``project``'s engine: a SQLite file, or one on the server."""
    with scratch_database(project, tmp_path) as url:
        yield url


def probe(project: BakedProject, scenario: str, url: str, *args: str) -> dict[str, Any]:
    """Run a scenario of env_contract_probe.py in ``project``; what it reports."""
    result = project.run("python", PROBE, project.package, scenario, url, *args)
    report: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return report


def alembic(project: BakedProject, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return project.run("alembic", *args, check=False, **env)


def failure(result: subprocess.CompletedProcess[str]) -> str:
    """What a failed ``alembic`` command printed from "FAILED:" on; it must print no traceback."""
    output = f"{result.stdout}\n{result.stderr}"
    assert result.returncode != 0, output
    assert "Traceback" not in output, output
    assert result.stdout.count("FAILED: ") == 1, output
    return result.stdout[result.stdout.index("FAILED: ") :].strip()


def copy_of(project: BakedProject, tmp_path: Path) -> BakedProject:
    """A copy of the baked project, for a test to add files to."""
    path = tmp_path / project.path.name
    shutil.copytree(project.path, path)
    return BakedProject(path, project.venv, project.answers)


def migrations_dir(project: BakedProject) -> Path:
    return project.path / "src" / project.package / "migrations"


def head_revision(project: BakedProject) -> str:
    """The head's revision id, from the head file (``<date>-<id>_<slug>.py``)."""
    (name,) = (migrations_dir(project) / "head.txt").read_text().splitlines()
    return name.split("-", 1)[1].split("_", 1)[0]


def write_revision(
    project: BakedProject, revision: str, down_revision: str, upgrade: str = "pass", downgrade: str = "pass"
) -> None:
    (migrations_dir(project) / "versions" / f"2026_06_01_0000-{revision}_extra.py").write_text(
        f'"""extra"""\n\nimport sqlalchemy as sa\nfrom alembic import op\n\n'
        f"revision = {revision!r}\ndown_revision = {down_revision!r}\n\n\n"
        f"def upgrade() -> None:\n    {upgrade}\n\n\ndef downgrade() -> None:\n    {downgrade}\n"
    )


# --- Python callers: what env.py does with what it is handed ---------------------------------


@ALL
def test_handed_in_connection_gets_its_migrations_committed(project: BakedProject, database: str) -> None:
    """Sync projects hand in a Connection; async ones the Connection ``run_sync`` passes."""
    after = probe(project, "connection", database)["after"]
    assert "users" in after["tables"]
    assert after["versions"] == [head_revision(project)]


@ALL
def test_handed_in_transaction_is_left_to_its_owner(project: BakedProject, database: str) -> None:
    """The owner rolls its transaction back: the migrations go with it (MySQL cannot roll
    back DDL, so there only the version row goes)."""
    after = probe(project, "transaction", database)["after"]
    assert after["versions"] == []
    assert ("users" in after["tables"]) is (project.database == "mysql")


@ALL
def test_handed_in_transaction_at_head_is_left_to_its_owner(project: BakedProject, database: str) -> None:
    """Nothing to migrate, so nothing commits: the row the owner wrote goes with its rollback."""
    after = probe(project, "transaction_at_head", database)["after"]
    assert after["versions"] == [head_revision(project)]
    assert after["rows"]["users"] == 0


@ALL
def test_handed_in_engine_is_used(project: BakedProject, database: str) -> None:
    """An Engine, or an AsyncEngine in async projects, handed in from code with no event loop."""
    after = probe(project, "engine", database)["after"]
    assert "users" in after["tables"]
    assert after["versions"] == [head_revision(project)]


@ASYNC
def test_handed_in_async_engine_in_a_running_loop_still_serves_that_loop(
    project: BakedProject, database: str
) -> None:
    """env.py migrates on a loop of its own; the engine must not keep that loop's connection."""
    report = probe(project, "async_engine_in_loop", database)
    assert "users" in report["after"]["tables"]
    assert report["seen_by_the_engine"] == ["alembic_version", "users"]


@ASYNC
def test_handed_in_async_connection_is_refused_with_the_way_out(
    project: BakedProject, database: str
) -> None:
    report = probe(project, "async_connection", database)
    assert report["error"] == (
        "Cannot migrate on the AsyncConnection handed in: hand in an AsyncEngine, or the "
        "Connection that AsyncConnection.run_sync passes to your function (see the README)."
    )
    assert report["after"]["tables"] == []


@ALL
@pytest.mark.parametrize("kind", ["engine", "text"])
def test_what_env_cannot_migrate_on_is_refused_and_nothing_migrates(
    project: BakedProject, database: str, kind: str
) -> None:
    """The other kind of engine (a blocking Engine in an async project, an AsyncEngine in a
    sync one), or anything else: one line, and DATABASE_URL is not migrated instead."""
    report = probe(project, "wrong_kind", database, kind)
    handed = {"engine": "Engine" if project.answers["async"] else "AsyncEngine", "text": "str"}[kind]
    wanted = (
        "an AsyncEngine, or the Connection that AsyncConnection.run_sync passes to your "
        "function (see the README)."
        if project.answers["async"]
        else "a Connection or an Engine."
    )
    assert report["error"] == f"Cannot migrate on the {handed} handed in: hand in {wanted}"
    assert report["after"]["tables"] == []


@pytest.mark.parametrize(
    "project",
    [c for c in COMBINATIONS if c["async"] and c["database"] != "sqlite"],
    ids=combination_id,
    indirect=True,
)
def test_handed_in_async_engine_keeps_its_connect_args(project: BakedProject, database: str) -> None:
    """The run's own pool connects as the engine's does (SSL, server settings, ...)."""
    report = probe(project, "async_engine_connect_args", database)
    assert report["seen"] == ["probe-app"]
    assert "users" in report["after"]["tables"]


@ALL
def test_commands_migrate_without_alembic_ini(project: BakedProject, database: str) -> None:
    """Application code, from a directory with no alembic.ini: migration_tools/commands.py
    reads the project's own (a wheel carries a copy: tests/test_install.py)."""
    report = probe(project, "without_alembic_ini", database)
    assert "users" in report["after_upgrade"]["tables"]
    assert report["after_upgrade"]["versions"] == [head_revision(project)]
    assert report["after_downgrade"]["tables"] == ["alembic_version"]
    assert report["after_downgrade"]["versions"] == []


@ASYNC
def test_upgrade_and_downgrade_inside_a_running_event_loop(project: BakedProject, database: str) -> None:
    """An application migrating at startup: ``asyncio.run`` cannot start there (#1353)."""
    report = probe(project, "in_running_loop", database)
    assert "users" in report["after_upgrade"]["tables"]
    assert report["after_downgrade"]["tables"] == ["alembic_version"]


# --- Deploys: failures, concurrency, the lock ----------------------------------------------


@ALL
def test_failed_migration_leaves_the_database_as_it_was(project: BakedProject, tmp_path: Path) -> None:
    """One run applies a good revision, then one that fails halfway: on a server each
    revision is a transaction of its own, so the good one stays and the failed one is
    rolled back (on PostgreSQL; MySQL cannot roll back DDL); on SQLite the whole run is one
    transaction, so neither stays."""
    project = copy_of(project, tmp_path)
    first = head_revision(project)
    write_revision(project, "600d00000001", first, 'op.create_table("done_first", sa.Column("id", sa.Integer()))')
    write_revision(
        project,
        "0badc0ffee01",
        "600d00000001",
        'op.create_table("half_done", sa.Column("id", sa.Integer(), primary_key=True))\n'
        '    op.execute("SELECT * FROM no_such_table")',
    )
    with scratch_database(project, tmp_path) as url:
        report = probe(project, "failed_migration", url, first)
    assert "no_such_table" in report["error"]
    after = report["after"]
    if project.database == "mysql":
        # MySQL cannot roll back DDL: each revision is its own transaction, and the
        # statements before the failure stay applied.
        assert after["versions"] == ["600d00000001"]
        assert {"done_first", "half_done"} <= set(after["tables"])
    elif project.database == "postgresql":
        assert after["versions"] == ["600d00000001"]
        assert after["tables"] == ["alembic_version", "done_first", "users"]
    else:
        assert after["versions"] == [first]
        assert after["tables"] == ["alembic_version", "users"]


@ALL
def test_eight_concurrent_deploys_migrate_once(project: BakedProject, tmp_path: Path) -> None:
    project = copy_of(project, tmp_path)
    # The migration takes a while, so that deploys starting within it meet the lock.
    write_revision(
        project,
        "0ce0ce0ce001",
        head_revision(project),
        "import time\n\n    time.sleep(2)\n"
        "    op.execute(\"INSERT INTO users (name) VALUES ('migrated once')\")",
        "op.execute(\"DELETE FROM users WHERE name = 'migrated once'\")",
    )
    with scratch_database(project, tmp_path) as url:
        deploys = [
            subprocess.Popen(
                ["alembic", "upgrade", "head"],
                cwd=project.path,
                env=project.env(DATABASE_URL=url),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for _ in range(8)
        ]
        outputs = [deploy.communicate(timeout=120)[0] for deploy in deploys]
        assert [deploy.returncode for deploy in deploys] == [0] * 8, "\n".join(outputs)
        after = probe(project, "state", url)
    assert after["versions"] == ["0ce0ce0ce001"]
    assert after["rows"]["users"] == 1
    # Each migration ran in exactly one of the deploys.
    assert sum("Running upgrade" in output for output in outputs) == 1, "\n".join(outputs)


@contextmanager
def lock_held(project: BakedProject, database: str) -> Iterator[subprocess.Popen[str]]:
    """What a migrating deploy holds (on SQLite: a write transaction, as the application's
    own writers take), held by another process for as long as the block runs."""
    holder = subprocess.Popen(
        ["python", PROBE, project.package, "hold", database],
        cwd=project.path,
        env=project.env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        yield holder
    finally:
        holder.communicate(timeout=30)  # closes its stdin: it lets go
    assert holder.returncode == 0


@ALL
def test_waiting_too_long_for_another_deploy_is_explained(project: BakedProject, database: str) -> None:
    with lock_held(project, database):
        failed = alembic(project, "upgrade", "head", DATABASE_URL=database, MIGRATION_LOCK_TIMEOUT="1")
    if project.database == "sqlite":
        expected = (
            "FAILED: Another process held the SQLite database for over 1 s. "
            "Wait for it to finish, or raise MIGRATION_LOCK_TIMEOUT."
        )
    else:
        name = database.rsplit("/", 1)[1]
        expected = (
            f"FAILED: Another process has held the migration lock 'alembic:{name}' for over 1 s. "
            "Wait for the other deploy to finish, or raise MIGRATION_LOCK_TIMEOUT."
        )
    assert failure(failed) == expected
    assert "users" not in probe(project, "state", database)["tables"]


@ALL
def test_read_only_commands_do_not_wait_for_a_deploy(project: BakedProject, database: str) -> None:
    """`alembic current` and `alembic check` only read: they take no lock, so they answer
    while a deploy (on SQLite, an application's write transaction) holds it."""
    project.run("alembic", "upgrade", "head", DATABASE_URL=database)
    with lock_held(project, database):
        started = time.monotonic()
        # Had they waited for the lock, they would fail after 20 s: the holder lets go only
        # after both answered.
        current = alembic(project, "current", DATABASE_URL=database, MIGRATION_LOCK_TIMEOUT="20")
        check = alembic(project, "check", DATABASE_URL=database, MIGRATION_LOCK_TIMEOUT="20")
        took = time.monotonic() - started
    assert current.returncode == 0, current.stdout + current.stderr
    assert f"{head_revision(project)} (head)" in current.stdout
    assert check.returncode == 0, check.stdout + check.stderr
    assert "No new upgrade operations detected." in check.stdout
    assert took < 20, f"they waited for the lock: {took:.1f} s"


@pytest.mark.parametrize(
    "project", [c for c in COMBINATIONS if c["database"] != "sqlite"], ids=combination_id, indirect=True
)
def test_statement_refused_on_a_working_connection_is_not_called_a_connection_failure(
    project: BakedProject, database: str
) -> None:
    """A user who may connect but not create tables: the database refused a statement."""
    user = f"reader_{uuid.uuid4().hex[:8]}"
    server, name = database.rsplit("/", 1)
    if project.database == "postgresql":
        grant = [f"CREATE ROLE {user} LOGIN", f"GRANT CONNECT ON DATABASE {name} TO {user}"]
        drop = [f"DROP OWNED BY {user}", f"DROP ROLE {user}"]
        refused = "FAILED: The database refused a statement: permission denied for schema public"
    else:
        grant = [f"CREATE USER '{user}'@'%'", f"GRANT SELECT ON {name}.* TO '{user}'@'%'"]
        drop = [f"DROP USER '{user}'@'%'"]
        refused = f"FAILED: The database refused a statement: (1142, \"CREATE command denied to user '{user}'@"
    admin(project, database, *grant)
    try:
        url = f"{project.database}://{user}@{server.split('@', 1)[1]}/{name}"
        message = failure(alembic(project, "upgrade", "head", DATABASE_URL=url))
    finally:
        admin(project, database, *drop)
    assert message.startswith(refused), message
    assert "Cannot connect" not in message, message


# Runs the alembic command line, printing every statement it sends, one per line.
STATEMENTS_OF = """
import sys
from alembic.config import main
from sqlalchemy import Engine, event

event.listen(Engine, "before_cursor_execute", lambda *args: print("SQL:", " ".join(args[2].split())))
main(sys.argv[1:])
"""
# What a run may send once its last revision is recorded: put the timeouts and the
# SQLite busy wait back, let go of the lock.
AFTER_THE_LAST_REVISION = re.compile(r"SQL: (SET |RESET |PRAGMA busy_timeout|SELECT (pg_advisory_unlock|RELEASE_LOCK)\()")


@pytest.mark.parametrize("project", [c for c in COMBINATIONS if not c["async"]], ids=combination_id, indirect=True)
def test_command_line_upgrade_does_not_compare_the_models(project: BakedProject, tmp_path: Path) -> None:
    """A deploy's `alembic upgrade head` runs the migrations and nothing more: comparing
    the models with the database is `alembic check`'s job (the tests, pre-commit)."""
    project = copy_of(project, tmp_path)
    model = project.path / "src" / project.package / "models" / "user.py"
    name = "    name: Mapped[str] = mapped_column(String(50))\n"
    model.write_text(model.read_text().replace(name, name + "    age: Mapped[int | None]\n"))
    with scratch_database(project, tmp_path) as url:
        result = project.run("python", "-c", STATEMENTS_OF, "upgrade", "head", DATABASE_URL=url)
    statements = [line for line in result.stdout.splitlines() if line.startswith("SQL: ")]
    recorded = max(i for i, line in enumerate(statements) if "alembic_version" in line)
    after = statements[recorded + 1 :]
    assert all(AFTER_THE_LAST_REVISION.match(line) for line in after), after
    assert "models differ" not in result.stderr, result.stderr


# --- The messages newcomers meet, as the alembic command line prints them ---------------------


@ALL
def test_unreachable_database_is_explained(project: BakedProject, tmp_path: Path) -> None:
    if project.database == "sqlite":
        url = f"sqlite:///{tmp_path}/missing/dir/app.db"
    else:  # nothing listens on port 1, so the connection is refused at once
        url = f"{project.database}://root@127.0.0.1:1/app"
    message = failure(alembic(project, "upgrade", "head", DATABASE_URL=url))
    # The driver's reason comes between the two (psycopg's takes two lines).
    assert message.startswith("FAILED: Cannot connect to the database: "), message
    reason = message.removeprefix("FAILED: Cannot connect to the database: ")
    assert reason.endswith(f"\n{CANNOT_CONNECT_ADVICE}"), message
    assert reason.removesuffix(CANNOT_CONNECT_ADVICE).strip(), "no reason given"
    # A stray traceback from another thread (aiosqlite, after a failed connect: its issue
    # #241) came in most runs, not all: ten more runs, in one process that waits for them.
    report = probe(project, "unreachable", url)
    assert report["thread_errors"] == [], report
    assert report["messages"] == [message.removeprefix("FAILED: ")]


@ALL
def test_malformed_database_url_is_explained(project: BakedProject) -> None:
    default = DEFAULT_URLS[project.database].format(package=project.package)
    assert failure(alembic(project, "upgrade", "head", DATABASE_URL="localhost:5432/app")) == (
        "FAILED: DATABASE_URL is not a database URL (or its host or port is malformed); "
        f"expected something like {default!r} (see .env.example)."
    )


@ALL
def test_database_url_whose_driver_is_missing_is_explained(project: BakedProject) -> None:
    missing = MISSING_ASYNC_DRIVER if project.answers.get("async") else MISSING_DRIVERS[project.database]
    url, module, package = missing
    driver = url.split("://")[0]
    assert failure(alembic(project, "upgrade", "head", DATABASE_URL=url)) == (
        f"FAILED: The database URL ({driver}://...) needs the {module!r} module, which is not "
        f"installed: add {package!r} to this project's dependencies and install it."
    )


@ALL
def test_malformed_lock_timeout_is_explained(project: BakedProject, database: str) -> None:
    for timeout in ("soon", "0", "-1", "inf"):
        failed = alembic(project, "upgrade", "head", DATABASE_URL=database, MIGRATION_LOCK_TIMEOUT=timeout)
        assert failure(failed) == (
            "FAILED: MIGRATION_LOCK_TIMEOUT must be a number of seconds above 0 and at most 86400, "
            f"not {timeout!r}."
        )
    if project.database == "sqlite":
        assert not Path(database.removeprefix("sqlite:///")).exists(), "stopped too late: file created"
    else:
        assert probe(project, "state", database)["tables"] == [], "stopped too late"


@ALL
def test_several_heads_are_explained_and_the_advice_works(project: BakedProject, tmp_path: Path) -> None:
    project = copy_of(project, tmp_path)
    first = head_revision(project)
    write_revision(project, "aaaa00000001", first)
    write_revision(project, "bbbb00000002", first)
    with scratch_database(project, tmp_path) as url:
        message = failure(alembic(project, "upgrade", "head", DATABASE_URL=url))
        # The advice ends the message (Alembic's own words may come first).
        assert message.endswith(
            "The migrations have 2 heads (aaaa00000001, bbbb00000002). "
            'Join them with a merge revision: alembic merge heads -m "merge heads"'
        ), message
        advice = shlex.split(message.split("Join them with a merge revision: ")[1])
        project.run(*advice)  # needs no database; rewrites the head file too
        merge = head_revision(project)
        assert merge not in (first, "aaaa00000001", "bbbb00000002")
        project.run("alembic", "upgrade", "head", DATABASE_URL=url)
        assert probe(project, "state", url)["versions"] == [merge]


@ALL
def test_model_module_not_imported_is_explained(project: BakedProject, tmp_path: Path) -> None:
    """A model module that models/__init__.py does not import is invisible to autogenerate."""
    project = copy_of(project, tmp_path)
    package = project.package
    (project.path / "src" / package / "models" / "widget.py").write_text(
        '"""The ``widgets`` table, which nobody imports."""\n\n'
        "from sqlalchemy.orm import Mapped, mapped_column\n\n"
        f"from {package}.models.base import Base\n\n\n"
        "class Widget(Base):\n"
        '    __tablename__ = "widgets"\n\n'
        "    id: Mapped[int] = mapped_column(primary_key=True)\n"
    )
    versions = sorted((migrations_dir(project) / "versions").glob("*.py"))
    with scratch_database(project, tmp_path) as url:
        project.run("alembic", "upgrade", "head", DATABASE_URL=url)
        failed = alembic(project, "revision", "--autogenerate", "-m", "add widgets", DATABASE_URL=url)
    assert failure(failed) == (
        f"FAILED: {package}.models.widget is not imported by {package}/models/__init__.py, so "
        "Alembic cannot see its tables: import its model classes there (and list them in __all__)."
    )
    assert sorted((migrations_dir(project) / "versions").glob("*.py")) == versions
