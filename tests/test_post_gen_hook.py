"""The post-gen hook: its table of variant files, what it does to every combination, and the
commands it prints for the user to type next."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cookiecutter.main import cookiecutter
from helpers import COMBINATIONS, TEMPLATE, combination_id, load_hook, run

PROJECT_TEMPLATE = TEMPLATE / "{{cookiecutter.project_slug}}"
TEMPLATE_PACKAGE = {"package_name": "{{cookiecutter.package_name}}"}

hook = load_hook("post_gen_project")


def files(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
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
