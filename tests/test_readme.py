"""The baked README runs as written: its Python example, and the set-up commands of a server
project in the order given, with the `.env` that `.env.example` makes."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from conftest import admin, server_url
from helpers import BakedProject, run

DEFAULT_URLS = {
    "sqlite": "sqlite:///{package}.db",
    "postgresql": "postgresql://postgres@localhost:5432/{package}",
    "mysql": "mysql://root@localhost:3306/{package}",
}
CREATE_DATABASE = {
    "postgresql": "createdb -h localhost -U postgres {package}",
    "mysql": 'mysql -h 127.0.0.1 -u root -e "CREATE DATABASE {package}"',
}


def get_running_commands(readme: str) -> list[str]:
    block = re.search(r"## Get running\n\n```console\n(.*?)```", readme, re.DOTALL)
    assert block is not None
    return [line.removeprefix("$ ").split("  #")[0].strip() for line in block.group(1).splitlines()]


def test_using_the_database_example_runs(cookies: Any, project_venv: Path, tmp_path: Path) -> None:
    project = BakedProject(cookies.bake().project_path, project_venv, {})
    readme = (project.path / "README.md").read_text()
    example = re.search(r"## Using the database\n\n```python\n(.*?)```", readme, re.DOTALL)
    assert example is not None
    script = tmp_path / "example.py"
    script.write_text(
        example.group(1) + "\nwith new_session() as session:\n    print(session.query(User).one())\n"
    )
    database = {"DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}"}
    project.run("alembic", "upgrade", "head", **database)
    output = project.run("python", script, **database).stdout
    assert output.strip() == "User(id=1, name='Ada Lovelace')"


@pytest.mark.parametrize("database", ["sqlite", "postgresql", "mysql"])
def test_env_example_holds_the_default_that_works(cookies: Any, database: str) -> None:
    """The one DATABASE_URL that is not a comment is the built-in default; a password only in a comment."""
    project = cookies.bake(extra_context={"database": database, "package_name": "demo"}).project_path
    lines = (project / ".env.example").read_text().splitlines()
    assert [line for line in lines if line.startswith("DATABASE_URL=")] == [
        f"DATABASE_URL={DEFAULT_URLS[database].format(package='demo')}"
    ]
    examples = [line for line in lines if line.startswith("# DATABASE_URL=") and "://app_user:change-me@" in line]
    assert examples, "the form with a password, as a commented example"
    assert 'a password "p@ss" is written p%40ss' in "\n".join(lines)


@pytest.mark.parametrize("database", ["postgresql", "mysql"])
def test_server_project_sets_up_in_the_order_written(
    cookies: Any, project_venv: Path, tmp_path: Path, database: str
) -> None:
    """make install, create the database, make db-upgrade, make test; `.env` from `.env.example`."""
    server = server_url(database)
    assert server is not None
    package = f"readme_{uuid.uuid4().hex[:10]}"
    answers = {"database": database, "package_name": package}
    project = BakedProject(cookies.bake(extra_context=answers).project_path, project_venv, answers)
    readme = (project.path / "README.md").read_text()
    create = CREATE_DATABASE[database].format(package=package)
    assert get_running_commands(readme) == ["make install", create, "make db-upgrade", "make test"]
    assert "$ cp .env.example .env" in readme
    if urlsplit(server).hostname not in ("localhost", "127.0.0.1") or urlsplit(server).port not in (None, 5432, 3306):
        pytest.skip("the README's commands name the server on this machine, at its usual port")

    # `make install` would create .venv; the shared virtualenv stands in for it.
    run(["sh", "-c", create], cwd=project.path, env=project.env())
    try:
        run(["cp", ".env.example", ".env"], cwd=project.path)
        upgrade = project.run("make", f"VENV={project_venv}", "db-upgrade")
        assert "Running upgrade  -> 3f9c2a1b7d40" in upgrade.stderr
    finally:
        force = " WITH (FORCE)" if database == "postgresql" else ""
        admin(project, server, f"DROP DATABASE IF EXISTS {package}{force}")


def test_readme_says_to_commit_uv_lock_and_how_to_name_a_python(cookies: Any) -> None:
    project = cookies.bake(extra_context={"python_version": "3.12"}).project_path
    readme = (project / "README.md").read_text()
    assert "`uv sync` writes `uv.lock`, the exact version of every dependency: commit it." in readme
    assert "uv.lock" not in (project / ".gitignore").read_text()
    assert "The project needs Python 3.12 or newer" in readme
    # The command the Makefile's refusal names (tests/test_makefile.py).
    assert "$ make install PYTHON=python3.12\n" in readme


@pytest.mark.parametrize("database", ["postgresql", "mysql"])
def test_server_project_docs_do_not_promise_skipped_tests(cookies: Any, database: str) -> None:
    """The tests run on the project's own server when TEST_DATABASE_URL is unset (tests/scratch_databases.py)."""
    project = cookies.bake(extra_context={"database": database}).project_path
    for name in ("README.md", ".env.example"):
        text = (project / name).read_text()
        assert "skipped" not in text and "skip the" not in text, name
