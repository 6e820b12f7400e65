"""Baked projects follow template changes: cruft sees a new template commit and applies it."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from helpers import TEMPLATE, run

CRUFT = Path(sys.executable).with_name("cruft")
GIT = ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com"]


def commit_all(repo: Path, message: str) -> None:
    run(["git", "add", "-A"], cwd=repo)
    run([*GIT, "commit", "-q", "-m", message], cwd=repo)


def test_cruft_create_check_update(tmp_path: Path) -> None:
    template = tmp_path / "template"
    shutil.copytree(
        TEMPLATE, template, ignore=shutil.ignore_patterns(".git", ".venv", ".cache", "build", "__pycache__")
    )
    run(["git", "init", "-q", "-b", "main"], cwd=template)
    commit_all(template, "template v1")

    run([CRUFT, "create", "--no-input", "--output-dir", tmp_path / "out", template], cwd=tmp_path)
    project = tmp_path / "out" / "inventory-service"
    assert (project / ".cruft.json").exists()
    run(["git", "init", "-q", "-b", "main"], cwd=project)
    commit_all(project, "baked")
    run([CRUFT, "check"], cwd=project)

    makefile = template / "{{cookiecutter.project_slug}}" / "Makefile"
    makefile.write_text(makefile.read_text().replace("test: ## Run the tests", "test: ## Run the whole test suite"))
    commit_all(template, "template v2")

    assert run([CRUFT, "check"], cwd=project, check=False).returncode != 0
    run([CRUFT, "update", "--skip-apply-ask"], cwd=project)
    assert "test: ## Run the whole test suite" in (project / "Makefile").read_text()
    run([CRUFT, "check"], cwd=project)
    assert "<<<<<<<" not in (project / "Makefile").read_text()
    assert not list(project.rglob("*.rej"))
