"""The baked checks agree with pytest-alembic on the histories of its own example suite.

pytest-alembic ships example projects, each with the verdict its four checks give. The
same histories, written as revisions of a baked project, get the same verdict from the
project's tests/test_migrations.py (which checks more, and says more): a history that
pytest-alembic passes passes here, and one it fails fails here, naming the revision.
"""

from __future__ import annotations

import re

import pytest
from helpers import BakedProject
from test_migration_checks import (  # noqa: F401 (project: a fixture)
    FIRST,
    add_history,
    add_revision,
    project,
    run_migration_checks,
    write_head_file,
)

EMPTY = "\n\ndef upgrade() -> None:\n    pass\n\n\ndef downgrade() -> None:\n    pass\n"
FOO_DOWNGRADE_RENAMES = """

def upgrade() -> None:
    op.create_table("foo", sa.Column("id", sa.Integer(), primary_key=True))


def downgrade() -> None:
    op.rename_table("foo", "bar")
"""
FOO_DOWNGRADE_RAISES = """

def upgrade() -> None:
    op.create_table("foo", sa.Column("id", sa.Integer(), primary_key=True))


def downgrade() -> None:
    raise ValueError("Something went wrong")
"""
# Data written by the revisions themselves, into the table the first of them creates.
FOO_WITH_ROWS = """

def upgrade() -> None:
    foo = op.create_table(
        "foo", sa.Column("id", sa.Integer(), primary_key=True), sa.Column("x", sa.Integer())
    )
    op.bulk_insert(foo, [{"id": 1, "x": 1}, {"id": 2, "x": 2}])


def downgrade() -> None:
    op.drop_table("foo")
"""
FOO_ROWS_UPDATED = """

def upgrade() -> None:
    op.execute("UPDATE foo SET x = x * 10")


def downgrade() -> None:
    op.execute("UPDATE foo SET x = x / 10")
"""


def passes(output: str) -> bool:
    """Whether every test that pytest-alembic also has passed: all but the models check
    (the examples carry no models for their tables) and the safety lint."""
    return "4 passed" in output and "failed" not in output


def only_history_checks(project: BakedProject) -> str:
    return run_migration_checks(project, "-k", "not models_match and not safe_on_a_live")


def test_branches_and_merges_at_several_levels_pass(project: BakedProject) -> None:
    """pytest-alembic's "ambiguous downgrade history": branches from one revision, merged
    at different levels, where relative downgrades are ambiguous."""
    a = add_revision(project, FIRST, EMPTY, number=1, slug="a")
    b = add_revision(project, FIRST, EMPTY, number=2, slug="b")
    c = add_revision(project, FIRST, EMPTY, number=3, slug="c")
    ab = add_revision(project, (a.id, b.id), EMPTY, number=4, slug="merge_a_b")
    d = add_revision(project, c.id, EMPTY, number=5, slug="d")
    top = add_revision(project, (ab.id, d.id), EMPTY, number=6, slug="merge_all")
    last = add_revision(project, top.id, EMPTY, number=7, slug="after")
    write_head_file(project, last)
    output = only_history_checks(project)
    assert passes(output), output[-3000:]
    assert "1 passed" in run_migration_checks(project, "-k", "exactly_one_head")


def test_revisions_that_write_and_change_their_own_data_pass(project: BakedProject) -> None:
    """pytest-alembic's "basic" and "complex revision upgrade data"."""
    add_history(project, FOO_WITH_ROWS, FOO_ROWS_UPDATED)
    output = only_history_checks(project)
    assert passes(output), output[-3000:]


@pytest.mark.parametrize(
    ("history", "message"),
    [
        (FOO_DOWNGRADE_RENAMES, re.escape("does not undo its upgrade():\n  table bar: left behind")),
        (FOO_DOWNGRADE_RAISES, r"failed at line \d+: ValueError: Something went wrong"),
    ],
    ids=["downgrade-leaves-a-trace", "failing-downgrade"],
)
def test_a_downgrade_pytest_alembic_fails_fails_here_naming_it(
    project: BakedProject, history: str, message: str
) -> None:
    (revision,) = add_history(project, history)
    output = only_history_checks(project)
    assert "1 failed" in output, output[-3000:]
    assert re.search(rf"downgrade\(\) of {re.escape(revision.file)} {message}", output), output[-3000:]
