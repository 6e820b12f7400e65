"""Every migration run sets a lock timeout and a statement timeout (migration_tools/timeouts.py).

On the real PostgreSQL and MariaDB servers, with each project's own driver: a revision
queued behind another session's lock, or running a statement too long, fails within
seconds with one line naming the revision and the setting, and leaves the database as it
was; ``timeouts(...)`` in a revision lifts the limit for its step; ``--sql`` shows the
SETs first; a connection handed in by application code gets its own values back.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from conftest import admin, scratch_database
from helpers import COMBINATIONS, BakedProject, combination_id
from test_env_contract import alembic, bakery, copy_of, failure  # noqa: F401 (bakery: a fixture)
from test_migration_checks import FIRST, add_revision

SERVERS = [c for c in COMBINATIONS if c["database"] != "sqlite"]
ON_SERVERS = pytest.mark.parametrize("project", SERVERS, ids=combination_id, indirect=True)
SYNC = pytest.mark.parametrize(
    "project", [c for c in COMBINATIONS if not c["async"]], ids=combination_id, indirect=True
)
POSTGRESQL = pytest.mark.parametrize(
    "project", [{"database": "postgresql", "async": False}], ids=combination_id, indirect=True
)

LIVE_DATABASE_DOC = '(docs/migrations.md, "Migrations on a live database").'

ADD_EMAIL = """

def upgrade() -> None:
    op.add_column("users", sa.Column("email", sa.String(120)))


def downgrade() -> None:
    op.drop_column("users", "email")
"""
# A statement that runs for 2 s. On MySQL a query that is only SLEEP() returns 1 when
# interrupted instead of failing: the subquery makes it fail there too.
SLEEPS = {"postgresql": "SELECT pg_sleep(2)", "mysql": "SELECT * FROM (SELECT SLEEP(2) AS slept) AS t"}
SLOW_STEP = """

def upgrade() -> None:
    {step}


def downgrade() -> None:
    pass
"""
TIMEOUTS_IMPORT = "from {package}.migration_tools.timeouts import timeouts\n"

# Holds a lock on `users` the way a long transaction of the application does: it read the
# table and is still open. Prints "held", lets go when its standard input closes.
HOLDER = """
import sys
from sqlalchemy import create_engine, make_url, text

url = make_url(sys.argv[1])
url = url.set(drivername={"postgresql": "postgresql+psycopg", "mysql": "mysql+pymysql"}[url.drivername])
engine = create_engine(url)
with engine.connect() as connection:
    connection.execute(text("SELECT * FROM users")).all()
    print("held", flush=True)
    sys.stdin.read()
    connection.rollback()
engine.dispose()
"""
# The revision in alembic_version and the columns of `users`, as JSON.
READER = """
import json, sys
from sqlalchemy import create_engine, inspect, make_url, text

url = make_url(sys.argv[1])
url = url.set(drivername={"postgresql": "postgresql+psycopg", "mysql": "mysql+pymysql"}[url.drivername])
engine = create_engine(url)
with engine.connect() as connection:
    versions = sorted(connection.scalars(text("SELECT version_num FROM alembic_version")))
    columns = [column["name"] for column in inspect(connection).get_columns("users")]
engine.dispose()
print(json.dumps({"versions": versions, "columns": columns}))
"""


@pytest.fixture
def project(
    request: pytest.FixtureRequest, bakery: Callable[[dict[str, Any]], BakedProject], tmp_path: Path
) -> BakedProject:
    """A copy of the module's bake of the combination, for the test to add revisions to."""
    return copy_of(bakery(request.param), tmp_path)


@pytest.fixture
def database(project: BakedProject, tmp_path: Path) -> Iterator[str]:
    """A throw-away database on the project's server, at the first revision."""
    with scratch_database(project, tmp_path) as url:
        project.run("alembic", "upgrade", FIRST, DATABASE_URL=url)
        yield url


def read_state(project: BakedProject, url: str) -> dict[str, list[str]]:
    result = project.run("python", "-c", READER, url)
    state: dict[str, list[str]] = json.loads(result.stdout)
    return state


def timed_upgrade(project: BakedProject, url: str, **env: str) -> tuple[float, str]:
    """How long a failing `alembic upgrade head` took, and its one FAILED line."""
    started = time.monotonic()
    result = alembic(project, "upgrade", "head", DATABASE_URL=url, **env)
    return time.monotonic() - started, failure(result)


@ON_SERVERS
def test_revision_waiting_for_a_lock_fails_fast_and_changes_nothing(
    project: BakedProject, database: str
) -> None:
    revision = add_revision(project, FIRST, ADD_EMAIL, number=1, slug="add_email")
    holder = subprocess.Popen(
        [project.venv / "bin" / "python", "-c", HOLDER, database],
        env=project.env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        took, message = timed_upgrade(
            project, database, MIGRATION_TABLE_LOCK_TIMEOUT="1", MIGRATION_TABLE_LOCK_RETRIES="0"
        )
    finally:
        holder.communicate(timeout=30)  # closes its stdin: it lets go
    # PostgreSQL names who held the lock (test_lock_retries.py checks how).
    held_by = "A lock on users was held by process " if project.database == "postgresql" else ""
    assert message.startswith(
        f"FAILED: upgrade() of {revision.file} waited over 1 s for a lock another session "
        f"holds (MIGRATION_TABLE_LOCK_TIMEOUT): {held_by}"
    ), message
    assert message.endswith(
        "etry when the table is quieter, or raise the timeout for this revision "
        f"{LIVE_DATABASE_DOC}"
    ), message
    # Seconds, where an unlimited wait lasts as long as the other transaction (start-up of
    # the command is most of it, on a busy machine too).
    assert took < 30, f"the migration waited {took:.1f} s for the lock"
    assert read_state(project, database) == {"versions": [FIRST], "columns": ["id", "name"]}


@ON_SERVERS
def test_statement_running_too_long_fails_unless_its_revision_lifts_the_limit(
    project: BakedProject, database: str
) -> None:
    sleep = SLEEPS[project.database]
    revision = add_revision(
        project, FIRST, SLOW_STEP.format(step=f"op.execute({sleep!r})"), number=1, slug="slow"
    )
    took, message = timed_upgrade(project, database, MIGRATION_STATEMENT_TIMEOUT="1")
    assert message == (
        f"FAILED: upgrade() of {revision.file} ran a statement for over 1 s "
        "(MIGRATION_STATEMENT_TIMEOUT): do the work in smaller batches, or raise the timeout "
        f"for this revision {LIVE_DATABASE_DOC}"
    )
    assert took < 30

    lifted = f"with timeouts(statement=0):  # sleeps on purpose\n        op.execute({sleep!r})"
    add_revision(
        project,
        FIRST,
        SLOW_STEP.format(step=lifted),
        number=1,
        revision=revision.id,
        slug="slow",
        header=TIMEOUTS_IMPORT.format(package=project.package),
    )
    passed = project.run("alembic", "upgrade", "head", DATABASE_URL=database, MIGRATION_STATEMENT_TIMEOUT="1")
    assert f"Running upgrade {FIRST} -> {revision.id}" in passed.stderr


# The SQL statements `--sql` prints (log lines and blank lines left out), for
# MIGRATION_TABLE_LOCK_TIMEOUT=2.5 and MIGRATION_STATEMENT_TIMEOUT=0 (no limit).
OFFLINE_SETS = {
    "postgresql": ["BEGIN;", "SET lock_timeout = '2500ms';", "SET statement_timeout = '0ms';"],
    # A mysql:// URL renders what MySQL and MariaDB both run: MySQL bounds no DDL statement.
    "mysql": [
        "SET SESSION lock_wait_timeout = 3;",
        "SET SESSION innodb_lock_wait_timeout = 3;",
    ],
    "mariadb": [
        "SET SESSION lock_wait_timeout = 3;",
        "SET SESSION innodb_lock_wait_timeout = 3;",
        "SET SESSION max_statement_time = 0;",
    ],
    "sqlite": [],
}
# What a revision's `with timeouts(table_lock=0, statement=60):` around one statement renders.
OFFLINE_STEP = {
    "postgresql": [
        "SET lock_timeout = '0ms';",
        "SET statement_timeout = '60000ms';",
        "SELECT 1;",
        "SET lock_timeout = '2500ms';",
        "SET statement_timeout = '0ms';",
    ],
    "mysql": [
        "SET SESSION lock_wait_timeout = 31536000;",
        "SET SESSION innodb_lock_wait_timeout = 31536000;",
        "SELECT 1;",
        "SET SESSION lock_wait_timeout = 3;",
        "SET SESSION innodb_lock_wait_timeout = 3;",
    ],
    "mariadb": [
        "SET SESSION lock_wait_timeout = 31536000;",
        "SET SESSION innodb_lock_wait_timeout = 31536000;",
        "SET SESSION max_statement_time = 60;",
        "SELECT 1;",
        "SET SESSION lock_wait_timeout = 3;",
        "SET SESSION innodb_lock_wait_timeout = 3;",
        "SET SESSION max_statement_time = 0;",
    ],
    "sqlite": ["SELECT 1;"],
}


def sql_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.strip() and not line.startswith(("INFO", "--"))]


@SYNC
def test_offline_sql_sets_the_timeouts_first(project: BakedProject, tmp_path: Path) -> None:
    """No server needed: `--sql` renders from the URL's dialect alone."""
    step = "with timeouts(table_lock=0, statement=60):\n        op.execute('SELECT 1')"
    add_revision(
        project,
        FIRST,
        SLOW_STEP.format(step=step),
        number=1,
        header=TIMEOUTS_IMPORT.format(package=project.package),
    )
    urls = {
        "postgresql": ["postgresql://app@db.invalid/app"],
        "mysql": ["mysql://app@db.invalid/app", "mariadb://app@db.invalid/app"],
        "sqlite": [f"sqlite:///{tmp_path / 'never.db'}"],
    }[project.database]
    env = {"MIGRATION_TABLE_LOCK_TIMEOUT": "2.5", "MIGRATION_STATEMENT_TIMEOUT": "0"}

    def offline(url: str, revisions: str) -> tuple[str, list[str]]:
        result = project.run("alembic", "upgrade", revisions, "--sql", DATABASE_URL=url, **env)
        return url.split(":")[0], sql_lines(result.stdout)

    runs = [(url, revisions) for url in urls for revisions in ("head", f"{FIRST}:head")]
    with ThreadPoolExecutor(max_workers=4) as pool:  # each waits mostly on Python's start-up
        rendered = list(pool.map(lambda run: offline(*run), runs))
    for (dialect, lines), (_, revisions) in zip(rendered, runs):
        sets = OFFLINE_SETS[dialect]
        assert lines[: len(sets)] == sets, lines
        if revisions == "head":  # from an empty database
            assert lines[len(sets)] == "CREATE TABLE alembic_version (", lines
        else:
            assert lines[len(sets) :][: len(OFFLINE_STEP[dialect])] == OFFLINE_STEP[dialect], lines
    assert not (tmp_path / "never.db").exists()


MYSQL = pytest.mark.parametrize(
    "project", [{"database": "mysql", "async": False}], ids=combination_id, indirect=True
)


@MYSQL
def test_offline_sql_of_a_mysql_url_runs_on_mariadb_as_written(project: BakedProject, tmp_path: Path) -> None:
    """What a mysql:// URL renders sets only what both servers accept (MariaDB refuses
    MySQL's max_execution_time), so a reviewed script runs on MariaDB unchanged."""
    add_revision(project, FIRST, ADD_EMAIL, number=1, slug="add_email")
    with scratch_database(project, tmp_path) as url:
        mysql_url = url.replace("mysql://", "mysql+pymysql://", 1)
        rendered = project.run("alembic", "upgrade", "head", "--sql", DATABASE_URL=mysql_url).stdout
        script = "\n".join(line for line in rendered.splitlines() if not line.startswith(("INFO", "--")))
        statements = [statement.strip() for statement in script.split(";\n") if statement.strip()]
        assert "SET SESSION lock_wait_timeout = 5" in statements, statements
        admin(project, url, *statements)
        assert read_state(project, url)["columns"] == ["id", "name", "email"]


# Application code hands its own connection in, with timeouts of its own; after each run
# it prints them (and whether a transaction is still open) as one JSON line.
HANDED_IN = """
import json, sys
from {package}.db import create_db_engine
from {package}.migration_tools.commands import downgrade, upgrade

SHOW = "SELECT current_setting('lock_timeout'), current_setting('statement_timeout')"
url, added, first = sys.argv[1:]


def report(connection, error=None):
    still_open = connection.in_transaction()
    lock, statement = connection.exec_driver_sql(SHOW).one()
    print(json.dumps([lock, statement, still_open, error]), flush=True)


engine = create_db_engine(url)
with engine.connect() as connection:
    connection.exec_driver_sql("SET lock_timeout = '7s'")
    connection.exec_driver_sql("SET statement_timeout = '11s'")
    connection.commit()
    upgrade(added, connection)
    report(connection)
    connection.rollback()
    try:
        upgrade("head", connection)  # an autocommit block commits, then a revision fails
    except Exception as error:
        report(connection, type(error).__name__)
    connection.rollback()
    # Inside a transaction of the caller's, which it still owns afterwards.
    connection.exec_driver_sql("SET lock_timeout = '13s'")
    connection.exec_driver_sql("SET statement_timeout = '17s'")
    downgrade(first, connection)
    report(connection)
    connection.rollback()
engine.dispose()
"""
AUTOCOMMIT_STEP = """

def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.execute("CREATE INDEX CONCURRENTLY ix_users_name ON users (name)")


def downgrade() -> None:
    op.drop_index("ix_users_name", table_name="users")
"""
FAILING_STEP = """

def upgrade() -> None:
    op.execute("SELECT * FROM no_such_table")


def downgrade() -> None:
    pass
"""


@POSTGRESQL
def test_handed_in_connection_gets_its_own_timeouts_back(project: BakedProject, database: str) -> None:
    """After a run; after a failed run whose autocommit block had committed mid-run; and
    inside the caller's own transaction, which is left open for the caller."""
    added = add_revision(project, FIRST, ADD_EMAIL, number=1, slug="add_email")
    indexed = add_revision(project, added.id, AUTOCOMMIT_STEP, number=2, slug="index_names")
    add_revision(project, indexed.id, FAILING_STEP, number=3, slug="fails")
    script = project.path / "handed_in.py"
    script.write_text(HANDED_IN.format(package=project.package))
    result = project.run("python", script, database, added.id, FIRST)
    reports = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("[")]
    assert reports == [
        ["7s", "11s", False, None],
        ["7s", "11s", False, "CommandError"],
        ["13s", "17s", True, None],
    ], result.stdout + result.stderr


SQLITE = pytest.mark.parametrize(
    "project", [{"database": "sqlite", "async": False}], ids=combination_id, indirect=True
)
# Each setting wrong in two ways; settings.py reads them the same way on every engine.
BAD_TIMEOUTS = [
    ("MIGRATION_TABLE_LOCK_TIMEOUT", "-1"),
    ("MIGRATION_TABLE_LOCK_TIMEOUT", "soon"),
    ("MIGRATION_STATEMENT_TIMEOUT", "86401"),
    ("MIGRATION_STATEMENT_TIMEOUT", "nan"),
]


@SQLITE
def test_bad_timeouts_are_refused_in_one_line(project: BakedProject, tmp_path: Path) -> None:
    """0 turns a timeout off; a negative number, a word, or more than a day is refused."""
    url = f"sqlite:///{tmp_path / 'app.db'}"

    def upgrade(setting: tuple[str, str]) -> subprocess.CompletedProcess[str]:
        name, value = setting
        return alembic(project, "upgrade", "head", DATABASE_URL=url, **{name: value})

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(upgrade, BAD_TIMEOUTS))
    for result, (name, value) in zip(results, BAD_TIMEOUTS):
        assert failure(result) == (
            f"FAILED: {name} must be a number of seconds from 0 (no limit) to 86400, not {value!r}."
        )
    off = {"MIGRATION_TABLE_LOCK_TIMEOUT": "0", "MIGRATION_STATEMENT_TIMEOUT": "0"}
    project.run("alembic", "upgrade", "head", DATABASE_URL=url, **off)
    assert "(head)" in project.run("alembic", "current", DATABASE_URL=url).stdout
