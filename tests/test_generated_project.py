"""Every database x async combination bakes a project that lints, type-checks, migrates and
passes its own tests, on SQLite and on the real PostgreSQL and MariaDB servers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import scratch_database, server_url
from helpers import COMBINATIONS, BakedProject, combination_id, unexpected_skips


@pytest.fixture(scope="module", params=COMBINATIONS, ids=combination_id)
def project(request: pytest.FixtureRequest, cookies_session: Any, project_venv: Path) -> BakedProject:
    # Package names on both sides of "conftest", so import sorting cannot depend on the name.
    first = (request.param["database"] == "postgresql") != request.param["async"]
    answers = {"project_name": f"{'Zeta' if first else 'Acme'} {combination_id(request.param)}", **request.param}
    result = cookies_session.bake(extra_context=answers)
    assert result.exit_code == 0, result.exception
    return BakedProject(result.project_path, project_venv, answers)


def test_ruff_finds_nothing(project: BakedProject) -> None:
    project.run("ruff", "check", ".")


def test_ruff_format_changes_nothing(project: BakedProject) -> None:
    project.run("ruff", "format", "--check", ".")


def test_mypy_strict_passes(project: BakedProject) -> None:
    project.run("mypy", "--strict")


def test_project_tests_pass_on_their_engine(project: BakedProject) -> None:
    server = server_url(project.database)
    extra = {"TEST_DATABASE_URL": server} if server else {}
    result = project.run("pytest", "-p", "no:cacheprovider", "-q", "-rs", **extra)
    summary = result.stdout.strip().splitlines()[-1]
    assert "passed" in summary
    assert not unexpected_skips(result.stdout), result.stdout


def test_alembic_command_line_round_trip(project: BakedProject, tmp_path: Path) -> None:
    with scratch_database(project, tmp_path) as url:
        alembic = lambda *args: project.run("alembic", *args, DATABASE_URL=url)  # noqa: E731
        alembic("upgrade", "head")
        assert "3f9c2a1b7d40 (head)" in alembic("current").stdout
        assert "No new upgrade operations detected" in alembic("check").stdout
        alembic("downgrade", "-1")
        assert alembic("current").stdout.strip() == ""
        alembic("upgrade", "head")
        alembic("downgrade", "base")
        assert alembic("current").stdout.strip() == ""
        assert "CREATE TABLE users" in alembic("upgrade", "head", "--sql").stdout
