"""pre-commit in a baked project: every hook runs from the project's .venv (nothing fetched,
nothing activated), runs and passes on a fresh bake (a git repository with a first commit, so
no hook is skipped for want of files git knows), and the drift hook catches a model changed
without a migration."""

from __future__ import annotations

import os
import re
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
                     "alembic-single-head", "alembic-check", "migration-safety"):
        assert expected in hooks


def without_virtualenv(env: dict[str, str], venv: Path) -> dict[str, str]:
    """``env`` as an IDE or a git GUI has it: the virtualenv is not activated."""
    env = {key: value for key, value in env.items() if key != "VIRTUAL_ENV"}
    env["PATH"] = os.pathsep.join(
        part for part in env["PATH"].split(os.pathsep) if Path(part).resolve() != (venv / "bin").resolve()
    )
    return env


def hook_results(output: str) -> dict[str, str]:
    """What pre-commit printed for each hook, by name: Passed, Failed or Skipped."""
    found = re.findall(r"^(.+?)\.{3,}(?:\(no files to check\))?(Passed|Failed|Skipped)$", output, re.MULTILINE)
    return dict(found)


def test_pre_commit_runs_every_hook_on_a_fresh_bake_then_catches_drift(
    cookies: Any, project_venv: Path, tmp_path: Path
) -> None:
    """The README's set-up as written (`pre-commit install`, then every hook by hand) on a fresh
    bake; run as from an IDE: pre-commit by its path, the virtualenv neither activated nor on PATH."""
    result = cookies.bake(extra_context={"project_name": "Hooked"})
    project = BakedProject(result.project_path, project_venv, {"project_name": "Hooked"})
    # `make install` would create .venv here; the shared virtualenv stands in for it.
    (project.path / ".venv").symlink_to(project_venv, target_is_directory=True)
    with (project.path / ".git" / "info" / "exclude").open("a") as exclude:
        exclude.write(".venv\n")
    env = without_virtualenv(project.env(PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home")), project_venv)
    env.update(GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1")  # no core.hooksPath of this machine's
    pre_commit = [project.path / ".venv" / "bin" / "pre-commit", "run", "--all-files"]

    run([project.path / ".venv" / "bin" / "pre-commit", "install"], cwd=project.path, env=env)
    ran = run(pre_commit, cwd=project.path, env=env)

    assert (project.path / ".git" / "hooks" / "pre-commit").exists()
    config = yaml.safe_load((project.path / ".pre-commit-config.yaml").read_text())
    names = [hook["name"] for hook in config["repos"][0]["hooks"]]
    assert hook_results(ran.stdout) == dict.fromkeys(names, "Passed"), ran.stdout

    add_email_and_posts(project.path, project.package)
    run(["git", "add", "-A"], cwd=project.path)
    drift = run([*pre_commit, "alembic-check"], cwd=project.path, env=env, check=False)
    assert drift.returncode != 0
    assert "alembic revision --autogenerate" in drift.stdout, drift.stdout


def test_hooks_without_a_virtualenv_say_to_run_make_install(cookies: Any, project_venv: Path, tmp_path: Path) -> None:
    project = BakedProject(cookies.bake().project_path, project_venv, {})
    env = without_virtualenv(project.env(PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home")), project_venv)

    missing = run([project_venv / "bin" / "pre-commit", "run", "ruff-check", "--all-files"],
                  cwd=project.path, env=env, check=False)

    assert missing.returncode != 0
    assert "Executable `.venv/bin/ruff` not found" in missing.stdout, missing.stdout
    config = (project.path / ".pre-commit-config.yaml").read_text()
    assert '"Executable\n# `.venv/bin/...` not found" means: run `make install` first.' in config
