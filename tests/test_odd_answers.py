"""Odd but valid answers (unicode, quotes, a package name unlike the slug, names at the
length limits) bake a project that installs with pip and with uv, lints, type-checks and
passes its own tests: the pre-gen rules accept nothing that bakes a broken project."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import COMBINATIONS, UV, BakedProject, combination_id, load_hook, run

pre_gen = load_hook("pre_gen_project")

LONGEST = {
    "project_slug": "s" * (pre_gen.PROJECT_SLUG_MAX - 2) + "-x",
    "package_name": "p" * pre_gen.PACKAGE_NAME_MAX,
}

ODD_ANSWER_SETS = {
    "unicode-quotes-sync": {
        "project_name": 'O\'Brien "Data" Проект 🚀',
        "project_slug": "My.Project_x-1",
        "package_name": "Stock_2",
        "description": 'Quotes " and \' and a back\\slash, 100% {curly}, über-Ünïcode',
        "author_name": 'Seán "Shorty" O\'Brien, Jr. <and co>',
        "author_email": '"jane doe"@exämple.com',
    },
    "longest-names-async": {**LONGEST, "async": True, "author_email": "jane+tag@localhost"},
}

# Slug and package name pairs, each package name unlike the one derived from the slug.
INSTALL_PAIRS = [
    ("inventory-service", "stock"),
    ("My.Project_x-1", "Stock_2"),
    (LONGEST["project_slug"], LONGEST["package_name"]),
]


def bake(cookies: Any, answers: dict[str, object]) -> Path:
    result = cookies.bake(extra_context=answers)
    assert result.exit_code == 0, result.exception
    path: Path = result.project_path
    return path


def assert_installed(python: Path, package: str, cwd: Path) -> None:
    """The package imports from the virtualenv (not from src/), with its migrations and the
    copy of alembic.ini that its migration tooling reads."""
    check = (
        "import importlib.resources; "
        f"files = importlib.resources.files({package!r}); "
        "assert files.joinpath('migrations', 'script.py.mako').is_file(), 'no script.py.mako'; "
        "assert files.joinpath('migration_tools', 'config.py').is_file(), 'no tooling'; "
        "assert files.joinpath('alembic.ini').is_file(), 'no alembic.ini'; "
        "assert 'site-packages' in str(files), files"
    )
    run([python, "-c", check], cwd=cwd)


@pytest.mark.parametrize(("slug", "package"), INSTALL_PAIRS, ids=lambda value: value[:20])
def test_package_named_unlike_the_slug_installs_with_uv(cookies: Any, slug: str, package: str, tmp_path: Path) -> None:
    project = bake(cookies, {"project_slug": slug, "package_name": package})
    venv = tmp_path / "venv"
    run([UV, "venv", "--quiet", "--python", sys.executable, venv], cwd=tmp_path)
    run([UV, "pip", "install", "--quiet", "--no-deps", "--python", venv / "bin" / "python", project], cwd=tmp_path)
    assert_installed(venv / "bin" / "python", package, tmp_path)


@pytest.mark.parametrize(("slug", "package"), INSTALL_PAIRS[1:2], ids=lambda value: value[:20])
def test_package_named_unlike_the_slug_installs_with_pip(cookies: Any, slug: str, package: str, tmp_path: Path) -> None:
    """pip runs the build itself; hatchling comes from uv's cache, to keep this fast."""
    project = bake(cookies, {"project_slug": slug, "package_name": package})
    venv = tmp_path / "venv"
    run([UV, "venv", "--quiet", "--seed", "--python", sys.executable, venv], cwd=tmp_path)
    run([UV, "pip", "install", "--quiet", "--python", venv / "bin" / "python", "hatchling>=1.26"], cwd=tmp_path)
    pip = [venv / "bin" / "python", "-m", "pip", "install", "--quiet", "--no-deps", "--disable-pip-version-check"]
    run([*pip, "--no-build-isolation", project], cwd=tmp_path)
    assert_installed(venv / "bin" / "python", package, tmp_path)


@pytest.mark.parametrize("answers", COMBINATIONS, ids=combination_id)
def test_longest_accepted_names_keep_ruff_satisfied(
    cookies: Any, answers: dict[str, object], project_venv: Path
) -> None:
    """The package name appears in import lines: at its longest they still fit in 100."""
    combination = {**answers, **LONGEST}
    project = BakedProject(bake(cookies, combination), project_venv, combination)
    assert project.path.name == LONGEST["project_slug"]
    project.run("ruff", "check", ".")
    project.run("ruff", "format", "--check", ".")


@pytest.mark.parametrize("answers", ODD_ANSWER_SETS.values(), ids=ODD_ANSWER_SETS.keys())
def test_odd_answers_bake_a_project_that_passes_its_checks(
    cookies: Any, answers: dict[str, object], project_venv: Path
) -> None:
    project = BakedProject(bake(cookies, answers), project_venv, answers)
    project.run("ruff", "check", ".")
    project.run("ruff", "format", "--check", ".")
    project.run("mypy", "--strict")
    result = project.run("pytest", "-p", "no:cacheprovider", "-q")
    assert "passed" in result.stdout.strip().splitlines()[-1]
