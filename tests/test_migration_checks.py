"""The baked project's migration checks catch bad revisions, and pass good unusual ones.

Each test adds revisions to a freshly baked project (Alembic-style hex ids, date-ordered
file names, chained onto the first revision, head.txt rewritten) and runs the project's own
tests/test_migrations.py against them, on SQLite and on the real PostgreSQL and MariaDB
servers. A failure must name the revision and the one thing that differs. A passing run
must not print a warning: the checks then followed the schema the quick way, re-reading
only what each statement names.
"""

from __future__ import annotations

import itertools
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
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

# A column dropped, and added back at the end by the downgrade: column order is not a trace
# (PostgreSQL cannot put a column back in its place). Not a column of the sample rows, whose
# values a dropped column loses.
EMAIL_ADDED = """
def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("email", sa.String(100), nullable=True))
        batch.add_column(sa.Column("phone", sa.String(20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("phone")
        batch.drop_column("email")
"""
EMAIL_DROPPED = """
def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("email")


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("email", sa.String(100), nullable=True))
"""

# SQLite numbers a new row of sqlite_master one past the highest id at the time, so a
# table created after the newest ones were dropped takes an id seen before.
TABLES_A_B = """
def upgrade() -> None:
    op.create_table("a", sa.Column("id", sa.Integer(), primary_key=True))
    op.create_table("b", sa.Column("id", sa.Integer(), primary_key=True))


def downgrade() -> None:
    op.drop_table("b")
    op.drop_table("a")
"""
TABLES_A_B_DROPPED = """
def upgrade() -> None:
    op.drop_table("b")
    op.drop_table("a")


def downgrade() -> None:
    op.create_table("a", sa.Column("id", sa.Integer(), primary_key=True))
    op.create_table("b", sa.Column("id", sa.Integer(), primary_key=True))
"""
TABLE_C_INDEXED = """
def upgrade() -> None:
    op.create_table(
        "c", sa.Column("id", sa.Integer(), primary_key=True), sa.Column("x", sa.Integer())
    )
    op.create_index("ix_c_x", "c", ["x"])


def downgrade() -> None:
    op.drop_table("c")
"""
INDEX_BACK_AS_UNIQUE = """
def upgrade() -> None:
    op.drop_index("ix_c_x", table_name="c")


def downgrade() -> None:
    op.create_index("ix_c_x", "c", ["x"], unique=True)
"""
TABLE_C_DROPPED = """
def upgrade() -> None:
    op.drop_table("c")


def downgrade() -> None:
    op.create_table(
        "c", sa.Column("id", sa.Integer(), primary_key=True), sa.Column("x", sa.Integer())
    )
"""

# SQLite: what SQLAlchemy does not reflect is compared too: AUTOINCREMENT, which batch mode
# drops when it copies a table, and triggers.
AUTOINCREMENT_EVENTS = """
def upgrade() -> None:
    op.create_table(
        "events", sa.Column("id", sa.Integer(), primary_key=True), sqlite_autoincrement=True
    )


def downgrade() -> None:
    op.drop_table("events")
"""
EVENTS_COPIED_IN_BATCH = """
def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("at", sa.Integer()))


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_column("at")
"""
TRIGGER_CREATED = """
def upgrade() -> None:
    op.execute("CREATE TRIGGER users_touch AFTER UPDATE ON users BEGIN SELECT 1; END")


def downgrade() -> None:
    op.execute("DROP TRIGGER users_touch")
"""
TRIGGER_REPLACED = """
def upgrade() -> None:
    op.execute("DROP TRIGGER users_touch")
    op.execute("CREATE TRIGGER users_touch AFTER UPDATE ON users BEGIN SELECT 2; END")


def downgrade() -> None:
    pass
"""

# PostgreSQL: an identity column; a table whose name is also a kind of object.
IDENTITY_TABLE = """
def upgrade() -> None:
    op.create_table("t", sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False))


def downgrade() -> None:
    op.drop_table("t")
"""
IDENTITY_ADDED = """
def upgrade() -> None:
    op.execute("ALTER TABLE t ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY")


def downgrade() -> None:
    pass
"""
SEQUENCES_TABLE = """
def upgrade() -> None:
    op.create_table(
        "sequences", sa.Column("id", sa.Integer(), primary_key=True), sa.Column("dna", sa.Text())
    )


def downgrade() -> None:
    op.drop_table("sequences")
"""
DEFAULT_LEFT_BEHIND = """
def upgrade() -> None:
    op.alter_column("sequences", "dna", server_default="ACGT", existing_type=sa.Text())


def downgrade() -> None:
    pass
"""

# PostgreSQL: CREATE INDEX CONCURRENTLY runs outside a transaction, in an autocommit block.
INDEX_CREATED_CONCURRENTLY = """
def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.create_index("ix_users_name", "users", ["name"], postgresql_concurrently=True)


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index("ix_users_name", table_name="users", postgresql_concurrently=True)
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


FIRST = "3f9c2a1b7d40"  # the baked project's first revision
FIRST_DATE = datetime(2026, 1, 1)


@dataclass(frozen=True)
class Revision:
    id: str
    file: str  # its file name, as head.txt and the checks' messages give it


@pytest.fixture
def project(request: pytest.FixtureRequest, cookies: Any, project_venv: Path) -> BakedProject:
    database = getattr(request, "param", "sqlite")
    answers = {"project_name": "Checks Demo", "database": database, "async": False}
    result = cookies.bake(extra_context=answers)
    assert result.exit_code == 0, result.exception
    return BakedProject(result.project_path, project_venv, answers)


def migrations_dir(project: BakedProject) -> Path:
    return project.path / "src" / project.package / "migrations"


def new_revision_id() -> str:
    """A random 12-digit hex id, as Alembic makes them."""
    return uuid.uuid4().hex[:12]


def add_revision(
    project: BakedProject,
    down: str | tuple[str, ...],
    body: str,
    *,
    number: int,
    revision: str | None = None,
    slug: str = "scenario",
    header: str = "",
) -> Revision:
    """Write a revision file the way ``alembic revision`` names it: ``number`` minutes
    after the first revision's date, then its id and slug."""
    revision = revision or new_revision_id()
    date = (FIRST_DATE + timedelta(minutes=number)).strftime("%Y_%m_%d_%H%M")
    file = f"{date}-{revision}_{slug}.py"
    (migrations_dir(project) / "versions" / file).write_text(
        f'"""{slug}\n\nRevision ID: {revision}\nRevises: {down}\n"""\n\n'
        f"import sqlalchemy as sa\nfrom alembic import op\n{header}\n"
        f"revision = {revision!r}\ndown_revision = {down!r}\n"
        f"branch_labels = None\ndepends_on = None\n{body}"
    )
    return Revision(revision, file)


def write_head_file(project: BakedProject, *heads: Revision) -> None:
    """migrations/head.txt naming ``heads``, as Alembic's post-write hook leaves it."""
    (migrations_dir(project) / "head.txt").write_text("".join(f"{head.file}\n" for head in heads))


def add_history(project: BakedProject, *bodies: str) -> list[Revision]:
    """A chain of revisions after the first one, one per body, with head.txt naming the
    last; the revisions in order."""
    history, down = [], FIRST
    for number, body in enumerate(bodies, start=1):
        history.append(add_revision(project, down, body, number=number))
        down = history[-1].id
    write_head_file(project, history[-1])
    return history


def run_migration_checks(project: BakedProject, *select: str) -> str:
    server = server_url(project.database)
    extra = {"TEST_DATABASE_URL": server} if server else {}
    result = project.run(
        "pytest",
        *("-p", "no:cacheprovider", "-q", "--tb=native", "tests/test_migrations.py", *select),
        check=False,
        **extra,
    )
    return result.stdout


def run_stairway(project: BakedProject) -> str:
    return run_migration_checks(
        project, "-k", "test_every_revision_upgrades_and_downgrades_cleanly"
    )


def assert_passes_quickly(output: str) -> None:
    assert "1 passed" in output, output
    assert "warning" not in output, output


def assert_fails_at(output: str, revision: Revision, *items: str) -> None:
    """The stairway failed at ``revision``'s downgrade(), with a line for each of
    ``items`` (regular expressions, each matching a whole line after its two spaces)."""
    summary = "\n".join(output.splitlines()[-60:])  # the message, without the noise above
    assert "1 failed" in output, summary
    heading = f"downgrade() of {revision.file} does not undo its upgrade():\n"
    assert heading in output, summary
    listed = output.split(heading, 1)[1].splitlines()
    lines = [line[2:] for line in itertools.takewhile(lambda line: line.startswith("  "), listed)]
    for item in items:
        assert any(re.fullmatch(item, line) for line in lines), f"{item!r} not in {lines}"


@pytest.mark.parametrize("project", DATABASES, indirect=True)
@pytest.mark.parametrize(
    ("downgrade", "item"),
    [
        (TABLE_LEFT_BEHIND, r"table things: left behind"),
        (
            OTHER_COLUMN_ALTERED,
            r"users\.name: was VARCHAR\(50\) NOT NULL, now VARCHAR\(50\) NULL",
        ),
        (INDEX_LEFT_BEHIND, r"index ix_users_name: left behind"),
    ],
    ids=["downgrade-pass", "alters-another-column", "leaves-an-index"],
)
def test_downgrade_that_leaves_a_trace_fails_the_stairway(
    project: BakedProject, downgrade: str, item: str
) -> None:
    (revision,) = add_history(project, downgrade)
    assert_fails_at(run_stairway(project), revision, item)


@pytest.mark.parametrize("project", ["sqlite", "mysql"], indirect=True)
def test_table_copied_in_batch_mode_both_ways_passes(project: BakedProject) -> None:
    # (On PostgreSQL, a copied table gets a new sequence for its id: a real difference.)
    (revision,) = add_history(project, TABLE_COPIED_BOTH_WAYS)
    # Offline mode cannot copy a table, and at head `users` has a column its model lacks.
    # The lint reads the copy as SQLite's way of altering a table, and on MySQL as a finding.
    output = run_migration_checks(project, "-k", "not offline and not models_match")
    if project.database == "sqlite":
        assert "4 passed" in output, output
    else:
        assert "1 failed, 3 passed" in output, output
        assert f'{revision.file}: table-copy: batch_alter_table("users", recreate="always")' in output
    assert "warning" not in output, output


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
    (revision,) = add_history(project, ENUM_LEFT_BEHIND)
    assert_fails_at(run_stairway(project), revision, r"enum type mood: left behind")


@pytest.mark.parametrize("project", ["postgresql"], indirect=True)
def test_drop_cascade_passes(project: BakedProject) -> None:
    add_history(project, CASCADE_OBJECTS, DROP_CASCADE)
    assert_passes_quickly(run_stairway(project))


@pytest.mark.parametrize("project", ["postgresql"], indirect=True)
def test_change_to_unnamed_partitions_passes_by_starting_over(project: BakedProject) -> None:
    add_history(project, PARTITIONED_TABLE, COLUMN_ADDED_TO_PARTITIONS)
    output = run_stairway(project)
    assert "1 passed" in output, output
    assert "1 warning" in output, output
    assert "The migration checks started over" in output, output
    assert "readings_2026" in output, output


@pytest.mark.parametrize("project", DATABASES, indirect=True)
def test_column_added_back_at_the_end_passes(project: BakedProject) -> None:
    add_history(project, EMAIL_ADDED, EMAIL_DROPPED)
    assert_passes_quickly(run_stairway(project))


def test_trace_in_a_table_that_reuses_a_row_id_fails_the_stairway(project: BakedProject) -> None:
    history = [TABLES_A_B, TABLES_A_B_DROPPED, TABLE_C_INDEXED, INDEX_BACK_AS_UNIQUE]
    revisions = add_history(project, *history, TABLE_C_DROPPED)
    # The index comes back unique: c took the row id that a's table had in sqlite_master.
    index = r"index ix_c_x: was \{.*'unique': 0.*\}, now \{.*'unique': 1.*\}"
    assert_fails_at(run_stairway(project), revisions[3], index)


@pytest.mark.parametrize(
    ("history", "items"),
    [
        (
            (AUTOINCREMENT_EVENTS, EVENTS_COPIED_IN_BATCH),
            [r"events autoincrement: was True, now False"],
        ),
        (
            (TRIGGER_CREATED, TRIGGER_REPLACED),
            [
                r"trigger or view CREATE TRIGGER users_touch .* SELECT 1; END: missing",
                r"trigger or view CREATE TRIGGER users_touch .* SELECT 2; END: left behind",
            ],
        ),
    ],
    ids=["autoincrement-lost-in-batch", "trigger-not-restored"],
)
def test_what_sqlalchemy_does_not_reflect_is_compared_on_sqlite(
    project: BakedProject, history: tuple[str, ...], items: list[str]
) -> None:
    *_, last = add_history(project, *history)
    assert_fails_at(run_stairway(project), last, *items)


@pytest.mark.parametrize("project", ["postgresql"], indirect=True)
@pytest.mark.parametrize(
    ("history", "item"),
    [
        (
            (IDENTITY_TABLE, IDENTITY_ADDED),
            r"t\.id: was INTEGER NOT NULL, now INTEGER NOT NULL GENERATED BY DEFAULT AS IDENTITY",
        ),
        (
            (SEQUENCES_TABLE, DEFAULT_LEFT_BEHIND),
            r"sequences\.dna: was TEXT NULL, now TEXT NULL DEFAULT 'ACGT'::text",
        ),
    ],
    ids=["identity-left-behind", "table-named-sequences"],
)
def test_trace_on_postgresql_fails_the_stairway(
    project: BakedProject, history: tuple[str, ...], item: str
) -> None:
    *_, last = add_history(project, *history)
    assert_fails_at(run_stairway(project), last, item)


@pytest.mark.parametrize("project", ["postgresql"], indirect=True)
def test_index_created_concurrently_passes(project: BakedProject) -> None:
    add_history(project, INDEX_CREATED_CONCURRENTLY)
    assert_passes_quickly(run_stairway(project))


@pytest.mark.parametrize("project", DATABASES, indirect=True)
def test_branched_and_merged_history_passes(project: BakedProject) -> None:
    """Two branches from the first revision, merged: alembic_version holds two rows in
    between. Their revisions send no statement at all."""
    empty = "\n\ndef upgrade() -> None:\n    pass\n\n\ndef downgrade() -> None:\n    pass\n"
    left = add_revision(project, FIRST, empty, number=1)
    right = add_revision(project, FIRST, empty, number=2)
    merge = add_revision(project, (left.id, right.id), empty, number=3, slug="merge_heads")
    write_head_file(project, merge)
    output = run_migration_checks(project)
    assert "6 passed" in output, output
    assert "warning" not in output, output
