"""Keep the files the chosen options need, remove the others, and say what to type next.

Files that differ a lot between options come in variants, e.g. ``db.py`` (sync) next to
``db_async.py``. Which file each answer keeps is written down in VARIANT_FILES, read by
``apply_variants``; the commands printed at the end are in NEXT_STEPS, read by
``next_steps``. The hook does nothing else. Standard library only: hooks run in the
user's Python, where only cookiecutter is installed.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Iterable, Mapping
from pathlib import Path

PACKAGE = "src/{package_name}"

# One row per variant file: (question, answer, variant, replaces).
# When the question was answered `answer`, the variant takes the place of `replaces`
# (or just stays, when `replaces` is None); otherwise the variant is deleted.
# Paths are relative to the project; {package_name} is filled in from the answers.
VariantFile = tuple[str, object, str, str | None]

VARIANT_FILES: list[VariantFile] = [
    ("async", True, f"{PACKAGE}/db_async.py", f"{PACKAGE}/db.py"),
    ("async", True, f"{PACKAGE}/migrations/env_async.py", f"{PACKAGE}/migrations/env.py"),
    ("async", True, "tests/test_db_async.py", "tests/test_db.py"),
    # squawk, the PostgreSQL safety linter, reads its settings there.
    ("database", "postgresql", ".squawk.toml", None),
]


def apply_variants(
    project: Path,
    answers: Mapping[str, object],
    table: Iterable[VariantFile] = VARIANT_FILES,
) -> None:
    """Move each chosen variant into place and delete the variants not chosen."""
    for question, answer, variant, replaces in table:
        source = project / variant.format(**answers)
        if answers[question] != answer:
            source.unlink()
        elif replaces is not None:
            source.replace(project / replaces.format(**answers))


# One row per command printed after the bake: (question, answer, command, what it does).
# A row whose question is None is printed for every project; the others only when the
# question was answered `answer`. {project_directory} and {package_name} are filled in.
NextStep = tuple[str | None, object, str, str]

NEXT_STEPS: list[NextStep] = [
    (None, None, "cd {project_directory}", ""),
    (None, None, "make install", "a .venv with the project and its dev tools"),
    ("database", "postgresql", "createdb -h localhost -U postgres {package_name}", "the database of DATABASE_URL"),
    ("database", "mysql", 'mysql -h 127.0.0.1 -u root -e "CREATE DATABASE {package_name}"', "the database of DATABASE_URL"),
    (None, None, "make db-upgrade", "migrate the database to the newest revision"),
    (None, None, "make test", "the migration checks and the other tests"),
]


def next_steps(
    answers: Mapping[str, object],
    table: Iterable[NextStep] = NEXT_STEPS,
) -> str:
    """The commands to type after the bake, one a line, each with what it does."""
    rows = [
        (command.format(**answers), purpose)
        for question, answer, command, purpose in table
        if question is None or answers[question] == answer
    ]
    width = max(len(command) for command, purpose in rows if purpose)
    lines = [f"  {command:<{width}}  # {purpose}" if purpose else f"  {command}" for command, purpose in rows]
    return "\n".join(["", "Your project is ready. Next:", "", *lines, "", "README.md says more.", ""])


def show(text: str) -> None:
    """Write ``text`` to the terminal. An output closed early (`cookiecutter ... | head`) must
    not fail the hook: cookiecutter would delete the project it just made."""
    try:
        os.write(1, f"{text}\n".encode(errors="replace"))
    except OSError:
        pass


def project_directory(project: Path, start: str | None) -> str:
    """The project as `cd` reaches it from the user's shell: relative when it is below it,
    quoted for the shell when it needs to be."""
    where = str(project)
    if start:
        relative = os.path.relpath(project, start)
        if not relative.startswith(".."):
            where = relative
    return shlex.quote(where)


if __name__ == "__main__":
    answers = {
        "package_name": {{ cookiecutter.package_name | quoted }},
        "database": {{ cookiecutter.database | quoted }},
        # Read as the templates read it: true unless empty, false, 0 or none.
        "async": {{ "True" if cookiecutter["async"] else "False" }},
    }
    apply_variants(Path.cwd(), answers)
    # The hook runs inside the project; PWD is still the directory the user's shell is in.
    where = project_directory(Path.cwd(), os.environ.get("PWD"))
    show(next_steps({**answers, "project_directory": where}))
