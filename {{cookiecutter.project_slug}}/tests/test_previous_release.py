"""The release in production keeps working while a deploy runs: the schema that the
deploy's first phase leaves (make db-expand) still has what that release reads and writes.

The previous release is the newest git tag, or where this branch left main
(migration_tools/previous_release.py; docs/migrations.md, "Two phases of a deploy").
"""

from __future__ import annotations

import pytest
from sqlalchemy import URL

from {{ cookiecutter.package_name }}.migration_tools import checks
from {{ cookiecutter.package_name }}.migration_tools.previous_release import (
    check_previous_release,
)


def test_previous_release_works_during_the_deploy(
    test_server: URL, checked_database: checks.CheckedDatabase
) -> None:
    # The migration checks' database, at head, spares a second run of the whole history.
    at_head = None if checked_database.failure else checked_database.url
    outcome = check_previous_release(server=test_server, at_head=at_head)
    if outcome.skipped:
        pytest.skip(f"No previous release to compare with: {outcome.skipped}.")
    if outcome.problems:
        pytest.fail("\n".join(outcome.problems), pytrace=False)
