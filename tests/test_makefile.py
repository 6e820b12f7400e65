"""The baked project's Makefile: `make help` lists the aliases, and each one that needs no
network does what it says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from helpers import BakedProject, run

TARGETS = ["install", "db-upgrade", "db-downgrade", "revision", "test", "lint"]


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

    make("lint")
    make("test")
