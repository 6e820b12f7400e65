"""The baked project's Makefile: `make help` lists the aliases, each one does what it says,
and `make install` says which Python it needs and shows what it installs."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import BakedProject, run

PYENV_VERSIONS = Path(os.environ.get("PYENV_ROOT", "/root/.pyenv")) / "versions"


def clean_env(**extra: str) -> dict[str, str]:
    """A developer's shell: no virtualenv active, and (with `UV=` on make's command line) no uv."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "DATABASE_URL")}
    env["PATH"] = os.pathsep.join(
        part for part in env["PATH"].split(os.pathsep) if Path(part) != Path(sys.executable).parent
    )
    return {**env, **extra}


def python_version(python: str | Path, cwd: Path) -> str:
    return run([python, "-c", "import sys; print(sys.version)"], cwd=cwd).stdout.strip()


def other_python() -> Path | None:
    """A pyenv Python 3.10+ of another minor version than the one running the tests."""
    for version in sorted(PYENV_VERSIONS.glob("3.*")):
        match = re.fullmatch(r"3\.(\d+)\.\d+", version.name)
        if match and int(match.group(1)) >= 10 and int(match.group(1)) != sys.version_info.minor:
            return version / "bin" / "python"
    return None

TARGETS = [
    "install", "db-upgrade", "db-expand", "db-contract", "db-downgrade", "revision",
    "check-previous-release", "squash", "test", "lint",
]


def test_make_help_lists_every_alias(cookies: Any) -> None:
    output = run(["make", "help"], cwd=cookies.bake().project_path).stdout
    listed = [line.split()[0] for line in output.splitlines() if line.strip()]
    assert listed == ["help", *TARGETS]


def test_make_targets_work(cookies: Any, project_venv: Path, tmp_path: Path) -> None:
    project = BakedProject(cookies.bake().project_path, project_venv, {})
    database = {"DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}"}
    make = lambda *args, **kw: project.run("make", f"VENV={project_venv}", *args, **database, **kw)  # noqa: E731

    assert "Running upgrade  -> 3f9c2a1b7d40" in make("db-upgrade").stderr
    assert "Running downgrade 3f9c2a1b7d40 -> " in make("db-downgrade").stderr
    make("db-upgrade")

    usage = make("revision", check=False)
    assert usage.returncode == 2 and 'usage: make revision m="describe the change"' in usage.stderr
    assert "no revision written" in make("revision", "m=nothing changed").stdout
    usage = make("squash", check=False)
    assert usage.returncode == 2 and "usage: make squash upto=<revision>" in usage.stderr

    make("lint")
    make("test")


def test_install_names_the_python_it_needs_and_how_to_pass_it(cookies: Any) -> None:
    project = cookies.bake(extra_context={"python_version": "3.14"}).project_path
    result = run(["make", "install", "UV=", "PYTHON=python3.11"], cwd=project, env=clean_env(), check=False)
    assert result.returncode != 0
    assert result.stderr.startswith(
        "This project needs Python 3.14 or newer (requires-python in pyproject.toml),\n"
        "and 'python3.11' is Python 3.11."
    ), result.stderr
    assert "Install one, then name it: make install PYTHON=python3.14\n" in result.stderr
    assert not (project / ".venv").exists()


@pytest.mark.skipif(other_python() is None, reason="no second Python 3.10+ under pyenv")
def test_install_makes_the_venv_again_with_the_python_named(cookies: Any) -> None:
    """The retry after a failed install: the old .venv, of another Python, is not reused."""
    project = cookies.bake().project_path
    run([sys.executable, "-m", "venv", ".venv"], cwd=project)
    python = other_python()
    assert python is not None
    # No index: pip stops at once after the virtualenv is made; this test needs no network.
    result = run(["make", "install", "UV=", f"PYTHON={python}"], cwd=project, env=clean_env(PIP_NO_INDEX="1"), check=False)
    assert ".venv runs another Python (or none): creating it again.\n" in result.stdout, result.stdout
    assert python_version(project / ".venv" / "bin" / "python", project) == python_version(python, project)


def test_install_with_pip_shows_what_it_installs(cookies: Any) -> None:
    """The README's pip commands, as `make install` runs them without uv: the project
    migrates and its tests pass."""
    project = cookies.bake().project_path
    result = run(["make", "install", "UV=", f"PYTHON={sys.executable}"], cwd=project, env=clean_env())
    lines = result.stdout.splitlines()
    assert "Creating .venv with Python" in lines[0]
    assert "Installing the project and its dev tools into .venv with pip (about 20 s)" in lines
    assert any(line.startswith("Collecting ") for line in lines), result.stdout
    assert any(line.startswith("Successfully installed ") for line in lines), result.stdout
    run([project / ".venv" / "bin" / "alembic", "upgrade", "head"], cwd=project, env=clean_env())
    run([project / ".venv" / "bin" / "pytest", "-q", "-p", "no:cacheprovider"], cwd=project, env=clean_env())
