"""Baked projects follow template changes with cruft, by the commands the README shows, run
as written with the cruft (and typer) that `pip install cruft` brings today: a change that
applies, one that clashes with a local edit (in the project, and in a later clone), a change
to the template's own Jinja extension, and an update from a template many commits old. The
README's way without cruft works too."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import TEMPLATE, run

BIN = Path(sys.executable).parent
SLUG = "inventory-service"
MAKEFILE = Path("{{cookiecutter.project_slug}}") / "Makefile"
TEST_TARGET = "test: ## Run the tests"
# A commit of this repository whose local_extensions.py has neither TemplateExtension nor the
# loader: cruft kept that module while it rendered the new template, which failed with
# "AttributeError: module 'local_extensions' has no attribute 'TemplateExtension'".
OLD_TEMPLATE_COMMIT = "fdf4f56"


def shell_env(tmp_path: Path) -> dict[str, str]:
    """The user's shell: cruft and cookiecutter on PATH, git with a name and no other settings."""
    return {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "GIT_CONFIG_GLOBAL": str(tmp_path / "gitconfig"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Dev",
        "GIT_AUTHOR_EMAIL": "dev@example.com",
        "GIT_COMMITTER_NAME": "Dev",
        "GIT_COMMITTER_EMAIL": "dev@example.com",
    }


def sh(command: str, cwd: Path, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess[str]:
    """One line of the README, run by bash as typed; stdout and stderr together, as shown."""
    result = subprocess.run(
        ["bash", "-c", command], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL, text=True, timeout=600, check=False,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"$ {command}\nexited {result.returncode}:\n{result.stdout}")
    return result


def readme_block(heading: str, index: int) -> list[str]:
    """The commands of the ``index``-th console block under ``heading``, comments dropped."""
    readme = (TEMPLATE / "README.md").read_text()
    section = readme.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    block = re.findall(r"```console\n(.*?)```", section, re.DOTALL)[index]
    return [line.split("  #")[0].rstrip() for line in block.splitlines()]


def template_repository(tmp_path: Path, env: dict[str, str], commit: str | None = None) -> Path:
    """This template in a git repository of its own, as cruft clones it: the working tree,
    or an earlier commit of this repository."""
    template = tmp_path / "template"
    if commit is None:
        shutil.copytree(
            TEMPLATE, template, ignore=shutil.ignore_patterns(".git", ".venv", ".cache", "build", "__pycache__")
        )
    else:
        found = run(["git", "cat-file", "-e", f"{commit}^{{commit}}"], cwd=TEMPLATE, check=False)
        if found.returncode != 0:
            pytest.skip(f"commit {commit} is not in this clone's history (a shallow clone?)")
        template.mkdir()
        sh(f"git -C {TEMPLATE} archive {commit} | tar -x -C {template}", tmp_path, env)
    sh("git init --quiet -b main && git add --all && git commit --quiet -m 'template'", template, env)
    return template


def change_template(template: Path, env: dict[str, str], path: Path, old: str, new: str) -> None:
    text = (template / path).read_text()
    assert text.count(old) == 1, f"{path}: {old!r}"
    (template / path).write_text(text.replace(old, new))
    sh("git commit --quiet --all -m 'template change'", template, env)


def create_as_the_readme_says(tmp_path: Path, template: Path, env: dict[str, str]) -> Path:
    """The README's first three commands: cruft create, then record .cruft.json."""
    create, *record = readme_block("Following template updates", 0)[:3]
    # The one thing the README leaves to the reader: the template's URL (and --no-input here).
    created = sh(create.replace("<template URL>", f"--no-input {template}"), tmp_path, env)
    project = tmp_path / SLUG
    assert "note:" not in created.stdout, created.stdout
    for command in record:
        sh(command, project, env)
    assert sh("git status --porcelain", project, env).stdout == ""
    return project


def test_readme_commands_follow_a_template_change(tmp_path: Path) -> None:
    """The change also teaches the template's Jinja extension a new filter, which the new
    Makefile uses: cruft renders both commits in one process, and must use the new code."""
    env = shell_env(tmp_path)
    commands = readme_block("Following template updates", 0)
    assert commands[0] == "cruft create <template URL>"
    check, update, review = commands[3:]
    assert [check, update, review] == ["cruft check", "cruft update -y", "git status"]
    template = template_repository(tmp_path, env)
    project = create_as_the_readme_says(tmp_path, template, env)
    sh(check, project, env)

    extension = template / "local_extensions.py"
    extension.write_text(
        extension.read_text().replace(
            '        environment.filters["quoted"] = quote_text\n',
            '        environment.filters["quoted"] = quote_text\n        environment.filters["shout"] = str.upper\n',
        )
    )
    change_template(template, env, MAKEFILE, TEST_TARGET, 'test: ## {{ "run the whole test suite" | shout }}')

    assert sh(check, project, env, check=False).returncode != 0
    updated = sh(update, project, env)
    status = sh(review, project, env).stdout

    assert "Good work!" in updated.stdout
    assert "Error" not in updated.stdout and "Traceback" not in updated.stdout, updated.stdout
    # The hook says nothing in cruft's temporary bakes (it printed `cd /tmp/tmp...` twice).
    assert "Your project is ready" not in updated.stdout and "/tmp" not in updated.stdout, updated.stdout
    assert "test: ## RUN THE WHOLE TEST SUITE" in (project / "Makefile").read_text()
    assert "modified:   Makefile" in status and "Unmerged" not in status, status
    assert not list(project.rglob("*.rej"))
    sh(check, project, env)


def test_a_change_that_clashes_with_a_local_edit_is_shown_and_refused_at_commit(
    tmp_path: Path, project_venv: Path
) -> None:
    """What the README says a user sees, in both of its ways: conflict markers in the project
    the bake committed; a .rej file in a clone that lacks the template's previous version."""
    env = shell_env(tmp_path)
    update, review = readme_block("Following template updates", 0)[4:]
    template = template_repository(tmp_path, env)
    project = create_as_the_readme_says(tmp_path, template, env)
    makefile = project / "Makefile"
    makefile.write_text(makefile.read_text().replace(TEST_TARGET, "test: ## Run the tests, all of them"))
    sh("git commit --quiet --all -m 'Say all of them'", project, env)
    change_template(template, env, MAKEFILE, TEST_TARGET, "test: ## Run the whole test suite")

    updated = sh(update, project, env)
    status = sh(review, project, env).stdout

    readme = " ".join((TEMPLATE / "README.md").read_text().split())  # lines joined, as rendered
    for shown in ("Good work! Project's cruft has been updated", "Applied patch to 'Makefile' with conflicts."):
        assert shown in updated.stdout and shown in readme, updated.stdout
    assert "Unmerged paths" in status and "both modified:   Makefile" in status, status
    assert "<<<<<<< ours\ntest: ## Run the tests, all of them\n=======\ntest: ## Run the whole test suite\n>>>>>>> theirs\n" in makefile.read_text()
    assert "SUCCESS" in sh("cruft check", project, env).stdout
    assert not list(project.rglob("*.rej"))

    # Committing the markers: refused by git, and with -a by the project's pre-commit hooks.
    refused = sh("git commit -m 'Update from the template'", project, env, check=False)
    assert refused.returncode != 0 and "unmerged files" in refused.stdout, refused.stdout
    (project / ".venv").symlink_to(project_venv, target_is_directory=True)
    with (project / ".git" / "info" / "exclude").open("a") as exclude:
        exclude.write(".venv\n")
    hooks_env = {**env, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    sh(".venv/bin/pre-commit install", project, hooks_env)
    refused = sh("git commit --all -m 'Update from the template'", project, hooks_env, check=False)
    assert refused.returncode != 0, refused.stdout
    assert "Merge conflict string '<<<<<<<' found" in refused.stdout and "Makefile" in refused.stdout, refused.stdout

    makefile.write_text(re.sub(r"<<<<<<< ours\n.*?>>>>>>> theirs\n", "test: ## Run the whole test suite, all of it\n",
                               makefile.read_text(), flags=re.DOTALL))
    sh("git commit --quiet --all -m 'Update from the template'", project, hooks_env)

    # A teammate's clone holds only what was committed: not the template's version of the Makefile.
    clone = tmp_path / "clone"
    sh(f"git clone --quiet --no-local {project} {clone}", tmp_path, env)
    change_template(template, env, MAKEFILE, "test: ## Run the whole test suite", "test: ## Run every test")
    before = (clone / "Makefile").read_text()

    updated = sh(update, clone, env)
    status = sh(review, clone, env).stdout

    shown = "Project directory may have *.rej files reflecting merge conflicts with the update."
    assert shown in updated.stdout and shown in readme, updated.stdout
    assert "Good work!" in updated.stdout
    assert (clone / "Makefile").read_text() == before
    assert "+test: ## Run every test" in (clone / "Makefile.rej").read_text()
    assert "Makefile.rej" in status, status


def test_a_project_baked_by_a_much_older_template_updates_to_this_one(tmp_path: Path) -> None:
    """Baked at a commit whose local_extensions.py names none of today's classes, updated to
    the working tree: the project ends up as a bake of today's template would be."""
    env = shell_env(tmp_path)
    update = readme_block("Following template updates", 0)[4]
    template = template_repository(tmp_path, env, OLD_TEMPLATE_COMMIT)
    sh(f"cruft create --no-input {template}", tmp_path, env)
    project = tmp_path / SLUG
    # That template's hook made no repository: the user made one.
    sh("git init --quiet -b main && git add --all && git commit --quiet -m 'New project'", project, env)
    sh("git rm -r --quiet . && git commit --quiet -m 'clear'", template, env)
    shutil.copytree(
        TEMPLATE, template, dirs_exist_ok=True,
        ignore=shutil.ignore_patterns(".git", ".venv", ".cache", "build", "__pycache__"),
    )
    sh("git add --all && git commit --quiet -m 'template today'", template, env)

    updated = sh(update, project, env)

    assert "Good work!" in updated.stdout
    assert "Traceback" not in updated.stdout and "Error" not in updated.stdout, updated.stdout
    context = json.loads((project / ".cruft.json").read_text())["context"]["cookiecutter"]
    answers = [f"{key}={value}" for key, value in context.items() if not key.startswith("_")]
    sh(f"cookiecutter --no-input -o today {template} " + " ".join(f"'{answer}'" for answer in answers), tmp_path, env)
    assert project_files(project) == project_files(tmp_path / "today" / SLUG)


def project_files(project: Path) -> dict[str, bytes]:
    """The project's files, without its git repository and cruft's record."""
    return {
        str(path.relative_to(project)): path.read_bytes()
        for path in sorted(project.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(project).parts and path.name != ".cruft.json"
    }


def test_readme_way_without_cruft_applies_a_template_change(tmp_path: Path) -> None:
    """The README's commands as written, from a template in a local folder (where
    Cookiecutter's --checkout would do nothing)."""
    env = shell_env(tmp_path)
    commands = readme_block("Following template updates", 1)
    template = template_repository(tmp_path, env)
    project = create_as_the_readme_says(tmp_path, template, env)
    baked_at = json.loads((project / ".cruft.json").read_text())["commit"]
    change_template(template, env, MAKEFILE, TEST_TARGET, "test: ## Run the whole test suite")

    for command in commands:
        sh(command.replace("<template URL>", str(template)).replace("<commit>", baked_at), tmp_path, env)

    status = sh("git status --porcelain", project, env).stdout
    assert status == "M  Makefile\n", status
    assert "test: ## Run the whole test suite" in (project / "Makefile").read_text()


def test_cruft_is_tested_at_the_version_pip_installs_today() -> None:
    """The versions the bug was seen with: a test run on older ones would hide it again."""
    from importlib.metadata import version

    assert tuple(map(int, version("typer").split(".")[:2])) >= (0, 20), "typer that makes cruft's own prompt crash"
    requirements = (TEMPLATE / "tests" / "requirements.txt").read_text()
    assert re.search(r"^cruft>=", requirements, re.MULTILINE) and "typer" not in requirements
