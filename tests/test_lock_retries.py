"""On a live server, a migration gets along with the application's own transactions.

On the real PostgreSQL and MariaDB servers: a migration stopped by the table lock timeout
runs again after a pause, one printed line per retry, and succeeds once the other session
lets go; a lock held for good fails the last retry, naming the session that holds it
(PostgreSQL). On PostgreSQL: each revision commits on its own, so a slow revision does not
keep the lock of the one before it; and a concurrent index build that failed (on a
duplicate, or its session killed: the failure names the server's reason), leaving an
INVALID index behind, is built again by the next ``alembic upgrade head``; and on a big
table an index is built concurrently however long it takes, past the statement time limit.
On MariaDB, a revision that fails after a schema change names the change, which stays.
"""

from __future__ import annotations

import json
import subprocess
import time
from typing import Any

import pytest
from helpers import BakedProject, combination_id
from test_env_contract import alembic, bakery, failure  # noqa: F401 (bakery: a fixture)
from test_migration_checks import FIRST, add_revision
from test_timeouts import database, project  # noqa: F401 (fixtures: a bake's copy, a database at FIRST)

POSTGRESQL = {"database": "postgresql", "async": False}
MARIADB = {"database": "mysql", "async": False}
SERVERS = pytest.mark.parametrize("project", [POSTGRESQL, MARIADB], ids=combination_id, indirect=True)
ON_POSTGRESQL = pytest.mark.parametrize("project", [POSTGRESQL], ids=combination_id, indirect=True)
ON_MARIADB = pytest.mark.parametrize("project", [MARIADB], ids=combination_id, indirect=True)

ADD_EMAIL = """

def upgrade() -> None:
    op.add_column("users", sa.Column("email", sa.String(120)))


def downgrade() -> None:
    op.drop_column("users", "email")
"""
# Two schema changes; the second fails (users has a name already).
EMAIL_THEN_NAME = """

def upgrade() -> None:
    op.add_column("users", sa.Column("email", sa.String(120)))
    op.add_column("users", sa.Column("name", sa.String(10)))


def downgrade() -> None:
    op.drop_column("users", "email")
"""
SLOW = """

def upgrade() -> None:
    op.execute("SELECT pg_sleep(4)")


def downgrade() -> None:
    pass
"""
DRIVERS = '{"postgresql": "postgresql+psycopg", "mysql": "mysql+pymysql"}'
# Reads `users` in a transaction it keeps open, as a long transaction of the application
# does: prints "held", lets go after the seconds given (0: when its standard input closes).
HOLDER = f"""
import sys, time
from sqlalchemy import create_engine, make_url, text

url = make_url(sys.argv[1])
engine = create_engine(url.set(drivername={DRIVERS}[url.drivername]))
with engine.connect() as connection:
    connection.execute(text("SELECT * FROM users")).all()
    print("held", flush=True)
    if float(sys.argv[2]):
        time.sleep(float(sys.argv[2]))
    else:
        sys.stdin.read()
    connection.rollback()
engine.dispose()
"""
# Kills the session of the first concurrent index build on the database, as soon as it
# starts; prints "killed" (or "no build" after a minute).
KILLER = f"""
import sys, time
from sqlalchemy import create_engine, make_url, text

url = make_url(sys.argv[1])
engine = create_engine(
    url.set(drivername={DRIVERS}[url.drivername]), isolation_level="AUTOCOMMIT"
)
kill_build = text(
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
    "WHERE datname = current_database() AND backend_type = 'client backend' "
    "AND query LIKE 'CREATE INDEX CONCURRENTLY%'"
)
deadline = time.monotonic() + 60
with engine.connect() as connection:
    while not (killed := connection.execute(kill_build).all()) and time.monotonic() < deadline:
        time.sleep(0.01)
engine.dispose()
print("killed" if killed else "no build", flush=True)
"""
# Runs each statement given, in autocommit mode; prints the rows of the last one, as JSON.
# A statement that fails is printed as {"error": ...} and the next ones still run.
SQL = f"""
import json, sys
from sqlalchemy import create_engine, make_url, text

url = make_url(sys.argv[1])
engine = create_engine(
    url.set(drivername={DRIVERS}[url.drivername]), isolation_level="AUTOCOMMIT"
)
rows = []
with engine.connect() as connection:
    for statement in sys.argv[2:]:
        try:
            result = connection.execute(text(statement))
            rows = [list(row) for row in result] if result.returns_rows else []
        except Exception as error:
            rows = {{"error": str(error).splitlines()[0]}}
engine.dispose()
print(json.dumps(rows, default=str))
"""


def sql(project: BakedProject, url: str, *statements: str) -> Any:
    return json.loads(project.run("python", "-c", SQL, url, *statements).stdout)


def hold_users(project: BakedProject, url: str, seconds: float) -> subprocess.Popen[str]:
    holder = subprocess.Popen(
        [project.venv / "bin" / "python", "-c", HOLDER, url, str(seconds)],
        env=project.env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline() == "held\n"
    return holder


def autogenerate_an_index_of_names(project: BakedProject, database: str) -> None:
    """The models index users.name; autogenerate writes the index's safe form."""
    user = project.path / "src" / project.package / "models" / "user.py"
    user.write_text(user.read_text().replace("String(50))", "String(50), index=True)"))
    project.run("alembic", "revision", "--autogenerate", "-m", "index names", DATABASE_URL=database)


def retry_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if " for a lock; retry " in line]


@SERVERS
def test_a_migration_stopped_by_a_lock_runs_again_until_it_passes(
    project: BakedProject, database: str
) -> None:
    revision = add_revision(project, FIRST, ADD_EMAIL, number=1, slug="add_email")
    holder = hold_users(project, database, seconds=5)
    try:
        result = project.run(
            "alembic", "upgrade", "head", DATABASE_URL=database,
            MIGRATION_TABLE_LOCK_TIMEOUT="1", MIGRATION_TABLE_LOCK_RETRIES="4",
            MIGRATION_TABLE_LOCK_RETRY_PAUSE="1",
        )
    finally:
        holder.communicate(timeout=30)
    retries = retry_lines(result.stdout)
    assert retries, result.stdout + result.stderr
    assert retries[0] == (
        f"upgrade() of {revision.file} waited over 1 s for a lock; retry 1 of 4 in 1 s, "
        f"from revision {FIRST}."
    )
    assert sql(project, database, "SELECT version_num FROM alembic_version") == [[revision.id]]


@ON_POSTGRESQL
def test_the_last_retry_names_the_session_holding_the_lock(
    project: BakedProject, database: str
) -> None:
    revision = add_revision(project, FIRST, ADD_EMAIL, number=1, slug="add_email")
    holder = hold_users(project, database, seconds=0)
    try:
        result = alembic(
            project, "upgrade", "head", DATABASE_URL=database,
            MIGRATION_TABLE_LOCK_TIMEOUT="0.5", MIGRATION_TABLE_LOCK_RETRIES="2",
            MIGRATION_TABLE_LOCK_RETRY_PAUSE="0.1",
        )
        pid = sql(project, database, (
            "SELECT pid FROM pg_stat_activity "
            "WHERE query = 'SELECT * FROM users' AND datname = current_database()"
        ))
    finally:
        holder.communicate(timeout=30)
    assert len(retry_lines(result.stdout)) == 2, result.stdout
    message = failure(result)
    assert message.startswith(
        f"FAILED: upgrade() of {revision.file} waited over 0.5 s for a lock another session "
        "holds (MIGRATION_TABLE_LOCK_TIMEOUT), on each of 3 tries: A lock on users was held by "
        f"process {pid[0][0]} (idle in transaction, for "
    ), message
    assert "last query: SELECT * FROM users)" in message, message


@ON_POSTGRESQL
def test_a_slow_revision_does_not_keep_the_lock_of_the_one_before(
    project: BakedProject, database: str
) -> None:
    added = add_revision(project, FIRST, ADD_EMAIL, number=1, slug="add_email")
    add_revision(project, added.id, SLOW, number=2, slug="slow")
    upgrade = subprocess.Popen(
        ["alembic", "upgrade", "head"],
        cwd=project.path,
        env=project.env(DATABASE_URL=database),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        waiting = "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(4)%' AND pid <> pg_backend_pid() AND datname = current_database()"
        deadline = time.monotonic() + 30
        while sql(project, database, waiting) != [[1]]:
            assert time.monotonic() < deadline and upgrade.poll() is None, "the slow revision never ran"
            time.sleep(0.2)
        # The application reads the table while the slow revision runs: the ADD COLUMN of
        # the revision before was committed, and its lock with it.
        read = sql(project, database, "SET lock_timeout = '1s'", "SELECT count(*) FROM users")
    finally:
        output = upgrade.communicate(timeout=60)[0]
    assert upgrade.returncode == 0, output
    assert read == [[0]], read


@ON_POSTGRESQL
def test_an_index_build_that_failed_is_built_again(project: BakedProject, database: str) -> None:
    # A concurrent build that fails (here on duplicates) leaves an INVALID index behind.
    failed = sql(
        project, database,
        "INSERT INTO users (name) VALUES ('Ada'), ('Ada')",
        "CREATE UNIQUE INDEX CONCURRENTLY ix_users_name ON users (name)",
    )
    assert "could not create unique index" in failed["error"], failed
    invalid = "SELECT indexrelid::regclass::text FROM pg_index WHERE NOT indisvalid"
    assert sql(project, database, invalid) == [["ix_users_name"]]
    autogenerate_an_index_of_names(project, database)

    project.run("alembic", "upgrade", "head", DATABASE_URL=database)

    assert sql(project, database, invalid) == []
    indexes = "SELECT indexname FROM pg_indexes WHERE tablename = 'users' ORDER BY 1"
    assert sql(project, database, indexes) == [["ix_users_name"], ["pk_users"]]


@ON_POSTGRESQL
def test_a_killed_index_build_is_built_again(project: BakedProject, database: str) -> None:
    # Two million rows: the concurrent build runs long enough to be killed.
    sql(project, database, "INSERT INTO users (name) SELECT 'user ' || g FROM generate_series(1, 2000000) g")
    autogenerate_an_index_of_names(project, database)
    killer = subprocess.Popen(
        [project.venv / "bin" / "python", "-c", KILLER, database],
        env=project.env(),
        stdout=subprocess.PIPE,
        text=True,
    )

    message = failure(alembic(project, "upgrade", "head", DATABASE_URL=database))

    assert killer.communicate()[0] == "killed\n"
    # The one line names the revision and the server's reason, not what failed after it.
    assert "_index_names.py failed at line" in message, message
    assert "terminating connection due to administrator command" in message, message
    invalid = "SELECT indexrelid::regclass::text FROM pg_index WHERE NOT indisvalid"
    assert sql(project, database, invalid) == [["ix_users_name"]]

    project.run("alembic", "upgrade", "head", DATABASE_URL=database)

    assert sql(project, database, invalid) == []
    indexes = "SELECT indexname FROM pg_indexes WHERE tablename = 'users' ORDER BY 1"
    assert sql(project, database, indexes) == [["ix_users_name"], ["pk_users"]]


@ON_POSTGRESQL
def test_an_index_built_on_a_big_table_takes_the_time_it_needs(
    project: BakedProject, database: str
) -> None:
    # A million rows: building the index concurrently takes longer than the statement limit
    # below, which a revision's steps that block the table must keep.
    sql(project, database, "INSERT INTO users (name) SELECT 'user ' || g FROM generate_series(1, 1000000) g")
    autogenerate_an_index_of_names(project, database)

    project.run("alembic", "upgrade", "head", DATABASE_URL=database, MIGRATION_STATEMENT_TIMEOUT="0.2")

    valid = "SELECT indexrelid::regclass::text, indisvalid FROM pg_index WHERE indrelid = 'users'::regclass"
    assert sorted(sql(project, database, valid)) == [["ix_users_name", True], ["pk_users", True]]


@ON_POSTGRESQL
def test_a_revision_that_failed_after_its_autocommit_block_runs_again(
    project: BakedProject, database: str
) -> None:
    # A column and a CHECK in one revision: the column is committed by the block that
    # validates the CHECK, and a row that fails the CHECK stops it there.
    user = project.path / "src" / project.package / "models" / "user.py"
    text = user.read_text().replace("from sqlalchemy import String", "from sqlalchemy import CheckConstraint, String")
    text = text.replace(
        '    __tablename__ = "users"\n',
        '    __tablename__ = "users"\n'
        '    __table_args__ = (CheckConstraint("length(name) > 1", name="name_long"),)\n'
        "    score: Mapped[int | None]\n",
    )
    user.write_text(text)
    project.run("alembic", "revision", "--autogenerate", "-m", "score and check", DATABASE_URL=database)
    (revision,) = (project.path / "src" / project.package / "migrations" / "versions").glob("*_score_and_check.py")
    assert "if_not_exists=True" in revision.read_text(), revision.read_text()
    sql(project, database, "INSERT INTO users (name) VALUES ('A')")

    failed = failure(alembic(project, "upgrade", "head", DATABASE_URL=database))
    assert 'check constraint "ck_users_name_long" of relation "users" is violated' in failed, failed

    # The row put right, the same revision runs again to the end.
    sql(project, database, "UPDATE users SET name = 'Al'")
    project.run("alembic", "upgrade", "head", DATABASE_URL=database)
    valid = "SELECT convalidated FROM pg_constraint WHERE conname = 'ck_users_name_long'"
    assert sql(project, database, valid) == [[True]]
    lint = project.run("python", "-m", f"{project.package}.migration_tools.safety", revision, check=False)
    assert lint.returncode == 0, lint.stdout + lint.stderr


@ON_MARIADB
def test_a_revision_that_failed_part_way_names_what_stays(project: BakedProject, database: str) -> None:
    revision = add_revision(project, FIRST, EMAIL_THEN_NAME, number=1, slug="email_then_name")

    message = failure(alembic(project, "upgrade", "head", DATABASE_URL=database))

    assert message.startswith(f"FAILED: upgrade() of {revision.file} failed at line 18: "), message
    assert "Duplicate column name 'name'" in message, message
    assert (
        "MySQL cannot roll back a schema change: what this revision ran before the failure "
        "stays (ALTER TABLE users ADD COLUMN email VARCHAR(120)). Undo it, or take it out of "
        "the revision, before running it again." in message
    ), message
