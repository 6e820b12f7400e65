"""pre-commit in a baked project: every hook runs from the virtualenv (nothing fetched),
passes on a fresh project, and the drift hook catches a model changed without a migration."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from helpers import BakedProject, run
from model_change import add_email_and_posts


def test_hooks_need_no_network(cookies: Any) -> None:
    config = yaml.safe_load((cookies.bake().project_path / ".pre-commit-config.yaml").read_text())
    assert [repo["repo"] for repo in config["repos"]] == ["local"]
    hooks = {hook["id"]: hook for hook in config["repos"][0]["hooks"]}
    assert {hook["language"] for hook in hooks.values()} == {"system"}
    for expected in ("ruff-check", "ruff-format", "mypy", "trailing-whitespace", "end-of-file-fixer",
                     "check-yaml", "check-toml", "check-added-large-files", "check-merge-conflict",
                     "alembic-single-head", "alembic-check"):
        assert expected in hooks


def test_pre_commit_passes_then_catches_drift(cookies: Any, project_venv: Path, tmp_path: Path) -> None:
    result = cookies.bake(extra_context={"project_name": "Hooked"})
    project = BakedProject(result.project_path, project_venv, {"project_name": "Hooked"})
    home = {"PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    run(["git", "init", "-q"], cwd=project.path)
    run(["git", "add", "-A"], cwd=project.path)

    project.run("pre-commit", "run", "--all-files", **home)

    add_email_and_posts(project.path, project.package)
    run(["git", "add", "-A"], cwd=project.path)
    drift = project.run("pre-commit", "run", "alembic-check", "--all-files", check=False, **home)
    assert drift.returncode != 0
    assert "alembic revision --autogenerate" in drift.stdout, drift.stdout
