"""A baked project installs with uv and with plain pip, and passes its tests on every
Python 3.10+ this machine has."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import scratch_database, server_url
from helpers import COMBINATIONS, UV, BakedProject, combination_id, run, unexpected_skips

PYENV_VERSIONS = Path(os.environ.get("PYENV_ROOT", "/root/.pyenv")) / "versions"


def clean_env() -> dict[str, str]:
    """The environment without the test runner's virtualenv, as on a developer's machine."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["PATH"] = os.pathsep.join(
        part for part in env["PATH"].split(os.pathsep) if Path(part) != Path(sys.executable).parent
    )
    return env


@pytest.mark.parametrize("answers", COMBINATIONS, ids=combination_id)
def test_uv_sync_and_uv_run(cookies: Any, answers: dict[str, object], project_venv: Path, tmp_path: Path) -> None:
    """Each combination, installed with only its own dependencies (the shared test
    virtualenv holds every driver), migrates and passes its own tests on its engine."""
    project = cookies.bake(extra_context=answers).project_path
    env = clean_env()
    run([UV, "sync", "--quiet"], cwd=project, env=env)
    with scratch_database(BakedProject(project, project_venv, answers), tmp_path) as url:
        run([UV, "run", "--quiet", "alembic", "upgrade", "head"], cwd=project, env={**env, "DATABASE_URL": url})
    server = server_url(str(answers["database"]))
    if server:
        env["TEST_DATABASE_URL"] = server
    result = run([UV, "run", "--quiet", "pytest", "-q", "-rs", "-p", "no:cacheprovider"], cwd=project, env=env)
    summary = result.stdout.strip().splitlines()[-1]
    assert "passed" in summary
    assert not unexpected_skips(result.stdout), result.stdout


# An application using the installed package: it migrates, then reads the users back.
APPLICATION = """
from {package}.migration_tools.commands import upgrade
from {package}.db import create_db_engine
from sqlalchemy import inspect

upgrade()
print(sorted(inspect(create_db_engine()).get_table_names()))
"""


def test_installed_wheel_migrates_its_database(cookies: Any, tmp_path: Path) -> None:
    """Installed as a wheel (not editable), far from the source tree: the package carries
    its migrations and the alembic.ini its tooling reads."""
    project = cookies.bake().project_path
    venv = tmp_path / "venv"
    env = clean_env()
    run([UV, "venv", "--quiet", "--python", sys.executable, venv], cwd=tmp_path, env=env)
    run([UV, "pip", "install", "--quiet", "--python", venv / "bin" / "python", project], cwd=tmp_path, env=env)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = run(
        [venv / "bin" / "python", "-c", APPLICATION.format(package="inventory_service")],
        cwd=elsewhere,
        env={**env, "DATABASE_URL": f"sqlite:///{elsewhere / 'app.db'}"},
    )
    assert result.stdout.strip() == "['alembic_version', 'users']", result.stdout + result.stderr


def machine_pythons() -> list[Path]:
    """The oldest and the newest pyenv Python from 3.10 up, except the one running these
    tests: the ends of the supported range (each version costs the suite half a minute)."""
    found = []
    versions = PYENV_VERSIONS.glob("3.*")
    for version in sorted(versions, key=lambda path: [int(part) for part in re.findall(r"\d+", path.name)]):
        match = re.fullmatch(r"3\.(\d+)\.\d+", version.name)
        if match and int(match.group(1)) >= 10 and int(match.group(1)) != sys.version_info.minor:
            found.append(version / "bin" / "python")
    return sorted({*found[:1], *found[-1:]})


@pytest.mark.parametrize("python", machine_pythons(), ids=lambda path: path.parent.parent.name)
def test_project_tests_pass_on_python(cookies: Any, python: Path, tmp_path: Path) -> None:
    project = cookies.bake().project_path
    env = {**clean_env(), "UV_PROJECT_ENVIRONMENT": str(tmp_path / "venv")}
    run([UV, "sync", "--quiet", "--python", python], cwd=project, env=env)
    run([UV, "run", "--quiet", "--python", python, "mypy"], cwd=project, env=env)
    result = run([UV, "run", "--quiet", "--python", python, "pytest", "-q", "-p", "no:cacheprovider"], cwd=project, env=env)
    assert "passed" in result.stdout
    version = run([tmp_path / "venv" / "bin" / "python", "--version"], cwd=project).stdout
    assert version.split()[1].startswith(python.parent.parent.name.rsplit(".", 1)[0])


def test_this_machine_has_other_pythons() -> None:
    """The parametrized test above must not silently vanish on a machine without pyenv."""
    if not machine_pythons() and os.environ.get("STRICT_TEMPLATE_TESTS"):
        pytest.fail(f"no Python 3.10+ besides {sys.version.split()[0]} under {PYENV_VERSIONS}")
