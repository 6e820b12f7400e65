"""The post-gen hook: its table of variant files, what it does to every combination, the git
repository it makes of the project, and the commands it prints for the user to type next."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from cookiecutter.main import cookiecutter
from helpers import COMBINATIONS, TEMPLATE, combination_id, load_hook, run

PROJECT_TEMPLATE = TEMPLATE / "{{cookiecutter.project_slug}}"
TEMPLATE_PACKAGE = {"package_name": "{{cookiecutter.package_name}}"}

hook = load_hook("post_gen_project")


def files(root: Path) -> dict[str, bytes]:
    """The project's files, without its git repository."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts and ".git" not in path.relative_to(root).parts
    }


def bake(tmp_path: Path, answers: dict[str, object], *, hooks: bool) -> dict[str, bytes]:
    output = tmp_path / ("hooked" if hooks else "raw")
    project = cookiecutter(
        str(TEMPLATE),
        no_input=True,
        extra_context={**answers, "package_name": "demo"},
        output_dir=str(output),
        accept_hooks=hooks,
    )
    return files(Path(project))


def test_every_variant_in_the_table_exists_in_the_template() -> None:
    for _question, _answer, variant, replaces in hook.VARIANT_FILES:
        assert (PROJECT_TEMPLATE / variant.format(**TEMPLATE_PACKAGE)).is_file(), variant
        if replaces is not None:
            assert (PROJECT_TEMPLATE / replaces.format(**TEMPLATE_PACKAGE)).is_file(), replaces


def test_every_async_file_in_the_template_is_in_the_table() -> None:
    """A variant missing from the table would ship in every project, sync ones included."""
    listed = {
        variant.format(**TEMPLATE_PACKAGE)
        for question, _, variant, _ in hook.VARIANT_FILES
        if question == "async"
    }
    found = {
        path.relative_to(PROJECT_TEMPLATE).as_posix()
        for path in PROJECT_TEMPLATE.rglob("*_async.*")
    }
    assert found == listed


def test_squawk_settings_ship_only_with_postgresql(cookies: Any) -> None:
    for database in ("sqlite", "postgresql", "mysql"):
        project = cookies.bake(extra_context={"database": database}).project_path
        assert (project / ".squawk.toml").exists() == (database == "postgresql")


@pytest.mark.parametrize("answers", COMBINATIONS, ids=combination_id)
def test_migration_tools_are_the_same_in_every_project(answers: dict[str, Any], cookies: Any) -> None:
    """The tooling package is copied as it is, byte for byte: nothing in it depends on the
    answers, so an update can replace it whole."""
    project = cookies.bake(extra_context=answers).project_path
    (baked,) = project.glob("src/*/migration_tools")
    template = PROJECT_TEMPLATE / "src" / "{{cookiecutter.package_name}}" / "migration_tools"
    assert files(baked) == files(template)


def test_apply_variants_moves_the_chosen_and_deletes_the_others(tmp_path: Path) -> None:
    for name in ("db.py", "db_async.py", "extra_async.py", "other.py", "other_async.py"):
        (tmp_path / name).write_text(name)
    table = [
        ("async", True, "db_async.py", "db.py"),
        ("async", True, "extra_async.py", None),
        ("engine", "postgresql", "other_async.py", "other.py"),
    ]

    hook.apply_variants(tmp_path, {"async": True, "engine": "sqlite"}, table)

    assert files(tmp_path) == {
        "db.py": b"db_async.py",
        "extra_async.py": b"extra_async.py",
        "other.py": b"other.py",
    }


@pytest.mark.parametrize("answers", COMBINATIONS, ids=combination_id)
def test_hook_only_swaps_the_variant_files(tmp_path: Path, answers: dict[str, object]) -> None:
    """Compared with the same bake without hooks, only the table's files changed."""
    raw = bake(tmp_path, answers, hooks=False)
    baked = bake(tmp_path, answers, hooks=True)

    expected = dict(raw)
    for question, answer, variant, replaces in hook.VARIANT_FILES:
        content = expected.pop(variant.format(package_name="demo"))
        if answers[question] == answer:
            expected[(replaces or variant).format(package_name="demo")] = content
    assert sorted(baked) == sorted(expected)
    changed = [path for path in baked if baked[path] != expected[path]]
    assert not changed


@pytest.mark.parametrize("answers", COMBINATIONS, ids=combination_id)
def test_project_holds_only_its_own_variant(tmp_path: Path, answers: dict[str, object]) -> None:
    baked = bake(tmp_path, answers, hooks=True)
    leftovers = sorted(path for path in baked if "_async." in path)
    db, env = baked["src/demo/db.py"].decode(), baked["src/demo/migrations/env.py"].decode()
    assert leftovers == []
    if answers["async"]:
        assert "create_async_engine" in db
        assert "run_sync" in env
        assert "async_engine" in baked["tests/conftest.py"].decode()
    else:
        assert "async" not in db
        assert "async" not in env


def test_next_steps_prints_the_rows_for_the_answers() -> None:
    table = [
        (None, None, "cd {project_directory}", ""),
        ("database", "postgresql", "createdb {package_name}", "the database"),
        ("database", "mysql", "mysql -e 'CREATE DATABASE {package_name}'", "the database"),
        (None, None, "make test", "the tests"),
    ]
    answers = {"project_directory": "demo", "package_name": "demo_pkg", "database": "postgresql"}

    printed = hook.next_steps(answers, table)

    assert "\n  cd demo\n  createdb demo_pkg  # the database\n  make test          # the tests\n" in printed
    assert "mysql" not in printed


def test_project_directory_is_relative_below_the_shell_and_absolute_elsewhere(tmp_path: Path) -> None:
    project = tmp_path / "out" / "demo"
    assert hook.project_directory(project, str(tmp_path)) == "out/demo"
    assert hook.project_directory(project, str(tmp_path / "elsewhere")) == str(project)
    assert hook.project_directory(project, None) == str(project)
    assert hook.project_directory(tmp_path / "my projects" / "demo", str(tmp_path)) == "'my projects/demo'"


@pytest.mark.parametrize("database", ["sqlite", "postgresql", "mysql"])
def test_a_bake_prints_the_commands_to_type_next(tmp_path: Path, database: str) -> None:
    """What cookiecutter's command line shows: cd, install, (create the database,) migrate, test."""
    result = run(
        [Path(sys.executable).with_name("cookiecutter"), "--no-input", "--output-dir", "out", TEMPLATE,
         f"database={database}"],
        cwd=tmp_path,
        env={**os.environ, "PWD": str(tmp_path)},
    )
    commands = [line.split("  #")[0].strip() for line in result.stdout.splitlines() if line.startswith("  ")]
    create = {
        "sqlite": [],
        "postgresql": ["createdb -h localhost -U postgres inventory_service"],
        "mysql": ['mysql -h 127.0.0.1 -u root -e "CREATE DATABASE inventory_service"'],
    }[database]
    assert commands == ["cd out/inventory-service", "make install", *create, "make db-upgrade", "make test"]
    readme = (tmp_path / "out" / "inventory-service" / "README.md").read_text()
    for command in commands[1:]:
        assert f"$ {command}" in readme, command


def test_a_closed_output_does_not_undo_the_bake(tmp_path: Path) -> None:
    """`cookiecutter ... | head -1`: the next steps cannot be printed, and the project stays."""
    command = [str(Path(sys.executable).with_name("cookiecutter")), "--no-input", "--output-dir", "out", str(TEMPLATE)]
    with subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()
        errors = process.stderr.read().decode()
    assert process.returncode == 0, errors
    assert (tmp_path / "out" / "inventory-service" / "pyproject.toml").is_file()


COOKIECUTTER = Path(sys.executable).with_name("cookiecutter")
ODD_AUTHOR = ["author_name=Seán \"Shorty\" O'Brien", "author_email=sean+dev@example.com"]


def git(project: Path, *arguments: str) -> str:
    return run(["git", *arguments], cwd=project, env=without_git_configuration({})).stdout


def without_git_configuration(env: dict[str, str], home: Path | None = None) -> dict[str, str]:
    """A machine where git knows no user: no global or system configuration."""
    env = {**os.environ, **env}
    for variable in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "EMAIL"):
        env.pop(variable, None)
    env.update(GIT_CONFIG_NOSYSTEM="1")
    if home is not None:
        env.update(HOME=str(home), GIT_CONFIG_GLOBAL=str(home / ".gitconfig"), XDG_CONFIG_HOME=str(home / ".config"))
    return env


def test_a_bake_is_a_git_repository_on_main_with_one_commit_by_the_author(tmp_path: Path) -> None:
    """`pre-commit install`, the lesson's `git switch main` and cruft need a repository from the
    first command. The commit is made as the answers' author on a machine where git knows no
    user, writes no git configuration, and ignores git variables set for another repository
    (cookiecutter run from a git hook)."""
    home = tmp_path / "home"
    home.mkdir()
    other = tmp_path / "other"
    run(["git", "init", "-q", other], cwd=tmp_path)
    env = without_git_configuration({"GIT_DIR": str(other / ".git"), "GIT_INDEX_FILE": str(other / ".git" / "index")}, home)
    config_files = [home / ".gitconfig", home / ".config" / "git"]

    result = run([COOKIECUTTER, "--no-input", "-o", "out", TEMPLATE, *ODD_AUTHOR], cwd=tmp_path, env=env)

    project = tmp_path / "out" / "inventory-service"
    assert "note:" not in result.stdout, result.stdout
    assert git(project, "branch", "--show-current") == "main\n"
    assert git(project, "log", "--format=%an <%ae> | %cn <%ce> | %s") == (
        "Seán \"Shorty\" O'Brien <sean+dev@example.com> | Seán \"Shorty\" O'Brien <sean+dev@example.com> | New project\n"
    )
    assert git(project, "status", "--porcelain", "--ignored") == ""
    assert sorted(git(project, "ls-files").splitlines()) == sorted(files(project))
    assert not any(path.exists() for path in config_files), "the bake wrote git configuration"
    assert not (other / ".git" / "index").exists(), "the bake wrote to another repository"


def test_without_git_the_bake_says_so_in_one_line_and_nothing_else_changes(tmp_path: Path) -> None:
    no_git = tmp_path / "bin"
    no_git.mkdir()
    shell = {**os.environ, "PWD": str(tmp_path)}
    with_git = run([COOKIECUTTER, "--no-input", "-o", "with", TEMPLATE], cwd=tmp_path, env=shell)
    env = {**shell, "PATH": str(no_git)}

    result = run([sys.executable, "-m", "cookiecutter", "--no-input", "-o", "without", TEMPLATE], cwd=tmp_path, env=env)

    project = tmp_path / "without" / "inventory-service"
    notes = [line for line in result.stdout.splitlines() if line.startswith("note:")]
    assert notes == [
        "note: git was not found, so the project is not a git repository; once git is installed: "
        'cd without/inventory-service && git init -b main && git add --all && git commit -m "New project"'
    ], result.stdout
    assert not (project / ".git").exists()
    assert files(project) == files(tmp_path / "with" / "inventory-service")
    assert result.stdout.replace(notes[0] + "\n", "").replace("without/", "with/") == with_git.stdout


def test_a_bake_inside_a_repository_is_left_to_it_unless_it_ignores_the_folder(tmp_path: Path) -> None:
    """A repository inside another is one opaque entry to it: a project baked into a
    repository's folder (a monorepo) belongs to that repository. One that repository ignores
    (a build/ folder) gets its own, or nothing would keep its history. A project baked again
    over itself keeps its own."""
    monorepo = tmp_path / "monorepo"
    (monorepo / "services").mkdir(parents=True)
    run(["git", "init", "-q", monorepo], cwd=tmp_path)
    (monorepo / ".gitignore").write_text("build/\n")

    shell = {**os.environ, "PWD": str(monorepo)}
    inside = run([COOKIECUTTER, "--no-input", "-o", "services", TEMPLATE], cwd=monorepo, env=shell)
    ignored = run([COOKIECUTTER, "--no-input", "-o", "build", TEMPLATE], cwd=monorepo, env=shell)

    notes = [line for line in inside.stdout.splitlines() if line.startswith("note:")]
    assert notes == [
        f"note: the project is inside the git repository at {monorepo}, which keeps its files, so it has no "
        "repository of its own; to make one anyway: cd services/inventory-service && git init -b main && "
        'git add --all && git commit -m "New project"'
    ], inside.stdout
    assert not (monorepo / "services" / "inventory-service" / ".git").exists()
    assert "note:" not in ignored.stdout
    assert git(monorepo / "build" / "inventory-service", "log", "--format=%s") == "New project\n"

    # Baked again over itself: its history stays as it is, the changes are left to review.
    again = run([COOKIECUTTER, "--no-input", "-f", "-o", "build", TEMPLATE, "description=Stock."], cwd=monorepo, env=shell)
    assert again.stdout.rstrip().splitlines()[-1] == (
        "note: the project was already a git repository; the bake's changes are not committed: see git status"
    )
    assert git(monorepo / "build" / "inventory-service", "log", "--format=%s") == "New project\n"
    assert "M README.md" in git(monorepo / "build" / "inventory-service", "status", "--short")


def test_a_failing_git_command_leaves_no_repository_and_says_which(tmp_path: Path) -> None:
    table = [["init", "--quiet"], ["no-such-command"]]

    why_not = hook.make_repository(tmp_path, "Jane", "jane@example.com", "git", table)

    assert why_not is not None and why_not[0] == "failed"
    assert why_not[1].startswith("git no-such-command: "), why_not
    assert "\n" not in why_not[1]
    assert not (tmp_path / ".git").exists()


def test_only_a_tools_bake_into_a_new_temporary_folder_is_a_throwaway(tmp_path: Path) -> None:
    """cruft bakes twice into new temporary folders to compute an update: nothing to commit or
    print there (it printed `cd /tmp/tmpXXXX` twice). Cookiecutter records its output folder."""
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder).resolve() / "inventory-service"
        assert hook.throwaway_bake(project, output_dir="")
        assert not hook.throwaway_bake(project, output_dir=folder)
    assert not hook.throwaway_bake(tmp_path / "inventory-service", output_dir="")
