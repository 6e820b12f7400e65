"""Refuse answers that would bake a broken project.

On bad input this prints one line naming the field and the fix, and exits 1; cookiecutter
then removes the half-made output directory. Standard library only: hooks run in the
user's Python, where only cookiecutter is installed.
"""

from __future__ import annotations

import keyword
import re
import sys

SUPPORTED_PYTHONS = ("3.10", "3.11", "3.12", "3.13", "3.14")
DATABASES = ("sqlite", "postgresql", "mysql")

# Import names of what a baked project installs: a package with one of these names would
# shadow it (or be shadowed by it) at import time.
DEPENDENCY_IMPORT_NAMES = frozenset(
    {
        "aiomysql",
        "aiosqlite",
        "alembic",
        "asyncpg",
        "dotenv",
        "greenlet",
        "mako",
        "mypy",
        "psycopg",
        "pymysql",
        "pytest",
        "pytest_asyncio",
        "ruff",
        "sqlalchemy",
        "tests",
        "typing_extensions",
    }
)

# `test` is CPython's own test package: part of the standard library, though not listed.
STANDARD_LIBRARY = frozenset(sys.stdlib_module_names) | {"test"}

SLUG_PATTERN = re.compile(r"^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$", re.IGNORECASE)
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+$")


class AnswerError(ValueError):
    """An answer that cannot be baked; the message is the one line shown to the user."""


def check_package_name(name: str) -> None:
    if not name.isidentifier() or not name.isascii():
        raise AnswerError(
            f"package_name: {name!r} is not a valid Python identifier; use lowercase "
            "letters, digits and underscores, starting with a letter (e.g. 'inventory')."
        )
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        raise AnswerError(
            f"package_name: {name!r} is a Python keyword; choose another name "
            f"(e.g. '{name}_app')."
        )
    lowered = name.lower()
    if lowered in STANDARD_LIBRARY:
        raise AnswerError(
            f"package_name: {name!r} would shadow the standard library module "
            f"{lowered!r}; choose another name (e.g. '{name}_app')."
        )
    if lowered in DEPENDENCY_IMPORT_NAMES:
        raise AnswerError(
            f"package_name: {name!r} would shadow the {lowered!r} package the project "
            f"depends on; choose another name (e.g. '{name}_app')."
        )


def check_project_slug(slug: str) -> None:
    if not SLUG_PATTERN.match(slug):
        raise AnswerError(
            f"project_slug: {slug!r} is not a valid distribution name; use letters, "
            "digits, '-', '_' or '.', starting and ending with a letter or digit."
        )


def check_author_email(email: str) -> None:
    if not EMAIL_PATTERN.match(email):
        raise AnswerError(
            f"author_email: {email!r} is not an email address; give one like "
            "'jane@example.com'."
        )


def check_choice(field: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise AnswerError(
            f"{field}: {value!r} is not supported; choose one of {', '.join(choices)}."
        )


def check_answers(answers: dict[str, str]) -> None:
    """Raise AnswerError for the first answer that cannot be baked."""
    if not answers["project_name"].strip():
        raise AnswerError("project_name: it is empty; give the project a name.")
    check_project_slug(answers["project_slug"])
    check_package_name(answers["package_name"])
    check_author_email(answers["author_email"])
    check_choice("python_version", answers["python_version"], SUPPORTED_PYTHONS)
    check_choice("database", answers["database"], DATABASES)


def main(answers: dict[str, str]) -> int:
    try:
        check_answers(answers)
    except AnswerError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(
        main(
            {
                "project_name": {{ cookiecutter.project_name | quoted }},
                "project_slug": {{ cookiecutter.project_slug | quoted }},
                "package_name": {{ cookiecutter.package_name | quoted }},
                "author_email": {{ cookiecutter.author_email | quoted }},
                "python_version": {{ cookiecutter.python_version | quoted }},
                "database": {{ cookiecutter.database | quoted }},
            }
        )
    )
