"""The pre-gen hook refuses bad answers: one line naming the field and the fix, exit 1,
and nothing left on disk. Its checks are plain functions, tested directly too."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from helpers import TEMPLATE, load_hook, run




pre_gen = load_hook("pre_gen_project")

GOOD_ANSWERS = {
    "project_name": "Inventory",
    "project_slug": "inventory",
    "package_name": "inventory",
    "author_email": "jane@example.com",
    "python_version": "3.12",
    "database": "sqlite",
}

BAD_ANSWERS = [
    ("package_name", "2fast", "not a valid Python identifier"),
    ("package_name", "my-app", "not a valid Python identifier"),
    ("package_name", "class", "is a Python keyword"),
    ("package_name", "json", "shadow the standard library"),
    ("package_name", "test", "shadow the standard library"),
    ("package_name", "alembic", "shadow the 'alembic' package"),
    ("package_name", "sqlalchemy", "shadow the 'sqlalchemy' package"),
    ("author_email", "jane.example.com", "not an email address"),
    ("project_slug", "-bad slug-", "not a valid distribution name"),
    ("python_version", "2.7", "not supported"),
]


@pytest.mark.parametrize(("field", "value", "message"), BAD_ANSWERS)
def test_check_answers_names_the_field_and_the_fix(field: str, value: str, message: str) -> None:
    with pytest.raises(pre_gen.AnswerError) as error:
        pre_gen.check_answers({**GOOD_ANSWERS, field: value})
    text = str(error.value)
    assert text.startswith(f"{field}: ")
    assert message in text
    assert "\n" not in text


def test_good_answers_pass() -> None:
    pre_gen.check_answers(GOOD_ANSWERS)


CLI_BAD_INPUT = [
    ["package_name=2fast"],
    ["python_version=2.7"],
    ["python_version=3.9"],
    ["package_name=class"],
    ["package_name=json"],
    ["package_name=alembic"],
    ["author_email=nobody"],
]


@pytest.mark.parametrize("answers", CLI_BAD_INPUT, ids=lambda answers: answers[0])
def test_cookiecutter_refuses_bad_input_and_leaves_nothing(answers: list[str], tmp_path: Path) -> None:
    result = run(
        [sys.executable, "-m", "cookiecutter", "--no-input", TEMPLATE, "-o", tmp_path, *answers],
        cwd=tmp_path,
        check=False,
    )
    field = answers[0].split("=")[0]
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and errors[0].startswith(f"error: {field}: "), result.stderr
    assert list(tmp_path.iterdir()) == []

