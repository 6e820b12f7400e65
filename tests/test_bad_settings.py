"""Bad settings and concurrent deploys through application code, on every combination.

A bad setting ends the command with one line that names the setting, a non-zero exit and
no traceback, changes nothing (no SQLite file appears, no table on a server), and prints
no part of a password. Deploys that migrate through application code (a handed-in
connection) wait for each other, and read the current revision only once the lock is held.
"""

from __future__ import annotations

import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from conftest import scratch_database
from helpers import COMBINATIONS, BakedProject, combination_id
from test_migration_checks import FIRST, add_revision

ALL = pytest.mark.parametrize("project", COMBINATIONS, ids=combination_id, indirect=True)

# (environment, words the one line must hold): each setting wrong in its own way.
BAD_SETTINGS = [
    ({"DATABASE_URL": "postgresql://app:se@cret9x@127.0.0.1:1/app"}, "URL-escaped"),
    ({"DATABASE_URL": "mysql://app:pa/ss#zq7v@127.0.0.1:1/app"}, "URL-escaped"),
    ({"DATABASE_URL": "postgresql://app:s?cretkw@[::1]:1/app"}, "URL-escaped"),
    ({"DATABASE_URL": "postgresql://app@127.0.0.1:port/app"}, "host or port is malformed"),
    ({"DATABASE_URL": "postgresql://app@[::1:5432/app"}, "host or port is malformed"),
    ({"DATABASE_URL": ""}, "DATABASE_URL is set but empty"),
    ({"DATABASE_URL": "   "}, "DATABASE_URL is set but empty"),
    ({"MIGRATION_LOCK_TIMEOUT": "1e12"}, "MIGRATION_LOCK_TIMEOUT must be"),
    ({"MIGRATION_LOCK_TIMEOUT": "inf"}, "MIGRATION_LOCK_TIMEOUT must be"),
]
# Parts of the passwords above that no output may show.
SECRETS = ["cret9x", "se@", "pa/ss", "zq7v", "cretkw"]


@pytest.fixture
def project(request: pytest.FixtureRequest, cookies: Any, project_venv: Path) -> BakedProject:
    answers = {"project_name": "Bad Settings", **request.param}
    result = cookies.bake(extra_context=answers)
    assert result.exit_code == 0, result.exception
    return BakedProject(result.project_path, project_venv, answers)


def assert_one_line(result: subprocess.CompletedProcess[str], *words: str) -> None:
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Traceback" not in output, output
    failed = [line for line in output.splitlines() if line.startswith("FAILED:")]
    assert len(failed) == 1, output
    for word in words:
        assert word in failed[0], output
    for secret in SECRETS:
        assert secret not in output, output


# Every engine, and each variant: settings are read by the same code in all six.
SPREAD = pytest.mark.parametrize(
    "project",
    [c for c in COMBINATIONS if c["database"] == "sqlite" or c["async"] == (c["database"] == "mysql")],
    ids=combination_id,
    indirect=True,
)


@SPREAD
def test_bad_settings_end_in_one_line_and_change_nothing(
    project: BakedProject, tmp_path: Path
) -> None:
    with scratch_database(project, tmp_path) as url:

        def upgrade(settings: dict[str, str]) -> subprocess.CompletedProcess[str]:
            environment = {"DATABASE_URL": url, **settings}
            return project.run("alembic", "upgrade", "head", check=False, **environment)

        # The commands wait mostly on Python's start-up: run them side by side.
        with ThreadPoolExecutor(max_workers=4) as pool:
            results = list(pool.map(upgrade, [settings for settings, _ in BAD_SETTINGS]))
        for result, (_, words) in zip(results, BAD_SETTINGS):
            assert_one_line(result, *words)
        assert "(head)" not in project.run("alembic", "current", DATABASE_URL=url).stdout
    # The default SQLite file was never created either.
    assert not list(project.path.glob("*.db"))


@ALL
def test_env_file_that_is_not_utf8_is_named(project: BakedProject) -> None:
    (project.path / ".env").write_bytes(b"DATABASE_URL=caf\xe9\n")
    result = project.run("alembic", "upgrade", "head", check=False)
    assert_one_line(result, ".env is not UTF-8")
    assert not list(project.path.glob("*.db"))


@pytest.mark.parametrize(
    "project",
    [{"database": "mysql", "async": True}, {"database": "postgresql", "async": True}],
    ids=["mysql-async", "postgresql-async"],
    indirect=True,
)
def test_async_project_refuses_a_blocking_driver(project: BakedProject) -> None:
    blocking = {"mysql": "mysql+pymysql", "postgresql": "postgresql+psycopg2"}[project.database]
    url = f"{blocking}://app@127.0.0.1:1/app"
    result = project.run("alembic", "upgrade", "head", check=False, DATABASE_URL=url)
    if project.database == "mysql":
        assert_one_line(result, "blocking driver", "mysql://")
    else:  # psycopg2 is not installed: that is said first
        assert_one_line(result, "psycopg2")


# Migrates through application code: the application's own engine and a connection of it.
# With a file name as second argument, it first reads alembic_version, says "read", and
# waits for that file to exist.
UPGRADE_ON_OWN_CONNECTION = """
import os, sys, time
from {package}.db import create_db_engine
from {package}.migration_tools.commands import upgrade

READ = "SELECT version_num FROM alembic_version"


def wait_for_go() -> None:
    print("read", flush=True)
    while not os.path.exists(sys.argv[2]):
        time.sleep(0.05)
{body}
"""
SYNC_UPGRADE = """
engine = create_db_engine(sys.argv[1])
with engine.connect() as connection:
    if len(sys.argv) > 2:
        connection.exec_driver_sql(READ).all()
        wait_for_go()
    upgrade("head", connection)
"""
ASYNC_UPGRADE = """
import asyncio
from sqlalchemy import text


async def main() -> None:
    engine = create_db_engine(sys.argv[1])
    async with engine.connect() as connection:
        if len(sys.argv) > 2:
            (await connection.execute(text(READ))).all()
            wait_for_go()
        await connection.run_sync(lambda sync: upgrade("head", sync))
    await engine.dispose()


asyncio.run(main())
"""


def upgrade_script(project: BakedProject) -> Path:
    body = ASYNC_UPGRADE if project.answers.get("async") else SYNC_UPGRADE
    script = project.path / "upgrade_on_own_connection.py"
    script.write_text(UPGRADE_ON_OWN_CONNECTION.format(package=project.package, body=body))
    return script


@pytest.mark.parametrize(
    "project", [c for c in COMBINATIONS if c["database"] == "sqlite"], ids=combination_id,
    indirect=True,
)
def test_sqlite_deploy_through_application_code_waits_for_another(
    project: BakedProject, tmp_path: Path
) -> None:
    database = tmp_path / "app.db"
    url = f"sqlite:///{database}"
    holder = subprocess.Popen(
        [
            str(project.venv / "bin" / "python"),
            "-c",
            "import sqlite3, sys, time\n"
            "db = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            "db.execute('BEGIN IMMEDIATE'); print('held', flush=True)\n"
            "time.sleep(2); db.execute('COMMIT')",
            str(database),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline() == "held\n"
    started = time.monotonic()
    project.run("python", upgrade_script(project), url, MIGRATION_LOCK_TIMEOUT="30")
    assert time.monotonic() - started > 1.0  # it waited for the other writer
    assert holder.wait(timeout=30) == 0
    assert "(head)" in project.run("alembic", "current", DATABASE_URL=url).stdout


# A second revision, whose upgrade fails if it runs twice.
CREATE_THINGS = """

def upgrade() -> None:
    op.create_table("things", sa.Column("id", sa.Integer(), primary_key=True))


def downgrade() -> None:
    op.drop_table("things")
"""


@pytest.mark.parametrize(
    "project", [c for c in COMBINATIONS if c["database"] == "mysql"], ids=combination_id,
    indirect=True,
)
def test_mysql_reads_the_revision_once_the_lock_is_held(
    project: BakedProject, tmp_path: Path
) -> None:
    """A connection that read alembic_version before another deploy migrated must not run
    that deploy's migration again ("table already exists")."""
    second = add_revision(project, FIRST, CREATE_THINGS, number=1, slug="add_things")
    with scratch_database(project, tmp_path) as url:
        project.run("alembic", "upgrade", "3f9c2a1b7d40", DATABASE_URL=url)
        # The application reads the revision (MySQL's snapshot begins there), and waits
        # while another deploy migrates to head; then it migrates on the same connection.
        go = tmp_path / "go"
        application = subprocess.Popen(
            [str(project.venv / "bin" / "python"), str(upgrade_script(project)), url, str(go)],
            cwd=project.path,
            env=project.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert application.stdout is not None
        assert application.stdout.readline() == "read\n"
        project.run("alembic", "upgrade", "head", DATABASE_URL=url)
        go.touch()
        output = application.communicate(timeout=60)[0]
        assert application.returncode == 0, output
        assert f"{second.id} (head)" in project.run("alembic", "current", DATABASE_URL=url).stdout
