"""Shared helpers for the template's tests: baking and running commands in baked projects."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from cookiecutter.main import cookiecutter

TEMPLATE = Path(__file__).resolve().parent.parent
CACHE = TEMPLATE / ".cache"
# Command-line tools installed beside the Python running the tests.
UV = Path(sys.executable).with_name("uv")
CHECK_JSONSCHEMA = Path(sys.executable).with_name("check-jsonschema")

# Every database x async combination the template offers.
COMBINATIONS = [
    {"database": database, "async": use_async}
    for database in ("sqlite", "postgresql", "mysql")
    for use_async in (False, True)
]


# The one test a baked project may leave out: the previous-release check, when the project
# is not a git repository yet or has no release to compare with (it says so).
NO_PREVIOUS_RELEASE = "No previous release to compare with: "


def unexpected_skips(pytest_output: str) -> list[str]:
    """The tests a baked project's pytest left out (its ``-rs`` lines), but for that one."""
    return [
        line
        for line in pytest_output.splitlines()
        if line.startswith("SKIPPED") and NO_PREVIOUS_RELEASE not in line
    ]


# Set when `make test` runs these tests; a `make` run inside a baked project must not see them.
MAKE_VARIABLES = ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")


def load_hook(name: str) -> ModuleType:
    """A hook script as a module; its Jinja sits under ``__main__`` and does not run."""
    spec = importlib.util.spec_from_file_location(name, TEMPLATE / "hooks" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def replay_context(workdir: Path) -> dict[str, Any]:
    """What cookiecutter writes to its replay file for a default bake, to edit and replay."""
    config = workdir / "config.yaml"
    workdir.mkdir(parents=True, exist_ok=True)
    config.write_text(f"replay_dir: {json.dumps(str(workdir / 'replay'))}\n")
    cookiecutter(str(TEMPLATE), no_input=True, output_dir=str(workdir / "out"), config_file=str(config))
    (replay_file,) = (workdir / "replay").glob("*.json")
    context: dict[str, Any] = json.loads(replay_file.read_text())
    return context


def combination_id(answers: Mapping[str, object]) -> str:
    return f"{answers['database']}-{'async' if answers['async'] else 'sync'}"


def run(
    command: list[str | Path],
    cwd: Path,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    timeout: float = 600,
) -> subprocess.CompletedProcess[str]:
    """Run a command; on failure, show what it printed."""
    env = dict(os.environ if env is None else env)
    for variable in MAKE_VARIABLES:
        env.pop(variable, None)
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(map(str, command))} exited {result.returncode} in {cwd}\n"
            f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
        )
    return result


class BakedProject:
    """A baked project, run with the shared virtualenv and its own source on the path."""

    def __init__(self, path: Path, venv: Path, answers: Mapping[str, object]) -> None:
        self.path = path
        self.venv = venv
        self.answers = answers
        self.package = str(answers.get("package_name") or path.name.replace("-", "_"))

    @property
    def database(self) -> str:
        return str(self.answers.get("database", "sqlite"))

    @property
    def mypy_cache(self) -> Path:
        """mypy's cache, kept between runs for each virtualenv and set of answers: warm, it
        checks a freshly baked project in a fraction of a second instead of seconds."""
        answers = hashlib.sha256(repr(sorted(self.answers.items())).encode()).hexdigest()[:12]
        return CACHE / "mypy" / f"{self.venv.name}-{answers}"

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("DATABASE_URL", "TEST_DATABASE_URL", "PYTHONPATH", *MAKE_VARIABLES)
        }
        env.update(
            PATH=f"{self.venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
            VIRTUAL_ENV=str(self.venv),
            PYTHONPATH=str(self.path / "src"),
            PYTHONDONTWRITEBYTECODE="1",
            MYPY_CACHE_DIR=str(self.mypy_cache),
        )
        if not self.answers.get("async"):
            # The shared virtualenv also serves async projects; keep their plugin out.
            env["PYTEST_ADDOPTS"] = "-p no:asyncio"
        env.update(extra)
        return env

    def run(
        self, *command: str | Path, check: bool = True, **extra_env: str
    ) -> subprocess.CompletedProcess[str]:
        return run(list(command), cwd=self.path, env=self.env(**extra_env), check=check)
