"""Baked projects follow template changes with cruft, by the commands the README shows, run
as written with the cruft (and typer) that `pip install cruft` brings today."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from helpers import TEMPLATE, run

BIN = Path(sys.executable).parent
GIT = ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com"]


def commit_all(repo: Path, message: str) -> None:
    run(["git", "add", "-A"], cwd=repo)
    run([*GIT, "commit", "-q", "-m", message], cwd=repo)


def readme_commands() -> list[list[str]]:
    """The commands of the README's "Following template updates" block, comments dropped."""
    readme = (TEMPLATE / "README.md").read_text()
    block = re.search(r"## Following template updates\n.*?```console\n(.*?)```", readme, re.DOTALL)
    assert block is not None
    lines = block.group(1).replace("<template URL>", "TEMPLATE_URL").splitlines()
    return [shlex.split(line.split("  #")[0]) for line in lines]


def test_readme_commands_follow_a_template_change(tmp_path: Path) -> None:
    create, check, update, review = readme_commands()
    assert create == ["cruft", "create", "TEMPLATE_URL"]
    assert [check, update, review[:1]] == [["cruft", "check"], ["cruft", "update", "-y"], ["git"]]
    template = tmp_path / "template"
    shutil.copytree(
        TEMPLATE, template, ignore=shutil.ignore_patterns(".git", ".venv", ".cache", "build", "__pycache__")
    )
    run(["git", "init", "-q", "-b", "main"], cwd=template)
    commit_all(template, "template v1")
    # The one thing the README leaves to the reader: the template's URL (and --no-input here).
    run([BIN / "cruft", "create", "--no-input", template], cwd=tmp_path)
    project = tmp_path / "inventory-service"
    assert (project / ".cruft.json").exists()
    run(["git", "init", "-q", "-b", "main"], cwd=project)
    commit_all(project, "baked")
    run([BIN / check[0], *check[1:]], cwd=project)

    makefile = template / "{{cookiecutter.project_slug}}" / "Makefile"
    makefile.write_text(makefile.read_text().replace("test: ## Run the tests", "test: ## Run the whole test suite"))
    commit_all(template, "template v2")

    assert run([BIN / check[0], *check[1:]], cwd=project, check=False).returncode != 0
    # Typed at a terminal: "y" answers a prompt, if the command asks one.
    updated = subprocess.run(
        [BIN / update[0], *update[1:]], cwd=project, input="y\n", capture_output=True, text=True, timeout=600, check=False
    )
    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert "Error" not in updated.stdout + updated.stderr, updated.stdout + updated.stderr
    diff = run(review, cwd=project).stdout
    assert "+test: ## Run the whole test suite" in diff
    assert "test: ## Run the whole test suite" in (project / "Makefile").read_text()
    run([BIN / check[0], *check[1:]], cwd=project)
    assert "<<<<<<<" not in (project / "Makefile").read_text()
    assert not list(project.rglob("*.rej"))


def test_cruft_is_tested_at_the_version_pip_installs_today() -> None:
    """The versions the bug was seen with: a test run on older ones would hide it again."""
    from importlib.metadata import version

    assert tuple(map(int, version("typer").split(".")[:2])) >= (0, 20), "typer that makes cruft's own prompt crash"
    requirements = (TEMPLATE / "tests" / "requirements.txt").read_text()
    assert re.search(r"^cruft>=", requirements, re.MULTILINE) and "typer" not in requirements
