"""The baked migration checks follow rows as well as the schema, on every engine.

A downgrade() must take away the rows its upgrade() wrote (what a one-step stairway,
``downgrade -1`` then ``upgrade +1``, would catch as a collision), while rows an upgrade
deletes are not expected back. The sample rows of tests/sample_rows.py must stay, each
as written, whatever else a table holds: seed data, a second revision's samples.
"""

from __future__ import annotations

import pytest
from helpers import BakedProject
from test_migration_checks import (  # noqa: F401 (project: a fixture)
    DATABASES,
    FIRST,
    add_history,
    project,
    run_migration_checks,
    run_stairway,
)

SETTINGS_TABLE = """

def upgrade() -> None:
    op.create_table(
        "settings",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("value", sa.String(50)),
    )


def downgrade() -> None:
    op.drop_table("settings")
"""
# Three rows with explicit ids; the downgrade takes away {taken}.
SEED_SETTINGS = """
SETTINGS = sa.table("settings", sa.column("id", sa.Integer()), sa.column("value", sa.String()))


def upgrade() -> None:
    op.bulk_insert(
        SETTINGS,
        [{{"id": 1, "value": "a"}}, {{"id": 2, "value": "b"}}, {{"id": 3, "value": "c"}}],
    )


def downgrade() -> None:
    op.execute("DELETE FROM settings WHERE id IN ({taken})")
"""
# A clean-up: the rows it deletes are gone for good.
CLEAN_UP_SETTINGS = """

def upgrade() -> None:
    op.execute("DELETE FROM settings WHERE id = 3")


def downgrade() -> None:
    pass
"""
# Reference rows added to a table that has sample rows.
SEED_USERS = """
USERS = sa.table("users", sa.column("id", sa.Integer()), sa.column("name", sa.String()))


def upgrade() -> None:
    op.bulk_insert(USERS, [{"id": 100, "name": "System"}, {"id": 101, "name": "Robot"}])


def downgrade() -> None:
    op.execute("DELETE FROM users WHERE id IN (100, 101)")
"""
RENAME_ADA = """

def upgrade() -> None:
    op.execute("UPDATE users SET name = 'Countess' WHERE id = 1")


def downgrade() -> None:
    op.execute("UPDATE users SET name = 'Ada Lovelace' WHERE id = 1")
"""
NOTHING = """

def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
"""


def write_sample_rows(project: BakedProject, rows: dict[str, dict[str, list[dict[str, object]]]]) -> None:
    (project.path / "tests" / "sample_rows.py").write_text(
        "from typing import Any\n\n"
        f"SAMPLE_ROWS: dict[str, dict[str, list[dict[str, Any]]]] = {rows!r}\n"
    )


def assert_stairway_fails_with(output: str, message: str) -> None:
    assert "1 failed" in output, output[-3000:]
    assert message in output, output[-3000:]


@pytest.mark.parametrize("project", DATABASES, indirect=True)
def test_downgrade_that_leaves_rows_behind_fails_naming_table_and_count(project: BakedProject) -> None:
    _, seed = add_history(project, SETTINGS_TABLE, SEED_SETTINGS.format(taken="1, 2"))
    assert_stairway_fails_with(
        run_stairway(project),
        f"downgrade() of {seed.file} left 1 row behind in settings (its upgrade() wrote 3)",
    )


@pytest.mark.parametrize("project", DATABASES, indirect=True)
def test_seed_undone_and_a_clean_up_pass(project: BakedProject) -> None:
    """Rows an upgrade deletes (the clean-up) are not expected back by its downgrade."""
    add_history(project, SETTINGS_TABLE, SEED_SETTINGS.format(taken="1, 2, 3"), CLEAN_UP_SETTINGS)
    output = run_stairway(project)
    assert "1 passed" in output, output[-3000:]


@pytest.mark.parametrize("project", DATABASES, indirect=True)
def test_seed_rows_in_a_table_with_sample_rows_pass_every_check(project: BakedProject) -> None:
    add_history(project, SEED_USERS)
    output = run_migration_checks(project)
    assert "6 passed" in output, output[-3000:]


@pytest.mark.parametrize("project", DATABASES, indirect=True)
def test_sample_rows_of_one_table_at_two_revisions_are_each_checked(project: BakedProject) -> None:
    """The second revision's rows join the first's in a table that already has rows; a
    later revision that changes one of the first fails, naming it."""
    seeded, _, renamed = add_history(project, SEED_USERS, NOTHING, RENAME_ADA)
    write_sample_rows(
        project,
        {
            FIRST: {"users": [{"id": 1, "name": "Ada Lovelace"}, {"id": 2, "name": "Grace Hopper"}]},
            seeded.id: {"users": [{"id": 3, "name": "Edsger Dijkstra"}]},
        },
    )
    assert_stairway_fails_with(
        run_stairway(project),
        f"upgrade() of {renamed.file} changed the sample rows of users (tests/sample_rows.py): "
        "{'id': 1, 'name': 'Ada Lovelace'} is no longer there; found {'id': 1, 'name': 'Countess'}",
    )


@pytest.mark.parametrize("project", DATABASES, indirect=True)
def test_sample_rows_at_two_revisions_pass_when_kept(project: BakedProject) -> None:
    seeded, _ = add_history(project, SEED_USERS, NOTHING)
    write_sample_rows(
        project,
        {
            FIRST: {"users": [{"id": 1, "name": "Ada Lovelace"}]},
            seeded.id: {"users": [{"id": 3, "name": "Edsger Dijkstra"}]},
        },
    )
    output = run_migration_checks(project)
    assert "6 passed" in output, output[-3000:]
