"""The baseline of a squash (`make squash upto=<revision>`) still builds what the revisions
it replaced built: their schema and rows, as tests/squashed_baseline.json recorded them
when the squash proved it. Without a squash, there is nothing to check."""

from __future__ import annotations

import pytest
from sqlalchemy import URL

from {{ cookiecutter.package_name }}.migration_tools.squash import baseline_problem


def test_squashed_baseline_builds_what_it_replaced(database_url: URL) -> None:
    problem = baseline_problem(database_url)
    if problem:
        pytest.fail(problem, pytrace=False)
