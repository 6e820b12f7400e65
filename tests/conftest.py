"""Fixtures for the template's tests: one shared virtualenv, real database servers."""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tomllib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter
from filelock import FileLock
from helpers import CACHE, COMBINATIONS, TEMPLATE, UV, BakedProject, run

# How the shared virtualenv is installed; part of its cache key, so a change rebuilds it.
# Bytecode is compiled once at install: baked projects run with PYTHONDONTWRITEBYTECODE,
# so otherwise every alembic, pytest and mypy process would compile SQLAlchemy again.
INSTALL_OPTIONS = ["--compile-bytecode"]

# Environment variables naming the servers the template's tests bake projects against.
SERVER_URL_VARIABLES = {"postgresql": "TEST_POSTGRESQL_URL", "mysql": "TEST_MYSQL_URL"}


def server_skips(reports: list[pytest.TestReport]) -> int:
    """How many of the skipped tests' reports say a server variable was not set."""
    return sum(
        1
        for report in reports
        if any(f"{variable} is not set" in str(report.longrepr) for variable in SERVER_URL_VARIABLES.values())
    )


def pytest_unconfigure(config: pytest.Config) -> None:
    """End the run with one line when tests were skipped for want of a server: the summary
    above counts them with every other skip, and the variables that run them are in the
    README, two sections below the set-up commands."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None or hasattr(config, "workerinput"):
        return
    skipped = server_skips(reporter.stats.get("skipped", []))
    if skipped:
        variables = " and ".join(SERVER_URL_VARIABLES.values())
        reporter.write_line(
            f"{skipped} tests skipped: they need a PostgreSQL and a MySQL server; "
            f"set {variables} to run them (see the README).",
            yellow=True,
            bold=True,
        )


def project_requirements(workdir: Path) -> list[str]:
    """Everything any baked project installs, read from the baked pyproject.toml files."""
    requirements: set[str] = set()
    for answers in COMBINATIONS:
        output = workdir / f"{answers['database']}-{answers['async']}"
        path = Path(cookiecutter(str(TEMPLATE), no_input=True, extra_context=answers, output_dir=str(output)))
        pyproject = tomllib.loads((path / "pyproject.toml").read_text())
        requirements.update(pyproject["project"]["dependencies"])
        requirements.update(pyproject["dependency-groups"]["dev"])
    return sorted(requirements)


@pytest.fixture(scope="session")
def project_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One virtualenv with every baked project's dependencies, shared by all of them.

    Built once and kept in .cache/ (keyed by the requirements), so later runs start at once;
    baked projects use it with their own src/ on PYTHONPATH instead of installing themselves.
    """
    requirements = project_requirements(tmp_path_factory.mktemp("requirements"))
    key_parts = [sys.version, *INSTALL_OPTIONS, *requirements]
    key = hashlib.sha256("\n".join(key_parts).encode()).hexdigest()[:12]
    venv = CACHE / f"project-venv-{key}"
    CACHE.mkdir(exist_ok=True)
    with FileLock(f"{venv}.lock"):
        if not (venv / ".complete").exists():
            shutil.rmtree(venv, ignore_errors=True)
            run([UV, "venv", "--quiet", "--python", sys.executable, venv], cwd=CACHE)
            python = venv / "bin" / "python"
            run([UV, "pip", "install", "--quiet", *INSTALL_OPTIONS, "--python", python, *requirements], cwd=CACHE)
            (venv / ".complete").touch()
    return venv


def server_url(database: str) -> str | None:
    """The server to test a ``database`` project against; None for SQLite.

    Skips when the variable is unset, or fails when STRICT_TEMPLATE_TESTS is set (CI).
    """
    if database == "sqlite":
        return None
    variable = SERVER_URL_VARIABLES[database]
    url = os.environ.get(variable)
    if not url:
        reason = f"{variable} is not set, so the {database} project cannot be tested on a real server"
        if os.environ.get("STRICT_TEMPLATE_TESTS"):
            pytest.fail(reason)
        pytest.skip(reason)
    return url


@contextmanager
def scratch_database(project: BakedProject, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database for ``project``'s engine, dropped afterwards."""
    server = server_url(project.database)
    if server is None:
        yield f"sqlite:///{tmp_path / 'scratch.db'}"
        return
    name = f"template_{uuid.uuid4().hex[:12]}"
    admin(project, server, f"CREATE DATABASE {name}")
    try:
        yield with_database(server, name)
    finally:
        force = " WITH (FORCE)" if project.database == "postgresql" else ""
        admin(project, server, f"DROP DATABASE IF EXISTS {name}{force}")


def admin(project: BakedProject, server: str, *statements: str) -> None:
    """Run statements on the server as its administrator, with the project's drivers."""
    script = TEMPLATE / "tests" / "server_db.py"
    run([project.venv / "bin" / "python", script, server, *statements], cwd=TEMPLATE)


def with_database(url: str, database: str) -> str:
    """``url`` with its database name replaced."""
    return f"{url.rsplit('/', 1)[0]}/{database}"
