"""Baking: every answer set renders completely into valid files, with no secrets."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from cookiecutter.generate import is_copy_only_path
from helpers import TEMPLATE

ANSWER_SETS = {
    "defaults": {},
    "postgresql": {"database": "postgresql", "python_version": "3.12"},
    "mysql-async": {"database": "mysql", "async": True, "python_version": "3.14"},
    "odd-text": {
        "project_name": 'O\'Brien "Data" Проект',
        "description": 'Quotes " and \' and a back\\slash, über-Ünïcode',
        "author_name": 'Seán "Shorty" O\'Brien',
    },
}

TEXT_SUFFIXES = {".py", ".toml", ".ini", ".yml", ".yaml", ".md", ".mako", ".example", ""}


def bake(cookies: Any, answers: dict[str, Any]) -> Path:
    result = cookies.bake(extra_context=answers)
    assert result.exit_code == 0, result.exception
    path: Path = result.project_path
    return path


def text_files(project: Path) -> list[Path]:
    """The baked text files; the project's git repository is not one of them."""
    return [
        path
        for path in project.rglob("*")
        if path.is_file() and path.suffix in TEXT_SUFFIXES and ".git" not in path.relative_to(project).parts
    ]


@pytest.mark.parametrize("answers", ANSWER_SETS.values(), ids=ANSWER_SETS.keys())
def test_nothing_is_left_unrendered(cookies: Any, answers: dict[str, Any]) -> None:
    project = bake(cookies, answers)
    for path in text_files(project):
        if path.name == "script.py.mako":
            continue
        text = path.read_text()
        # GitHub Actions' own ${{ ... }} expressions are meant to be there.
        for leftover in (r"(?<!\$)\{\{", r"\{%", r"\{#", "cookiecutter"):
            assert not re.search(leftover, text), f"{leftover!r} left in {path.relative_to(project)}"


@pytest.mark.parametrize("answers", ANSWER_SETS.values(), ids=ANSWER_SETS.keys())
def test_files_parse_as_their_format(cookies: Any, answers: dict[str, Any]) -> None:
    project = bake(cookies, answers)
    for path in project.rglob("*"):
        if ".git" in path.relative_to(project).parts:
            continue
        if path.suffix == ".py":
            ast.parse(path.read_text(), filename=str(path))
        elif path.suffix == ".toml":
            tomllib.loads(path.read_text())
        elif path.suffix in (".yml", ".yaml"):
            yaml.safe_load(path.read_text())


def test_free_text_survives_quoting(cookies: Any) -> None:
    answers = ANSWER_SETS["odd-text"]
    project = bake(cookies, answers)
    metadata = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    assert metadata["description"] == answers["description"]
    assert metadata["authors"][0]["name"] == answers["author_name"]
    assert metadata["name"] == "o-brien-data-proekt"
    assert (project / "src" / "o_brien_data_proekt" / "models" / "user.py").exists()


def test_text_files_end_with_one_newline_and_use_lf(cookies: Any) -> None:
    project = bake(cookies, {})
    for path in text_files(project):
        data = path.read_bytes()
        assert b"\r" not in data, path
        assert data == b"" or (data.endswith(b"\n") and not data.endswith(b"\n\n")), path


def test_files_with_a_syntax_of_their_own_are_copied_without_rendering() -> None:
    """Cookiecutter matches _copy_without_render against paths inside the project template:
    Alembic's Mako template, and the migration tooling, which must hold no Jinja at all."""
    context = {"cookiecutter": json.loads((TEMPLATE / "cookiecutter.json").read_text())}
    package = "src/{{cookiecutter.package_name}}"
    assert is_copy_only_path(f"{package}/migrations/script.py.mako", context)
    assert is_copy_only_path(f"{package}/migration_tools", context)
    assert not is_copy_only_path(f"{package}/migrations/env.py", context)


def test_mako_template_arrives_byte_for_byte(cookies: Any) -> None:
    project = bake(cookies, {})
    source = TEMPLATE / "{{cookiecutter.project_slug}}/src/{{cookiecutter.package_name}}/migrations/script.py.mako"
    baked = project / "src/inventory_service/migrations/script.py.mako"
    assert baked.read_bytes() == source.read_bytes()


# user:password@ in a URL, or a password= setting with a value
CREDENTIAL = re.compile(r"://[^/\s:@]+:[^/\s@]+@|(?<!hide_)(?<!empty_)password\s*[=:]\s*\S", re.IGNORECASE)


@pytest.mark.parametrize("database", ["sqlite", "postgresql", "mysql"])
def test_no_generated_file_holds_a_credential(cookies: Any, database: str) -> None:
    project = bake(cookies, {"database": database})
    for path in text_files(project):
        if path.name == ".env.example":
            continue  # placeholders that show the URL format, never real secrets
        match = CREDENTIAL.search(path.read_text())
        assert match is None, f"{path.relative_to(project)}: {match and match.group()}"
    ignored = (project / ".gitignore").read_text().splitlines()
    assert ".env" in ignored


def test_example_env_holds_placeholders_only(cookies: Any) -> None:
    project = bake(cookies, {"database": "postgresql"})
    for line in (project / ".env.example").read_text().splitlines():
        if match := CREDENTIAL.search(line):
            assert "change-me" in line, line


def test_git_add_all_leaves_out_secrets_and_database_side_files(cookies: Any) -> None:
    """`git add --all` in a project with a local database in use and per-environment .env files
    stages none of them: SQLite's journal, WAL and shared-memory files hold the data too, and
    `.env.production` is as secret as `.env`. Only the example, placeholders, is tracked."""
    project = bake(cookies, {})
    local_files = [
        "inventory_service.db", "inventory_service.db-journal", "inventory_service.db-wal",
        "inventory_service.db-shm", "data.sqlite3", "data.sqlite3-journal", "data.sqlite3-wal",
        "data.sqlite3-shm", ".env", ".env.local", ".env.production", "config/.env.test",
    ]
    for name in local_files:
        (project / name).parent.mkdir(exist_ok=True)
        (project / name).write_text("secret\n")
    with (project / ".env.example").open("a") as example:
        example.write("# DATABASE_URL=postgresql://app:change-me@db.example.com/app\n")

    subprocess.run(["git", "add", "--all"], cwd=project, check=True)

    staged = subprocess.run(
        ["git", "diff", "--cached", "--name-only"], cwd=project, check=True, capture_output=True, text=True
    ).stdout
    assert staged == ".env.example\n"
