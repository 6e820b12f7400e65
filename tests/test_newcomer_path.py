"""What a newcomer meets: no skipped check that looks like a pass, and Alembic's own bare
errors explained in one line, with what to do.

Server projects are run as a newcomer runs them: with neither DATABASE_URL nor
TEST_DATABASE_URL set, so the project's default URL (a local server) is all there is.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from conftest import server_url
from helpers import BakedProject, unexpected_skips
from test_migration_checks import FIRST, add_revision, migrations_dir

@pytest.fixture
def project(request: pytest.FixtureRequest, cookies: Any, project_venv: Path) -> BakedProject:
    answers = {"project_name": "Newcomer", **getattr(request, "param", {})}
    result = cookies.bake(extra_context=answers)
    assert result.exit_code == 0, result.exception
    return BakedProject(result.project_path, project_venv, answers)


def add_second_revision(project: BakedProject, upgrade: str, downgrade: str = "pass") -> Path:
    body = (
        f"\n\ndef upgrade() -> None:\n    {upgrade}\n"
        f"\n\ndef downgrade() -> None:\n    {downgrade}\n"
    )
    revision = add_revision(project, FIRST, body, number=1, slug="second")
    return migrations_dir(project) / "versions" / revision.file


def failed_line(result: Any) -> str:
    """The one FAILED line of a failed alembic command, checked to stand alone."""
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Traceback" not in output, output
    failed = [line for line in output.splitlines() if line.startswith("FAILED:")]
    assert len(failed) == 1, output
    return failed[0]


SERVER_PROJECTS = [
    {"database": "postgresql", "async": False},
    {"database": "mysql", "async": True},
]


@pytest.mark.parametrize("project", SERVER_PROJECTS, ids=["postgresql", "mysql-async"], indirect=True)
def test_server_project_tests_on_its_own_server_without_test_url(project: BakedProject) -> None:
    server_url(project.database)  # the local server must be there (fails in CI if not)
    result = project.run("pytest", "-q", "-rs", "-p", "no:cacheprovider")
    summary = result.stdout.strip().splitlines()[-1]
    assert "passed" in summary and not unexpected_skips(result.stdout), result.stdout


@pytest.mark.parametrize("project", SERVER_PROJECTS, ids=["postgresql", "mysql-async"], indirect=True)
def test_unreachable_server_stops_the_tests_with_one_message(project: BakedProject) -> None:
    scheme = "postgresql" if project.database == "postgresql" else "mysql"
    unreachable = f"{scheme}://app@127.0.0.1:1/app"
    for variable in ("DATABASE_URL", "TEST_DATABASE_URL"):
        result = project.run("pytest", "-q", "-p", "no:cacheprovider", check=False, **{variable: unreachable})
        output = result.stdout + result.stderr
        assert result.returncode != 0, output
        assert f"cannot reach the database server at 127.0.0.1:1 (from {variable})" in output, output
        assert "passed" not in output and "skipped" not in output, output
        assert len(output.splitlines()) < 10, output
        # The pre-commit hook runs the same pytest: it cannot pass either.
        hook = project.run(
            "pytest", "--quiet", "--no-header", "-p", "no:cacheprovider",
            "tests/test_migrations.py::test_models_match_migrations",
            check=False, **{variable: unreachable},
        )
        assert hook.returncode != 0, hook.stdout


def test_database_at_a_revision_the_code_lacks(project: BakedProject, tmp_path: Path) -> None:
    database = tmp_path / "app.db"
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        connection.execute("INSERT INTO alembic_version VALUES ('deadbeef0000')")
    url = f"sqlite:///{database}"
    for command in (["current"], ["upgrade", "head"], ["check"]):
        result = project.run("alembic", *command, check=False, DATABASE_URL=url)
        line = failed_line(result)
        assert "deadbeef0000" in line and "check out the code that has it" in line, line


def test_autogenerate_on_a_database_behind(project: BakedProject, tmp_path: Path) -> None:
    add_second_revision(project, 'op.add_column("users", sa.Column("age", sa.Integer()))',
                        'op.drop_column("users", "age")')
    url = f"sqlite:///{tmp_path / 'app.db'}"
    project.run("alembic", "upgrade", "3f9c2a1b7d40", DATABASE_URL=url)
    result = project.run("alembic", "revision", "--autogenerate", "-m", "x", check=False, DATABASE_URL=url)
    assert "Apply the pending migrations first (alembic upgrade head)" in failed_line(result)


def test_downgrade_at_base(project: BakedProject, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    project.run("alembic", "upgrade", "head", DATABASE_URL=url)
    project.run("alembic", "downgrade", "-1", DATABASE_URL=url)
    result = project.run("alembic", "downgrade", "-1", check=False, DATABASE_URL=url)
    assert "fewer revisions that way than asked: alembic current shows" in failed_line(result)


def test_not_null_column_on_a_table_with_rows(project: BakedProject, tmp_path: Path) -> None:
    path = add_second_revision(
        project,
        'op.add_column("users", sa.Column("age", sa.Integer(), nullable=False))',
        'op.drop_column("users", "age")',
    )
    database = tmp_path / "app.db"
    url = f"sqlite:///{database}"
    project.run("alembic", "upgrade", "3f9c2a1b7d40", DATABASE_URL=url)
    with sqlite3.connect(database) as connection:
        connection.execute("INSERT INTO users (name) VALUES ('Ada')")
    result = project.run("alembic", "upgrade", "head", check=False, DATABASE_URL=url)
    line = failed_line(result)
    assert f"upgrade() of {path.name} failed" in line, line
    assert "needs a server_default; or add it nullable, fill it" in line, line
    # Left as it was: still at the first revision.
    assert "3f9c2a1b7d40" in project.run("alembic", "current", DATABASE_URL=url).stdout


def test_revision_ahead_of_the_models_is_told_to_go_into_the_models(project: BakedProject) -> None:
    """A hand-written revision adds a column the model lacks: autogenerate would write a
    revision that drops it again, so the advice is to add it to the models."""
    add_second_revision(
        project,
        'op.add_column("users", sa.Column("nickname", sa.String(30)))',
        'op.drop_column("users", "nickname")',
    )
    (migrations_dir(project) / "head.txt").write_text(
        next((migrations_dir(project) / "versions").glob("*_second.py")).name + "\n"
    )
    result = project.run("pytest", "-q", "-p", "no:cacheprovider", "tests/test_migrations.py", check=False)
    assert "1 failed" in result.stdout, result.stdout[-3000:]
    assert "  users.nickname (VARCHAR(30) NULL): in the migrations, not in the models" in result.stdout
    assert "belongs in the models: add it there" in result.stdout
    assert "alembic revision --autogenerate" not in result.stdout, result.stdout[-3000:]


@pytest.mark.parametrize("project", [{"database": "postgresql", "async": False}, {"database": "postgresql", "async": True}], ids=["sync", "async"], indirect=True)
def test_unknown_driver_name_suggests_the_right_one(project: BakedProject) -> None:
    result = project.run(
        "alembic", "upgrade", "head", check=False,
        DATABASE_URL="postgresql+psycopg3://app@127.0.0.1:1/app",
    )
    line = failed_line(result)
    driver = "asyncpg" if project.answers["async"] else "psycopg"
    assert "unknown driver 'postgresql+psycopg3': write postgresql://..." in line, line
    assert f"this project uses {driver}" in line, line
