"""The baked project's migration checks catch bad revisions, and pass good unusual ones.

Each test adds revisions to a freshly baked project and runs the project's own
tests/test_migrations.py against them, on SQLite and on the real PostgreSQL and MariaDB
servers. A passing run must not print a warning: the stairway then followed the schema
the quick way, re-reading only what each statement names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import server_url
from helpers import BakedProject

DATABASES = ["sqlite", "postgresql", "mysql"]

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

# On SQLite, batch mode copies the table both ways, so its CREATE statement is worded anew.
TABLE_COPIED_BOTH_WAYS = """
def upgrade() -> None:
    with op.batch_alter_table("users", recreate="always") as batch:
        batch.add_column(sa.Column("age", sa.Integer()))


def downgrade() -> None:
    with op.batch_alter_table("users", recreate="always") as batch:
        batch.drop_column("age")
"""

# SQLite: the first AUTOINCREMENT table makes SQLite create its sqlite_sequence table, which
# stays when the table is dropped.
AUTOINCREMENT_TABLE = """
def upgrade() -> None:
    op.create_table(
        "counters", sa.Column("id", sa.Integer(), primary_key=True), sqlite_autoincrement=True
    )


def downgrade() -> None:
    op.drop_table("counters")
"""

# A foreign key to users; then users is renamed, which changes the foreign key too.
REFERENCING_TABLE = """
def upgrade() -> None:
    op.create_table(
        "gadgets",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", name="fk_gadgets_user_id")),
    )


def downgrade() -> None:
    op.drop_table("gadgets")
"""
REFERENCED_TABLE_RENAMED = """
def upgrade() -> None:
    op.rename_table("users", "people")


def downgrade() -> None:
    op.rename_table("people", "users")
"""

# An index, then dropped by its name alone (on PostgreSQL, DROP INDEX does not name the table).
INDEX_CREATED = """
def upgrade() -> None:
    op.create_index("ix_users_name", "users", ["name"])


def downgrade() -> None:
    op.drop_index("ix_users_name", table_name="users")
"""
INDEX_DROPPED = """
def upgrade() -> None:
    op.drop_index("ix_users_name", table_name="users")


def downgrade() -> None:
    op.create_index("ix_users_name", "users", ["name"])
"""

# PostgreSQL: an enum type outlives the table that used it, unless the downgrade drops it
# (as docs/migrations.md teaches).
ENUM_DROPPED = """
def upgrade() -> None:
    op.create_table(
        "moods",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("mood", sa.Enum("happy", "sad", name="mood")),
    )


def downgrade() -> None:
    op.drop_table("moods")
    sa.Enum(name="mood").drop(op.get_bind())
"""
ENUM_LEFT_BEHIND = ENUM_DROPPED.replace('    sa.Enum(name="mood").drop(op.get_bind())\n', "")

# PostgreSQL: DROP ... CASCADE also drops what depends on the dropped object, in tables
# the statement does not name: here a foreign key, and a column of the enum type.
CASCADE_OBJECTS = """
def upgrade() -> None:
    op.create_table(
        "things",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("mood", sa.Enum("happy", "sad", name="mood")),
    )
    op.create_table(
        "parts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("thing_id", sa.Integer()),
    )
    op.create_foreign_key("fk_parts_thing_id", "parts", "things", ["thing_id"], ["id"])


def downgrade() -> None:
    op.drop_table("parts")
    op.drop_table("things")
    op.execute("DROP TYPE mood")
"""
DROP_CASCADE = """
def upgrade() -> None:
    op.execute("DROP TYPE mood CASCADE")
    op.execute("DROP TABLE parts CASCADE")


def downgrade() -> None:
    op.create_table(
        "parts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("thing_id", sa.Integer()),
    )
    op.create_foreign_key("fk_parts_thing_id", "parts", "things", ["thing_id"], ["id"])
    mood = sa.Enum("happy", "sad", name="mood")
    mood.create(op.get_bind())
    op.add_column("things", sa.Column("mood", mood))
"""

# PostgreSQL: a column added to a partitioned table is added to its partitions, which
# no statement names.
PARTITIONED_TABLE = """
def upgrade() -> None:
    op.execute("CREATE TABLE readings (at date NOT NULL) PARTITION BY RANGE (at)")
    op.execute(
        "CREATE TABLE readings_2026 PARTITION OF readings "
        "FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')"
    )


def downgrade() -> None:
    op.execute("DROP TABLE readings")
"""
COLUMN_ADDED_TO_PARTITIONS = """
def upgrade() -> None:
    op.add_column("readings", sa.Column("value", sa.Integer()))


def downgrade() -> None:
    op.drop_column("readings", "value")
"""


@pytest.fixture
def project(request: pytest.FixtureRequest, cookies: Any, project_venv: Path) -> BakedProject:
    database = getattr(request, "param", "sqlite")
    answers = {"project_name": "Checks Demo", "database": database, "async": False}
    result = cookies.bake(extra_context=answers)
    assert result.exit_code == 0, result.exception
    return BakedProject(result.project_path, project_venv, answers)


def add_revision(
    project: BakedProject, revision: str, down: str | tuple[str, ...], body: str
) -> None:
    versions = project.path / "src" / project.package / "migrations" / "versions"
    (versions / f"{revision}_scenario.py").write_text(
        f'"""scenario {revision}"""\n\nimport sqlalchemy as sa\nfrom alembic import op\n\n'
        f"revision = {revision!r}\ndown_revision = {down!r}\n{body}"
    )


def add_history(project: BakedProject, *bodies: str) -> str:
    """Revisions 0002, 0003, ... after 0001, one per body; the id of the last one."""
    revision = "0001"
    for number, body in enumerate(bodies, start=2):
        down, revision = revision, f"{number:04d}"
        add_revision(project, revision, down, body)
    return revision


def run_migration_checks(project: BakedProject, *select: str) -> str:
    server = server_url(project.database)
    extra = {"TEST_DATABASE_URL": server} if server else {}
    result = project.run(
        "pytest",
        *("-p", "no:cacheprovider", "-q", "tests/test_migrations.py", *select),
        check=False,
        **extra,
    )
    return result.stdout


def run_stairway(project: BakedProject) -> str:
    return run_migration_checks(project, "-k", "downgrades_without_trace")


def assert_passes_quickly(output: str) -> None:
    assert "1 passed" in output, output
    assert "warning" not in output, output


def assert_fails_at(output: str, revision: str) -> None:
    assert "1 failed" in output, output
    assert f"downgrade() of {revision} does not undo its upgrade()" in output, output


@pytest.mark.parametrize("project", DATABASES, indirect=True)
@pytest.mark.parametrize(
    "downgrade",
    [TABLE_LEFT_BEHIND, OTHER_COLUMN_ALTERED, INDEX_LEFT_BEHIND],
    ids=["downgrade-pass", "alters-another-column", "leaves-an-index"],
)
def test_downgrade_that_leaves_a_trace_fails_the_stairway(
    project: BakedProject, downgrade: str
) -> None:
    last = add_history(project, downgrade)
    assert_fails_at(run_stairway(project), last)


@pytest.mark.parametrize("project", ["sqlite", "mysql"], indirect=True)
def test_table_copied_in_batch_mode_both_ways_passes(project: BakedProject) -> None:
    # (On PostgreSQL, a copied table gets a new sequence for its id: a real difference.)
    add_history(project, TABLE_COPIED_BOTH_WAYS)
    # Offline mode cannot copy a table, and at head `users` has a column its model lacks.
    output = run_migration_checks(project, "-k", "not offline and not models_match")
    assert "4 passed" in output, output


def test_autoincrement_table_passes(project: BakedProject) -> None:
    add_history(project, AUTOINCREMENT_TABLE)
    assert_passes_quickly(run_stairway(project))


@pytest.mark.parametrize("project", DATABASES, indirect=True)
def test_renaming_a_referenced_table_passes(project: BakedProject) -> None:
    add_history(project, REFERENCING_TABLE, REFERENCED_TABLE_RENAMED)
    assert_passes_quickly(run_stairway(project))


@pytest.mark.parametrize("project", DATABASES, indirect=True)
def test_dropping_an_index_by_name_passes(project: BakedProject) -> None:
    add_history(project, INDEX_CREATED, INDEX_DROPPED)
    assert_passes_quickly(run_stairway(project))


@pytest.mark.parametrize("project", ["postgresql"], indirect=True)
def test_enum_type_dropped_by_the_downgrade_passes(project: BakedProject) -> None:
    add_history(project, ENUM_DROPPED)
    assert_passes_quickly(run_stairway(project))


@pytest.mark.parametrize("project", ["postgresql"], indirect=True)
def test_enum_type_left_behind_fails_the_stairway(project: BakedProject) -> None:
    add_history(project, ENUM_LEFT_BEHIND)
    output = run_stairway(project)
    assert_fails_at(output, "0002")
    assert "'enum types': ([], [" in output


@pytest.mark.parametrize("project", ["postgresql"], indirect=True)
def test_drop_cascade_passes(project: BakedProject) -> None:
    add_history(project, CASCADE_OBJECTS, DROP_CASCADE)
    assert_passes_quickly(run_stairway(project))


@pytest.mark.parametrize("project", ["postgresql"], indirect=True)
def test_change_to_unnamed_partitions_passes_by_starting_over(project: BakedProject) -> None:
    add_history(project, PARTITIONED_TABLE, COLUMN_ADDED_TO_PARTITIONS)
    output = run_stairway(project)
    assert "1 passed, 5 deselected, 1 warning" in output, output
    assert "The stairway started over" in output
    assert "readings_2026" in output


def test_branched_and_merged_history_passes(project: BakedProject) -> None:
    """Two branches from 0001, merged by 0003: alembic_version holds two rows in between."""
    empty = "\n\ndef upgrade() -> None:\n    pass\n\n\ndef downgrade() -> None:\n    pass\n"
    add_revision(project, "0002a", "0001", empty)
    add_revision(project, "0002b", "0001", empty)
    add_revision(project, "0003", ("0002a", "0002b"), empty)
    output = run_migration_checks(project)
    assert "6 passed" in output, output
