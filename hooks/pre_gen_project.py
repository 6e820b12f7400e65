"""Refuse answers that would bake a broken project.

Every rule is a plain function here. The template's Jinja extension (local_extensions.py)
applies them in cookiecutter's own process, before cookiecutter creates the project
directory; this hook applies them again, inside it, as the documented last line. On bad
input either prints one line naming the field and the fix. Standard library only: hooks
run in the user's Python, where only cookiecutter is installed.
"""

from __future__ import annotations

import keyword
import re
import sys
import unicodedata
from collections.abc import Mapping
from email.errors import HeaderParseError
from email.headerregistry import Address

SUPPORTED_PYTHONS = ("3.10", "3.11", "3.12", "3.13", "3.14")
DATABASES = ("sqlite", "postgresql", "mysql")

# Questions answered yes or no. Replay and config files hand cookiecutter strings and
# numbers as they were written; these are the spellings cookiecutter's own prompt accepts.
BOOLEAN_QUESTIONS = ("async",)
TRUE_WORDS = frozenset({"1", "true", "t", "yes", "y", "on"})
FALSE_WORDS = frozenset({"0", "false", "f", "no", "n", "off"})

# Questions answered with text, and those among them that land on one line of
# pyproject.toml, the package metadata and the README.
TEXT_QUESTIONS = (
    "project_name",
    "project_slug",
    "package_name",
    "description",
    "author_name",
    "author_email",
    "python_version",
    "database",
)
ONE_LINE_FIELDS = ("project_name", "description", "author_name")

# Every question, in the order cookiecutter asks them (cookiecutter.json's order).
QUESTIONS = (*TEXT_QUESTIONS, *BOOLEAN_QUESTIONS)

# The longest names that still bake a project passing `ruff check` and `ruff format --check`
# at line length 100 (the package name appears in import lines) and, as a database name
# in the default DATABASE_URL, under PostgreSQL's 63 and MySQL's 64 characters. The slug is
# a folder and distribution name: 64 keeps every path the tools make from it short.
PACKAGE_NAME_MAX = 30
PROJECT_SLUG_MAX = 64

# Import names of what a baked project's virtualenv holds (dependencies, dev tools and what
# they pull in, and what `python -m venv` adds): a package with one of these names would
# shadow it, or be shadowed by it, at import time. The template's tests check this list
# against a real virtualenv.
INSTALLED_IMPORT_NAMES = frozenset(
    {
        "_distutils_hack",
        "_pytest",
        "_ruamel_yaml",
        "_yaml",
        "aiomysql",
        "aiosqlite",
        "alembic",
        "ast_serialize",
        "asyncpg",
        "cfgv",
        "distlib",
        "docs",
        "dotenv",
        "examples",
        "exceptiongroup",
        "filelock",
        "greenlet",
        "identify",
        "iniconfig",
        "librt",
        "mako",
        "markupsafe",
        "mypy",
        "mypy_extensions",
        "mypyc",
        "nodeenv",
        "packaging",
        "pathspec",
        "pip",
        "pkg_resources",
        "platformdirs",
        "pluggy",
        "pre_commit",
        "pre_commit_hooks",
        "psycopg",
        "psycopg_binary",
        "py",
        "pygments",
        "pymysql",
        "pytest",
        "pytest_asyncio",
        "python_discovery",
        "ruamel",
        "ruff",
        "setuptools",
        "sqlalchemy",
        "tomli",
        "tomli_w",
        "tomlkit",
        "typing_extensions",
        "typing_inspection",
        "virtualenv",
        "yaml",
    }
)

# Distribution names (normalized as pip compares them) of what a baked project's virtualenv
# holds, on every Python it supports: a project of one of these names cannot be installed
# beside it (pip and uv take it for the dependency, or refuse the cycle). The template's
# tests check this list against a real virtualenv.
INSTALLED_DISTRIBUTIONS = frozenset(
    {
        "aiomysql",
        "aiosqlite",
        "alembic",
        "ast-serialize",
        "async-timeout",
        "asyncpg",
        "backports-asyncio-runner",
        "cfgv",
        "distlib",
        "exceptiongroup",
        "filelock",
        "greenlet",
        "identify",
        "iniconfig",
        "librt",
        "mako",
        "markupsafe",
        "mypy",
        "mypy-extensions",
        "nodeenv",
        "packaging",
        "pathspec",
        "pip",
        "platformdirs",
        "pluggy",
        "pre-commit",
        "pre-commit-hooks",
        "psycopg",
        "psycopg-binary",
        "pygments",
        "pymysql",
        "pytest",
        "pytest-asyncio",
        "python-discovery",
        "python-dotenv",
        "pyyaml",
        "ruamel-yaml",
        "ruamel-yaml-clib",
        "ruff",
        "setuptools",
        "sqlalchemy",
        "squawk-cli",
        "tomli",
        "typing-extensions",
        "virtualenv",
        "wheel",
    }
)

# `test` is CPython's own test package: part of the standard library, though not listed.
STANDARD_LIBRARY = frozenset(sys.stdlib_module_names) | {"test"}

SLUG_PATTERN = re.compile(r"^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$", re.IGNORECASE)


class AnswerError(ValueError):
    """An answer that cannot be baked; the message is the one line shown to the user."""


def check_package_name(name: str) -> None:
    if not name.isidentifier() or not name.isascii():
        raise AnswerError(
            f"package_name: {name!r} is not a valid Python identifier; use lowercase "
            "letters, digits and underscores, starting with a letter (e.g. 'inventory')."
        )
    if len(name) > PACKAGE_NAME_MAX:
        raise AnswerError(
            f"package_name: {name!r} is {len(name)} characters long; use at most "
            f"{PACKAGE_NAME_MAX}."
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
    if lowered in INSTALLED_IMPORT_NAMES:
        raise AnswerError(
            f"package_name: {name!r} would shadow the {lowered!r} package the project "
            f"installs; choose another name (e.g. '{name}_app')."
        )
    if lowered == "tests":  # the project's tests/ is a package of that name
        raise AnswerError(
            f"package_name: {name!r} would clash with the project's tests/ package "
            f"on the import path; choose another name (e.g. '{name}_app')."
        )


def check_project_slug(slug: str) -> None:
    if not SLUG_PATTERN.match(slug):
        raise AnswerError(
            f"project_slug: {slug!r} is not a valid distribution name; use letters, "
            "digits, '-', '_' or '.', starting and ending with a letter or digit."
        )
    if len(slug) > PROJECT_SLUG_MAX:
        raise AnswerError(
            f"project_slug: {slug!r} is {len(slug)} characters long; use at most "
            f"{PROJECT_SLUG_MAX}."
        )
    distribution = normalized_distribution_name(slug)
    if distribution in INSTALLED_DISTRIBUTIONS:
        raise AnswerError(
            f"project_slug: {slug!r} is the name of a package the project installs "
            f"({distribution}), so the project could not be installed; choose another "
            f"name (e.g. '{slug}-app')."
        )


def normalized_distribution_name(name: str) -> str:
    """The name as pip and uv compare distribution names (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def check_one_line(field: str, text: str) -> None:
    """Free text must stay one line, with nothing that editors and linters trim away."""
    for character in text:
        if unicodedata.category(character) in ("Cc", "Zl", "Zp"):
            raise AnswerError(
                f"{field}: it contains the control character {character!r}; write it on "
                "one line, without tabs or control characters."
            )
    if text != text.strip():
        raise AnswerError(
            f"{field}: {text!r} starts or ends with whitespace; remove it."
        )


def check_author_email(email: str, author_name: str = "") -> None:
    """The email must be one address that the package metadata writes back as typed.

    Hatchling builds the metadata's ``Author-email`` with ``email.headerregistry.Address``;
    an address it cannot parse fails the build, and one whose comments or spaces it drops
    would publish something other than what was typed.
    """
    try:
        address = Address(display_name=author_name, addr_spec=email)
    except (ValueError, IndexError, HeaderParseError):
        address = None
    if address is None or address.addr_spec != email or "@" not in email:
        raise AnswerError(
            f"author_email: {email!r} is not an email address that package metadata "
            "accepts; give one like 'jane@example.com'."
        )


def parse_boolean(field: str, value: object) -> bool:
    """A yes/no answer as written in a replay or config file: true, yes, 1, on, ..."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    raise AnswerError(
        f"{field}: {value!r} is neither yes nor no; answer true or false "
        "(yes/no, 1/0 and on/off work too)."
    )


def check_choice(field: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise AnswerError(
            f"{field}: {value!r} is not supported; choose one of {', '.join(choices)}."
        )


def check_answer(field: str, answers: Mapping[str, object]) -> None:
    """Raise AnswerError if the answer to ``field`` cannot be baked.

    Rules that read another answer (the email is checked with the author's name) read
    one asked before ``field``.
    """
    value = answers[field]
    if field in BOOLEAN_QUESTIONS:
        parse_boolean(field, value)
        return
    if not isinstance(value, str):
        raise AnswerError(f"{field}: {value!r} is not text; write it in quotes.")
    if field == "project_name" and not value.strip():
        raise AnswerError("project_name: it is empty; give the project a name.")
    if field in ONE_LINE_FIELDS:
        check_one_line(field, value)
    if field == "project_slug":
        check_project_slug(value)
    elif field == "package_name":
        check_package_name(value)
    elif field == "author_email":
        author_name = answers.get("author_name", "")
        check_author_email(value, author_name if isinstance(author_name, str) else "")
    elif field == "python_version":
        check_choice(field, value, SUPPORTED_PYTHONS)
    elif field == "database":
        check_choice(field, value, DATABASES)


def check_answers(answers: Mapping[str, object], *, so_far: bool = False) -> dict[str, bool]:
    """Raise AnswerError for the first answer that cannot be baked, in the order asked.

    With ``so_far``, only the questions answered yet are checked: cookiecutter asks them
    one by one. Returns the yes/no answers given as booleans, for the caller to bake with.
    """
    asked = [field for field in QUESTIONS if field in answers or not so_far]
    for field in asked:
        check_answer(field, answers)
    return {
        field: parse_boolean(field, answers[field])
        for field in BOOLEAN_QUESTIONS
        if field in asked
    }


def main(answers: Mapping[str, object]) -> int:
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
                "description": {{ cookiecutter.description | quoted }},
                "author_name": {{ cookiecutter.author_name | quoted }},
                "author_email": {{ cookiecutter.author_email | quoted }},
                "python_version": {{ cookiecutter.python_version | quoted }},
                "database": {{ cookiecutter.database | quoted }},
                "async": {{ cookiecutter["async"] | quoted }},
            },
        )
    )
