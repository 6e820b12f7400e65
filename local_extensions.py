"""The template's Jinja extension: the ``quoted`` filter, and the answer checks.

cookiecutter.json names local_extensions_loader.TemplateExtension, which reads this file from
disk for every Jinja environment (see there why); older replay files name this module's
classes directly, and get the same extension.
"""

from __future__ import annotations

import json
import sys
from collections.abc import MutableMapping
from pathlib import Path
from types import ModuleType

from cookiecutter.exceptions import FailedHookException
from jinja2 import Environment
from jinja2.ext import Extension

# The oldest Python this module, the hooks and a baked project run on.
MINIMUM_PYTHON = (3, 10)


class PythonTooOld(FailedHookException):
    """Cookiecutter's command line prints a FailedHookException's message alone, and exits 1."""


def check_python(version: tuple[int, ...] = tuple(sys.version_info)) -> None:
    """Stop with one line on a Python older than MINIMUM_PYTHON.

    Cookiecutter loads this module first, before any prompt or hook, in the Python it was
    installed in; on 3.9 the code below would fail with an AttributeError instead.
    """
    if tuple(version[:2]) < MINIMUM_PYTHON:
        needed = ".".join(map(str, MINIMUM_PYTHON))
        found = ".".join(map(str, version[:3]))
        raise PythonTooOld(
            f"error: this template needs Python {needed}+, and cookiecutter runs on Python {found}: "
            f"install cookiecutter with a newer Python (e.g. pipx install --python python{needed} cookiecutter)."
        )


check_python()

TEMPLATE = Path(__file__).resolve().parent
# The generated project's folder; cookiecutter renders its name from the slug.
PROJECT_DIRECTORY = "{{cookiecutter.project_slug}}"


def _load_rules() -> ModuleType:
    """The answer rules: the pre-gen hook's plain functions, so they exist once. Compiled
    from the file as it reads now, like this module (local_extensions_loader.py says why)."""
    path = TEMPLATE / "hooks" / "pre_gen_project.py"
    module = ModuleType("pre_gen_project_rules")
    module.__file__ = str(path)
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), module.__dict__)
    return module


rules = _load_rules()


def _question_sources() -> frozenset[str]:
    """The text cookiecutter renders just before it asks each question, or after the last:
    the questions' defaults and the derived ``__`` values, as cookiecutter.json writes them."""
    questions = json.loads((TEMPLATE / "cookiecutter.json").read_text(encoding="utf-8"))
    return frozenset(
        value
        for key, value in questions.items()
        if isinstance(value, str) and (not key.startswith("_") or key.startswith("__"))
    )


QUESTION_SOURCES = _question_sources()


def quote_text(value: object) -> str:
    """Render free text as a double-quoted string literal.

    The result is valid in TOML, YAML and Python alike: quotes, backslashes and control
    characters are escaped, and non-ASCII text stays readable.
    """
    return json.dumps(str(value), ensure_ascii=False).replace("\x7f", "\\u007f")


class AnswerRefused(FailedHookException):
    """An answer the template refuses. A FailedHookException, like a failing pre-gen hook:
    cookiecutter's command line prints its message alone and exits 1."""


def checked_so_far(cookiecutter: MutableMapping[str, object]) -> str:
    """Nothing, once the questions answered so far have passed the rules."""
    try:
        rules.check_answers(cookiecutter, so_far=True)
    except rules.AnswerError as error:
        raise AnswerRefused(f"error: {error}") from None
    return ""


def checked_project_directory(cookiecutter: MutableMapping[str, object]) -> str:
    """The project directory's name (the slug), once every answer has passed the rules.

    Yes/no answers are replaced by booleans here, so every file rendered afterwards reads
    ``"false"`` or ``0`` from a replay or config file as false.
    """
    try:
        booleans = rules.check_answers(cookiecutter)
    except rules.AnswerError as error:
        raise AnswerRefused(f"error: {error}") from None
    cookiecutter.update(booleans)
    return str(cookiecutter["project_slug"])


class TemplateExtension(Extension):
    """The ``quoted`` filter, and the answer checks: each answer as it is given, and all of
    them where cookiecutter renders the project directory's name.

    Cookiecutter asks the questions in order, and renders each one's default (a Jinja
    string) just before asking it, with the answers given so far: the text of every default
    is prefixed with a check of those answers, so a bad answer stops the bake before the
    next question, and before cookiecutter saves its replay file.

    Cookiecutter creates the project directory first, then runs the pre-gen hook inside it,
    and deletes that directory when the hook refuses an answer: a slug like ``x/..`` names
    the directory the user stands in, and it was deleted. Rendering the directory's name is
    the first thing cookiecutter does with the answers, however they came (prompt,
    ``--no-input``, config file, replay), so the rules run there, before anything exists
    on disk. Jinja's ``preprocess`` step is the way in: the template's folder keeps its
    plain name (``{{cookiecutter.project_slug|...}}`` is not a valid file name on Windows).
    """

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.filters["quoted"] = quote_text
        environment.filters["checked_project_directory"] = checked_project_directory
        environment.filters["checked_so_far"] = checked_so_far

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        if source == PROJECT_DIRECTORY:
            return "{{ cookiecutter | checked_project_directory }}"
        if name is None and source in QUESTION_SOURCES:
            return "{{ cookiecutter | checked_so_far }}" + source
        return source


# Replay files keep the `_extensions` of the template they were made with, and older ones
# name these; they get the same extension, checks included.
quoted = TemplateExtension
CheckedAnswers = TemplateExtension
