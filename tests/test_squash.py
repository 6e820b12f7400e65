"""Squashing a long history into one baseline revision (``make squash upto=<revision>``),
on each engine, on one bake each.

The baked project grows a 50-revision history (tables, columns and indexes added and
dropped, a CHECK, a foreign key, an enum, seed rows), with models for what is left at
head, and is squashed up to revision 40. Then:

* the squash proves its baseline builds the same schema and rows, and says so;
* a fresh database upgrades to head and equals one built by the full old chain;
* a database stamped at revision 45 upgrades to head;
* a database at revision 20, now squashed away, gets a one-line refusal;
* the baked suite passes (its migration checks and the kept proof included);
* on SQLite, a history whose old revisions create a view stops the squash, naming it;
* on PostgreSQL, an exclusion constraint, which the baseline would lack, stops it too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import scratch_database, server_url
from helpers import BakedProject, run
from test_lesson import GIT_ENVIRONMENT
from test_migration_checks import FIRST, Revision, add_revision, migrations_dir, write_head_file

REVISIONS, SQUASH_UP_TO, STAMPED, SQUASHED_AWAY = 50, 40, 45, 20

KINDS = """
def upgrade() -> None:
    op.create_table(
        "kinds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(30), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kinds")),
        sa.UniqueConstraint("name", name=op.f("uq_kinds_name")),
        sqlite_autoincrement=True,
    )
    kinds = sa.table("kinds", sa.column("id"), sa.column("name"))
    op.bulk_insert(kinds, [{"id": 1, "name": "tool"}, {"id": 2, "name": "part"}])


def downgrade() -> None:
    op.drop_table("kinds")
"""
ITEMS = """
def upgrade() -> None:
    op.create_table(
        "items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind_id", sa.Integer(), nullable=False),
        sa.Column("qty", sa.Integer(), server_default="0", nullable=False),
        sa.CheckConstraint("qty >= 0", name=op.f("ck_items_qty_not_negative")),
        sa.ForeignKeyConstraint(["kind_id"], ["kinds.id"], name=op.f("fk_items_kind_id_kinds")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_items")),
    )
    op.create_index(op.f("ix_items_qty"), "items", ["qty"])


def downgrade() -> None:
    op.drop_table("items")
"""
MOOD = """
def upgrade() -> None:
    mood = sa.Enum("fine", "broken", name="mood")
    if op.get_context().dialect.name == "postgresql":  # a type of its own there
        mood.create(op.get_bind())
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("mood", mood, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.drop_column("mood")
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TYPE mood")
"""
# Seed rows added later on, in a revision of the steps below.
MORE_KINDS = {
    30: (
        "op.execute(\"INSERT INTO kinds (id, name) VALUES (3, 'kit')\")",
        'op.execute("DELETE FROM kinds WHERE id = 3")',
    ),
    STAMPED + 2: (
        "op.execute(\"INSERT INTO kinds (id, name) VALUES (4, 'set')\")",
        'op.execute("DELETE FROM kinds WHERE id = 4")',
    ),
}
# On PostgreSQL, the safety lint asks for indexes built and dropped CONCURRENTLY: these
# tables stay small, and a waiver says so.
WAIVER = "# migration-safety: allow require-concurrent-index-{} -- a small table\n    "
# Five steps on a table of its own, again and again: create it, add a column, index it,
# drop the index, then drop the column (or, every other time, the table).
STEPS = [
    (
        'op.create_table("{t}", sa.Column("id", sa.Integer(), primary_key=True), sa.Column("label", sa.String(20)))',
        'op.drop_table("{t}")',
    ),
    (
        'with op.batch_alter_table("{t}") as batch:\n        batch.add_column(sa.Column("extra", sa.Integer()))',
        'with op.batch_alter_table("{t}") as batch:\n        batch.drop_column("extra")',
    ),
    ('{creation}op.create_index("ix_{t}_label", "{t}", ["label"])', 'op.drop_index("ix_{t}_label", "{t}")'),
    ('{deletion}op.drop_index("ix_{t}_label", "{t}")', 'op.create_index("ix_{t}_label", "{t}", ["label"])'),
]
DROP_COLUMN = STEPS[1][::-1]
DROP_TABLE = (
    'op.drop_table("{t}")',
    'op.create_table("{t}", sa.Column("id", sa.Integer(), primary_key=True), '
    'sa.Column("label", sa.String(20)), sa.Column("extra", sa.Integer()))',
)
MODELS = '''"""What the squashed history leaves at head."""

import enum

from sqlalchemy import CheckConstraint, Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from {package}.models.base import Base


class Mood(enum.Enum):
    fine = "fine"
    broken = "broken"


class Kind(Base):
    __tablename__ = "kinds"
    __table_args__ = (UniqueConstraint("name"), {{"sqlite_autoincrement": True}})

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(30))


class Item(Base):
    __tablename__ = "items"
    __table_args__ = (CheckConstraint("qty >= 0", name="qty_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind_id: Mapped[int] = mapped_column(ForeignKey("kinds.id"))
    qty: Mapped[int] = mapped_column(server_default="0", index=True)
    mood: Mapped[Mood | None] = mapped_column(Enum(Mood, name="mood"))
{tables}'''
TABLE_MODEL = """

class {cls}(Base):
    __tablename__ = "{t}"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str | None] = mapped_column(String(20))
"""
VIEW = """
def upgrade() -> None:
    op.execute("CREATE VIEW busy_items AS SELECT id FROM items WHERE qty > 0")


def downgrade() -> None:
    op.execute("DROP VIEW busy_items")
"""
BOOKINGS = """
def upgrade() -> None:
    op.execute(
        "CREATE TABLE bookings (id integer PRIMARY KEY, during int4range, "
        "EXCLUDE USING gist (during WITH &&))"
    )


def downgrade() -> None:
    op.drop_table("bookings")
"""
# Run in the project: steps on a database ("upgrade head", "downgrade <revision>", the
# alembic_version row set to "version <revision>", "picture"); prints the first picture
# taken (its schema and rows, as the squash's proof reads them), or the last state's.
STEPS_SCRIPT = """
import json, sys
from alembic import command
from sqlalchemy import create_engine, make_url, text
from {package}.migration_tools.config import read_config
from {package}.migration_tools.previous_release import blocking
from {package}.migration_tools.squash.record import read_picture

url = blocking(make_url(sys.argv[1]))
pictures = []
for step in sys.argv[2:]:
    verb, _, revision = step.partition(" ")
    engine = create_engine(url)
    with engine.connect() as connection:
        if verb == "version":
            connection.execute(text("UPDATE alembic_version SET version_num = :v"), {{"v": revision}})
            connection.commit()
        elif verb != "picture":
            getattr(command, verb)(read_config(connection), revision)
    engine.dispose()
    if verb == "picture":
        pictures.append(read_picture(url).as_json())
print(json.dumps(pictures[0] if pictures else read_picture(url).as_json()))
"""


def body(number: int, database: str) -> str:
    """The upgrade() and downgrade() of revision ``number`` (2 to 50; 1 is the bake's)."""
    fixed = {2: KINDS, 3: ITEMS, 4: MOOD}
    if number in fixed:
        return fixed[number]
    step, group = (number - 5) % 5, (number - 5) // 5
    up, down = (*STEPS, DROP_TABLE if group % 2 else DROP_COLUMN)[step]
    table = f"f{number - step}"
    waivers = {kind: WAIVER.format(kind) if database == "postgresql" else "" for kind in ("creation", "deletion")}
    up, down = up.format(t=table, **waivers), down.format(t=table)
    if number in MORE_KINDS:
        up, down = f"{up}\n    {MORE_KINDS[number][0]}", f"{MORE_KINDS[number][1]}\n    {down}"
    return f"\n\ndef upgrade() -> None:\n    {up}\n\n\ndef downgrade() -> None:\n    {down}\n"


def surviving_tables() -> list[str]:
    """The step tables at head: those whose group dropped a column, not the table."""
    return [
        f"f{number}"
        for number in range(5, REVISIONS + 1)
        if (number - 5) % 5 == 0 and (((number - 5) // 5) % 2 == 0 or number + 4 > REVISIONS)
    ]


def grow_history(project: BakedProject) -> list[Revision]:
    """Revisions 2 to 50 after the bake's first, head.txt, and models for what is left."""
    chain = [Revision(FIRST, "")]
    for number in range(2, REVISIONS + 1):
        # A drop waits until the new code is live: a contract step (docs/migrations.md).
        upgrade = body(number, project.database).split("downgrade")[0]
        header = '\nphase = "contract"\n' if "drop_table" in upgrade or "drop_column" in upgrade else ""
        chain.append(add_revision(project, chain[-1].id, body(number, project.database), number=number, header=header))
    write_head_file(project, chain[-1])
    models = project.path / "src" / project.package / "models"
    tables = "".join(TABLE_MODEL.format(cls=t.upper(), t=t) for t in surviving_tables())
    (models / "stock.py").write_text(MODELS.format(package=project.package, tables=tables))
    init = models / "__init__.py"
    names = ["Item", "Kind", *(t.upper() for t in surviving_tables())]
    init.write_text(
        init.read_text()
        .replace(
            f"from {project.package}.models.user import User\n",
            f"from {project.package}.models.stock import {', '.join(names)}\n"
            f"from {project.package}.models.user import User\n",
        )
        .replace('__all__ = ["Base", "User"]', f"__all__ = {['Base', *names, 'User']!r}")
    )
    return chain


def steps(project: BakedProject, url: str, *steps: str) -> dict[str, Any]:
    done = project.run("python", "-c", STEPS_SCRIPT.format(package=project.package), url, *steps)
    return json.loads(done.stdout)


@pytest.mark.parametrize("database", ["sqlite", "postgresql", "mysql"])
def test_squash_up_to_revision_40_of_50(database: str, cookies: Any, project_venv: Path, tmp_path: Path) -> None:
    server = server_url(database)
    answers = {"project_name": "Squash Demo", "database": database, "async": False}
    result = cookies.bake(extra_context=answers)
    assert result.exit_code == 0, result.exception
    project = BakedProject(result.project_path, project_venv, answers)
    tests_server = {"TEST_DATABASE_URL": server} if server else {}
    chain = grow_history(project)
    # The release in production has the whole history: the squash comes after it.
    git = {"env": project.env(**GIT_ENVIRONMENT), "cwd": project.path}
    run(["git", "add", "--all"], **git)
    run(["git", "commit", "--quiet", "-m", "50 revisions"], **git)
    last = chain[SQUASH_UP_TO - 1]
    versions = migrations_dir(project) / "versions"

    for folder in ("old", "new"):
        (tmp_path / folder).mkdir()
    with (
        scratch_database(project, tmp_path / "old") as old,
        scratch_database(project, tmp_path / "new") as new,
    ):
        before = steps(project, old, "upgrade head")
        assert before["rows"]["kinds"][-1] == {"id": 4, "name": "set"}, before["rows"]

        if database == "sqlite":
            # A release at the bake's first revision: squashing past it would strand its
            # databases, so the squash refuses and names the release and its revision.
            first_commit = run(["git", "rev-list", "--max-parents=0", "HEAD"], **git).stdout.strip()
            run(["git", "tag", "v0.1", first_commit], **git)
            stranded = project.run("make", f"VENV={project_venv}", "-s", "squash", f"upto={last.id}", check=False)
            assert stranded.returncode != 0
            assert stranded.stderr.startswith(
                f"Cannot squash up to {last.id}: v0.1 is at revision {FIRST}, which the squash "
                "would replace"
            ), stranded.stderr
            run(["git", "tag", "--delete", "v0.1"], **git)

        squashed = project.run("make", f"VENV={project_venv}", "squash", f"upto={last.id}", **tests_server)
        assert f"Squashed {SQUASH_UP_TO} revisions into " in squashed.stdout, squashed.stdout
        assert f"(revision {last.id}); proven to build the same schema and rows" in squashed.stdout
        files = sorted(path.name for path in versions.glob("*.py"))
        assert len(files) == REVISIONS - SQUASH_UP_TO + 1, files
        baseline = versions / files[0]
        assert baseline.name.endswith(f"{last.id}_squashed_baseline.py"), files
        text = baseline.read_text()
        assert f"revision: str = {last.id!r}" in text.replace('"', "'"), text
        assert "down_revision: str | Sequence[str] | None = None" in text, text
        assert "op.bulk_insert(" in text and '"kit"' in text, text
        assert ("sqlite_autoincrement=True" in text) == (database == "sqlite"), text
        squashed_ids = (migrations_dir(project) / "squashed.txt").read_text()
        assert f"{chain[SQUASHED_AWAY - 1].id} {last.id}\n" in squashed_ids
        assert (project.path / "tests" / "squashed_baseline.json").is_file()

        # A fresh database, up to head: as the old chain built it. Then down to revision
        # 45 and up again; then at revision 20, as a release before the squash left it.
        after = steps(
            project,
            new,
            "upgrade head",
            "picture",
            f"downgrade {chain[STAMPED - 1].id}",
            "upgrade head",
            f"version {chain[SQUASHED_AWAY - 1].id}",
        )
        assert after == before
        refused = project.run("alembic", "upgrade", "head", check=False, DATABASE_URL=new)
        assert refused.returncode != 0, refused.stdout + refused.stderr
        assert refused.stdout == (
            f"FAILED: The database is at revision {chain[SQUASHED_AWAY - 1].id}, which this "
            f"release no longer has: it was squashed into the baseline revision {last.id}. "
            "Upgrade the database with a release from before the squash (to "
            f"{last.id} or later), then come back to this one (docs/migrations.md, "
            '"Squashing old revisions").\n'
        ), refused.stdout + refused.stderr

    suite = project.run("pytest", "-p", "no:cacheprovider", "-q", check=False, **tests_server)
    assert " passed" in suite.stdout and "failed" not in suite.stdout, suite.stdout

    if database == "sqlite":
        # A view, which autogenerate cannot see: the squash stops, and changes nothing.
        view = add_revision(project, chain[-1].id, VIEW, number=REVISIONS + 1, slug="view")
        write_head_file(project, view)
        run(["git", "add", "--all"], **git)
        run(["git", "commit", "--quiet", "-m", "a view"], **git)  # released: main has it
        before_files = sorted(versions.glob("*.py"))
        refused = project.run("make", f"VENV={project_venv}", "-s", "squash", f"upto={view.id}", check=False)
        assert refused.returncode != 0
        assert refused.stderr.startswith(
            f"Cannot squash up to {view.id}: autogenerate cannot see view busy_items, which "
        ), refused.stderr
        assert len(refused.stderr.splitlines()) == 2, refused.stderr  # and make's own line
        assert sorted(versions.glob("*.py")) == before_files

    if database == "postgresql":
        # An exclusion constraint, which SQLAlchemy does not reflect: the baseline would
        # lack it, the proof says so, and the files are put back.
        bookings = add_revision(project, chain[-1].id, BOOKINGS, number=REVISIONS + 1, slug="bookings")
        write_head_file(project, bookings)
        run(["git", "add", "--all"], **git)
        run(["git", "commit", "--quiet", "-m", "bookings"], **git)  # released: main has it
        before_files = sorted(versions.glob("*.py"))
        refused = project.run(
            "make", f"VENV={project_venv}", "-s", "squash", f"upto={bookings.id}", check=False, **tests_server
        )
        assert refused.returncode != 0
        assert refused.stderr.startswith(
            f"The baseline would build another database than the revisions up to {bookings.id}, so "
            "nothing was changed: exclusion constraint bookings_during_excl: missing"
        ), refused.stderr
        assert len(refused.stderr.splitlines()) == 2, refused.stderr
        assert sorted(versions.glob("*.py")) == before_files
        assert (migrations_dir(project) / "head.txt").read_text() == f"{bookings.file}\n"
