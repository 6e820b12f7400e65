"""The baked project's migration checks catch bad revisions, and pass good unusual ones.

Each test adds one revision to a freshly baked SQLite project and runs the project's
own tests/test_migrations.py against it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers import BakedProject

ANSWERS = {"project_name": "Checks Demo", "database": "sqlite", "async": False}

TABLE_LEFT_BEHIND = """
def upgrade() -> None:
    op.create_table("things", sa.Column("id", sa.Integer(), primary_key=True))


def downgrade() -> None:
    pass
"""

OTHER_COLUMN_ALTERED = """
def upgrade() -> None:
    op.create_table("things", sa.Column("id", sa.Integer(), primary_key=True))


def downgrade() -> None:
    op.drop_table("things")
    with op.batch_alter_table("users") as batch:
        batch.alter_column("name", existing_type=sa.String(50), nullable=True)
"""

INDEX_LEFT_BEHIND = """
def upgrade() -> None:
    op.create_index("ix_users_name", "users", ["name"])


def downgrade() -> None:
    pass
"""

# Batch mode copies the table both ways, so its CREATE statement is worded anew.
TABLE_COPIED_BOTH_WAYS = """
def upgrade() -> None:
    with op.batch_alter_table("users", recreate="always") as batch:
        batch.add_column(sa.Column("age", sa.Integer()))


def downgrade() -> None:
    with op.batch_alter_table("users", recreate="always") as batch:
        batch.drop_column("age")
"""


@pytest.fixture
def project(cookies: Any, project_venv: Path) -> BakedProject:
    result = cookies.bake(extra_context=ANSWERS)
    assert result.exit_code == 0, result.exception
    return BakedProject(result.project_path, project_venv, ANSWERS)


def add_revision(
    project: BakedProject, revision: str, down: str | tuple[str, ...], body: str
) -> None:
    versions = project.path / "src" / project.package / "migrations" / "versions"
    (versions / f"{revision}_scenario.py").write_text(
        f'"""scenario {revision}"""\n\nimport sqlalchemy as sa\nfrom alembic import op\n\n'
        f"revision = {revision!r}\ndown_revision = {down!r}\n{body}"
    )


def run_migration_checks(project: BakedProject, *select: str) -> str:
    result = project.run(
        "pytest", "-p", "no:cacheprovider", "-q", "tests/test_migrations.py", *select, check=False
    )
    return result.stdout


@pytest.mark.parametrize(
    "downgrade",
    [TABLE_LEFT_BEHIND, OTHER_COLUMN_ALTERED, INDEX_LEFT_BEHIND],
    ids=["downgrade-pass", "alters-another-column", "leaves-an-index"],
)
def test_downgrade_that_leaves_a_trace_fails_the_stairway(
    project: BakedProject, downgrade: str
) -> None:
    add_revision(project, "0002", "0001", downgrade)
    output = run_migration_checks(project, "-k", "downgrades_without_trace")
    assert "1 failed" in output, output
    assert "downgrade() of 0002 does not undo its upgrade()" in output


def test_table_copied_in_batch_mode_both_ways_passes(project: BakedProject) -> None:
    add_revision(project, "0002", "0001", TABLE_COPIED_BOTH_WAYS)
    # Offline mode cannot copy a table, and at head `users` has a column its model lacks.
    output = run_migration_checks(project, "-k", "not offline and not models_match")
    assert "4 passed" in output, output


def test_branched_and_merged_history_passes(project: BakedProject) -> None:
    """Two branches from 0001, merged by 0003: alembic_version holds two rows in between."""
    empty = "\n\ndef upgrade() -> None:\n    pass\n\n\ndef downgrade() -> None:\n    pass\n"
    add_revision(project, "0002a", "0001", empty)
    add_revision(project, "0002b", "0001", empty)
    add_revision(project, "0003", ("0002a", "0002b"), empty)
    output = run_migration_checks(project)
    assert "6 passed" in output, output
