"""The baked project's two-phase deploy and its previous-release check, on each engine.

One bake per engine, made a git repository whose tag v1.0 is the release in production:
users gained a nickname. The next release, written as a team would, adds a column with a
server default (before the deploy), drops the nickname (autogenerate makes that a contract
step) and adds an email after it. On that history:

* the previous-release check passes, and fails, naming the column and the tag, when the
  drop runs before the deploy or the new column is NOT NULL without a server default;
* `make db-expand` on a database at v1.0 runs the first revision only and says why it
  stops, `make db-contract` the rest; `alembic upgrade head` still runs everything;
* the migration checks (down and up again) and the baked previous-release test pass.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from conftest import scratch_database, server_url
from helpers import BakedProject, run
from test_lesson import GIT_ENVIRONMENT
from test_migration_checks import FIRST, Revision, add_revision, migrations_dir, write_head_file

NICKNAME = """
def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("nickname", sa.String(50), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("nickname")
"""
# SQLite adds a NOT NULL column without a default only by copying the table.
AGE = """
def upgrade() -> None:
    recreate = "always" if op.get_context().dialect.name == "sqlite" else "auto"
    with op.batch_alter_table("users", recreate=recreate) as batch:
        batch.add_column(sa.Column("age", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("age")
"""
NARROW_NAME = (
    'batch.alter_column("name", type_=sa.String(20), existing_type=sa.String(50), existing_nullable=False)'
)
AGE_NEWCOMER = AGE.replace(', server_default="0"))', f"))\n        {NARROW_NAME}")
AGE_WIDENING = AGE_NEWCOMER.replace("nullable=False))", 'nullable=False, server_default="0"))').replace(
    "sa.String(20)", "sa.String(80)"
)
EMAIL = """
def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("email", sa.String(120), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("email")
"""
# What the safety lint needs to know of a revision and of the previous release.
ASK_LIKE_THE_LINT = """
from alembic.script import ScriptDirectory
from {package}.migration_tools.config import read_config
from {package}.migration_tools.phases import is_contract_step
from {package}.migration_tools.previous_release import (
    current_model_tables,
    previous_release_tables,
)

release = previous_release_tables()
print(release.release, release.maps("users", "nickname"), release.maps("users", "age"))
print(sorted(current_model_tables()["users"]) == ["age", "email", "id", "name"])
print(",".join(sorted(release.revisions)))
scripts = {{s.doc: s for s in ScriptDirectory.from_config(read_config()).walk_revisions()}}
print(is_contract_step(scripts["drop nickname"]), is_contract_step(scripts["add_age"]))
"""
NAME_COLUMN = "    name: Mapped[str] = mapped_column(String(50))\n"


def add_to_model(project: BakedProject, *lines: str, remove: str = "") -> None:
    user = project.path / "src" / project.package / "models" / "user.py"
    text = user.read_text().replace(remove, "") if remove else user.read_text()
    user.write_text(text.replace(NAME_COLUMN, NAME_COLUMN + "".join(lines)))


def git(project: BakedProject, *arguments: str) -> None:
    run(["git", *arguments], cwd=project.path, env=project.env(**GIT_ENVIRONMENT))


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} not found once in {path.name}"
    path.write_text(text.replace(old, new))


@pytest.mark.parametrize("database", ["sqlite", "postgresql", "mysql"])
def test_previous_release_check_and_two_phase_deploy(
    database: str, cookies: Any, project_venv: Path, tmp_path: Path
) -> None:
    server = server_url(database)
    answers = {"project_name": "Phases Demo", "database": database, "async": False}
    result = cookies.bake(extra_context=answers)
    assert result.exit_code == 0, result.exception
    project = BakedProject(result.project_path, project_venv, answers)
    tests_server = {"TEST_DATABASE_URL": server} if server else {}
    versions = migrations_dir(project) / "versions"

    def check_previous_release() -> tuple[int, str]:
        module = f"{project.package}.migration_tools.previous_release"
        done = project.run("python", "-m", module, check=False, **tests_server)
        return done.returncode, done.stdout + done.stderr

    # A new project (its first commit on main, no tag): nothing to compare with, in one line.
    status, output = check_previous_release()
    assert status == 0, output
    assert output.startswith("No previous release to compare with: nothing has changed since main ")
    assert output.count("\n") == 1, output

    # Release v1.0: users gained a nickname.
    nickname = add_revision(project, FIRST, NICKNAME, number=1, slug="add_nickname")
    write_head_file(project, nickname)
    add_to_model(project, "    nickname: Mapped[str | None] = mapped_column(String(50))\n")
    git(project, "init", "--quiet", "--initial-branch=main")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "v1.0")
    git(project, "tag", "v1.0")

    # The next release: an age with a server default, then the nickname dropped
    # (autogenerate makes it a contract step), then an email.
    age = add_revision(project, nickname.id, AGE, number=2, slug="add_age")
    write_head_file(project, age)
    add_to_model(
        project,
        '    age: Mapped[int] = mapped_column(server_default="0")\n',
        remove="    nickname: Mapped[str | None] = mapped_column(String(50))\n",
    )
    with scratch_database(project, tmp_path) as url:
        alembic = lambda *args: project.run("alembic", *args, DATABASE_URL=url)  # noqa: E731
        make = lambda *args: project.run("make", f"VENV={project_venv}", *args, DATABASE_URL=url)  # noqa: E731
        alembic("upgrade", "head")
        alembic("revision", "--autogenerate", "-m", "drop nickname")
        (drop_file,) = versions.glob("*_drop_nickname.py")
        assert '\nphase: str = "contract"\n' in drop_file.read_text()
        drop_id = re.search(r'^revision: str = "(\w+)"', drop_file.read_text(), re.MULTILINE)
        drop = Revision(drop_id[1], drop_file.name)
        email = add_revision(project, drop.id, EMAIL, number=4, slug="add_email")
        write_head_file(project, email)
        add_to_model(project, "    email: Mapped[str | None] = mapped_column(String(120))\n")

        status, output = check_previous_release()
        assert (status, output) == (0, "v1.0 works on the schema make db-expand leaves.\n")
        # A contract step that drops what the new code no longer maps needs no waiver.
        lint = project.run("python", "-m", f"{project.package}.migration_tools.safety", check=False)
        assert lint.returncode == 0, lint.stdout + lint.stderr
        if database == "sqlite":  # what the safety lint can ask (the same on every engine)
            asked = project.run("python", "-c", ASK_LIKE_THE_LINT.format(package=project.package)).stdout
            released = ",".join(sorted([FIRST, nickname.id]))
            assert asked.split() == ["v1.0", "True", "False", "True", released, "True", "False"], asked

        # The newcomer's way: the drop before the deploy, the age required with no default,
        # and users.name narrowed on the way.
        edit(drop_file, 'phase: str = "contract"', 'phase: str = "expand"')
        lint = project.run("python", "-m", f"{project.package}.migration_tools.safety", check=False)
        assert lint.returncode == 1 and "ban-drop-column" in lint.stdout, lint.stdout
        assert 'drop it in a contract step (phase = "contract"' in lint.stdout, lint.stdout
        edit(versions / age.file, AGE, AGE_NEWCOMER)
        status, output = check_previous_release()
        assert status == 1, output
        lines = sorted(output.splitlines())
        assert len(lines) == 3, output
        assert lines[0].startswith("users.age: NOT NULL without a server default, and v1.0 does not know"), output
        assert lines[1].startswith("users.name: VARCHAR(50) in v1.0, VARCHAR(20) before the new code is live"), output
        assert lines[2].startswith("users.nickname: v1.0 uses this column, but it is gone"), output
        # With a server default, v1.0's inserts work, and a wider type takes what it writes.
        edit(versions / age.file, AGE_NEWCOMER, AGE_WIDENING)
        status, output = check_previous_release()
        assert status == 1 and output.startswith("users.nickname: v1.0 uses this column"), output
        assert len(output.splitlines()) == 1, output
        edit(versions / age.file, AGE_WIDENING, AGE)
        # The baked test reads the migration checks' database, at head (db-expand runs every
        # revision now), and finds the same.
        tests = project.run(
            "pytest", "-p", "no:cacheprovider", "-q", "tests/test_previous_release.py",
            check=False, **tests_server,
        )
        assert tests.returncode == 1, tests.stdout[-4000:]
        assert "users.nickname: v1.0 uses this column" in tests.stdout, tests.stdout[-4000:]
        edit(drop_file, 'phase: str = "expand"', 'phase: str = "contract"')

        # The deploy, on a database at v1.0: the age before the new code ships, the rest after.
        alembic("downgrade", nickname.id)
        expanded = make("db-expand")
        output = expanded.stdout + expanded.stderr
        assert f"Running upgrade {nickname.id} -> {age.id}, add_age" in output, output
        assert f"-> {drop.id}" not in output, output
        assert (
            f"Stopped before {drop.file}, a contract step: it and the 1 revision after it run once "
            "the new code is live (alembic upgrade head, or make db-contract).\n"
            f"Waiting behind it, though they only expand: {email.file}." in output
        ), output
        current = alembic("current").stdout
        assert current.strip() == age.id, current
        contracted = make("db-contract").stderr
        assert f"Running upgrade {age.id} -> {drop.id}, drop nickname" in contracted, contracted
        assert f"Running upgrade {drop.id} -> {email.id}, add_email" in contracted, contracted

        # `alembic upgrade head` still runs everything, contract steps included.
        alembic("downgrade", nickname.id)
        upgraded = alembic("upgrade", "head").stderr
        for revision in (age, drop, email):
            assert f"-> {revision.id}, " in upgraded, upgraded

    # The migration checks go down and up again through both kinds of revisions, and the
    # baked test of the previous release passes in a git repository.
    tests = project.run(
        "pytest", "-p", "no:cacheprovider", "-q", "-rs", "tests/test_migrations.py",
        "tests/test_previous_release.py", "-k", "not safe_on_a_live_database",
        check=False, **tests_server,
    )
    assert tests.returncode == 0, tests.stdout[-4000:]
    assert "6 passed" in tests.stdout and "skipped" not in tests.stdout, tests.stdout[-4000:]
