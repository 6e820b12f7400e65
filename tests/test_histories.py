"""The baked project's own migration tests pass on every valid history, and fail clearly on
broken ones.

Each test builds a history in a freshly baked project (with the real ``alembic revision``
command where that is the point) and runs the project's whole tests/test_migrations.py, as
its CI would: Alembic's hex ids, branches joined by a merge revision, branch labels,
revisions using documented Alembic API, declared one-way revisions, a thousand revisions.
Broken histories (none at all, a first revision rewritten, an upgrade that fails, a
revision that cannot render offline) must fail once or twice, each failure saying where.
"""

from __future__ import annotations

import re
import resource
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import server_url
from helpers import COMBINATIONS, BakedProject, combination_id
from test_migration_checks import (
    DATABASES,
    FIRST,
    INDEX_CREATED_CONCURRENTLY,
    Revision,
    add_history,
    add_revision,
    migrations_dir,
    write_head_file,
)

# No server listens there: `alembic revision` must not try.
UNREACHABLE_DATABASE = "postgresql://nobody@127.0.0.1:1/none"
HEX_FILE_NAME = re.compile(r"\d{4}_\d\d_\d\d_\d{4}-(?P<id>[0-9a-f]{12})_(?P<slug>\w+)\.py")

EMAIL_MODEL_LINE = "    email: Mapped[str | None] = mapped_column(String(100))\n"


@pytest.fixture
def project(request: pytest.FixtureRequest, cookies: Any, project_venv: Path) -> BakedProject:
    """A baked project: for the database given as the parameter (SQLite by default), or
    for the answers given as it."""
    param = getattr(request, "param", "sqlite")
    chosen = param if isinstance(param, dict) else {"database": param, "async": False}
    answers = {"project_name": "History Demo", **chosen}
    result = cookies.bake(extra_context=answers)
    assert result.exit_code == 0, result.exception
    return BakedProject(result.project_path, project_venv, answers)


def run_project_tests(project: BakedProject) -> subprocess.CompletedProcess[str]:
    """The project's whole tests/test_migrations.py, on its engine."""
    server = server_url(project.database)
    extra = {"TEST_DATABASE_URL": server} if server else {}
    return project.run(
        "pytest",
        *("-p", "no:cacheprovider", "-q", "--tb=native", "tests/test_migrations.py"),
        check=False,
        **extra,
    )


def summary(output: str) -> str:
    """The end of a pytest run's output: its messages, not every traceback line."""
    return "\n".join(output.splitlines()[-40:])


def assert_green(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    assert " passed" in result.stdout, result.stdout
    assert not re.search(r"\d+ (failed|errors?)\b", result.stdout), result.stdout


# What the models check says when it cannot run because the migration runs failed.
POINTER = "The migrations do not run cleanly: see test_every_revision_upgrades_and_downgrades_cleanly."


def failures(output: str) -> int:
    """How many of the project's tests failed or errored for a reason of their own: a test
    that only points at another's failure does not count."""
    counts = re.findall(r"(\d+) (?:failed|errors?)\b", output.splitlines()[-1])
    return sum(map(int, counts)) - (POINTER in output)  # one test points, however often shown


def add_model_column(project: BakedProject, line: str = EMAIL_MODEL_LINE) -> None:
    """Give the User model one more column, after its name."""
    model = project.path / "src" / project.package / "models" / "user.py"
    name = "    name: Mapped[str] = mapped_column(String(50))\n"
    text = model.read_text()
    assert name in text
    model.write_text(text.replace(name, name + line))


def add_table_models(project: BakedProject, tables: list[str]) -> None:
    """A model for each of ``tables`` (an id and a name), in a module the models package
    imports, as benchmarks/run.py grows a project."""
    package = project.path / "src" / project.package
    lines = [
        "from sqlalchemy import String",
        "from sqlalchemy.orm import Mapped, mapped_column",
        f"\nfrom {project.package}.models.base import Base\n",
    ]
    for number, table in enumerate(tables):
        lines.append(
            f"\nclass Table{number}(Base):\n    __tablename__ = {table!r}\n\n"
            "    id: Mapped[int] = mapped_column(primary_key=True)\n"
            "    name: Mapped[str] = mapped_column(String(50))\n"
        )
    (package / "models" / "more_tables.py").write_text("\n".join(lines))
    with (package / "models" / "__init__.py").open("a") as init:
        init.write(f"from {project.package}.models import more_tables  # noqa: E402\n")


def table_created(table: str) -> str:
    """The body of an upgrade() that creates ``table``, as autogenerate writes it."""
    return f"""    op.create_table(
        "{table}",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_{table}")),
    )
"""


def create_table(table: str, downgrade: str | None = None) -> str:
    """A revision that creates ``table``; its downgrade() drops it, or runs ``downgrade``."""
    downgrade = downgrade or f'    op.drop_table("{table}")\n'
    upgrade = table_created(table)
    return f"\n\ndef upgrade() -> None:\n{upgrade}\n\ndef downgrade() -> None:\n{downgrade}"


# --- Histories written by the real `alembic revision` command ------------------------------


def alembic_revision(project: BakedProject, *arguments: str) -> Revision:
    """Run ``alembic revision``/``merge`` with an unreachable DATABASE_URL; the file written."""
    result = project.run("alembic", *arguments, DATABASE_URL=UNREACHABLE_DATABASE)
    written = re.search(r"Generating (\S+\.py)", result.stdout)
    assert written, result.stdout + result.stderr
    path = Path(written.group(1))
    name = HEX_FILE_NAME.fullmatch(path.name)
    assert name, f"{path.name} is not named <date>-<12 hex digits>_<slug>.py"
    assert f'revision: str = "{name["id"]}"' in path.read_text()
    return Revision(name["id"], path.name)


def set_body(project: BakedProject, revision: Revision, upgrade: str, downgrade: str) -> None:
    """Replace the ``pass`` bodies of a revision that ``alembic revision`` wrote."""
    path = migrations_dir(project) / "versions" / revision.file
    text = path.read_text()
    for function, body in (("upgrade", upgrade), ("downgrade", downgrade)):
        stub = f"def {function}() -> None:\n    pass\n"
        assert stub in text, text
        text = text.replace(stub, f"def {function}() -> None:\n{body}")
    path.write_text(text)


def head_file(project: BakedProject) -> str:
    return (migrations_dir(project) / "head.txt").read_text()


@pytest.fixture(scope="session")
def history_written_by_alembic(cookies_session: Any, project_venv: Path) -> BakedProject:
    """A project whose history the real ``alembic revision`` and ``alembic merge`` wrote,
    with no database reachable: a branch from the first revision, the merge that joins
    it, then a branch label; head.txt rewritten by the post-write hook at every step.

    Written once (the commands take seconds each), then copied into each engine's project:
    revision files and models are the same on every engine."""
    answers = {"project_name": "History Demo", "database": "sqlite", "async": False}
    result = cookies_session.bake(extra_context=answers)
    assert result.exit_code == 0, result.exception
    project = BakedProject(result.project_path, project_venv, answers)

    email = alembic_revision(project, "revision", "-m", "add email to users")
    assert head_file(project) == f"{email.file}\n"
    set_body(
        project,
        email,
        '    op.add_column("users", sa.Column("email", sa.String(100), nullable=True))\n',
        '    with op.batch_alter_table("users") as batch:\n        batch.drop_column("email")\n',
    )
    add_model_column(project)

    # A second branch from the first revision, as a colleague's branch would bring.
    trim = alembic_revision(project, "revision", "-m", "trim names", "--head", FIRST, "--splice")
    assert sorted(head_file(project).splitlines()) == sorted([email.file, trim.file])
    set_body(project, trim, '    op.execute("UPDATE users SET name = TRIM(name)")\n', "    pass\n")

    merge = alembic_revision(project, "merge", "heads", "-m", "merge heads")
    assert head_file(project) == f"{merge.file}\n"
    text = (migrations_dir(project) / "versions" / merge.file).read_text()
    assert email.id in text and trim.id in text

    reports = alembic_revision(project, "revision", "-m", "reports", "--branch-label", "reports")
    set_body(project, reports, table_created("reports"), '    op.drop_table("reports")\n')
    add_table_models(project, ["reports"])
    last = alembic_revision(project, "revision", "-m", "more reports", "--head", "reports@head")
    assert head_file(project) == f"{last.file}\n"
    return project


@pytest.mark.parametrize("project", COMBINATIONS, ids=combination_id, indirect=True)
def test_history_written_by_alembic_with_a_merge_and_a_branch_label_passes(
    project: BakedProject, history_written_by_alembic: BakedProject
) -> None:
    """On every engine, sync and async (whose checks run on the async driver)."""
    written = history_written_by_alembic.path / "src" / project.package
    package = project.path / "src" / project.package
    for pattern in ("migrations/head.txt", "migrations/versions/*.py", "models/*.py"):
        for path in written.glob(pattern):
            shutil.copy(path, package / path.relative_to(written))
    assert_green(run_project_tests(project))


# --- Revisions using documented Alembic API -----------------------------------------------

DOCUMENTED_API_HEADER = "from alembic import context\n"

# Adds a column in batch mode, then fills it from the rows (online only: offline mode has
# no rows to read), and reads an -x argument.
EMAIL_FILLED_IN = """

def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("email", sa.String(100), nullable=True))
    domain = context.get_x_argument(as_dictionary=True).get("domain", "example.com")
    if not context.is_offline_mode():
        users = sa.table("users", sa.column("id"), sa.column("email"))
        bind = op.get_bind()
        for (user_id,) in bind.execute(sa.select(users.c.id)).all():
            bind.execute(
                users.update().where(users.c.id == user_id).values(email=f"{user_id}@{domain}")
            )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("email")
"""

@pytest.mark.parametrize("project", DATABASES, indirect=True)
def test_revisions_using_documented_alembic_api_pass(project: BakedProject) -> None:
    email = add_revision(project, FIRST, EMAIL_FILLED_IN, number=1, header=DOCUMENTED_API_HEADER)
    add_model_column(project)
    head = email
    if project.database == "postgresql":
        head = add_revision(project, email.id, INDEX_CREATED_CONCURRENTLY, number=2)
        model = project.path / "src" / project.package / "models" / "user.py"
        name = "mapped_column(String(50))"
        model.write_text(model.read_text().replace(name, "mapped_column(String(50), index=True)"))
    write_head_file(project, head)
    assert_green(run_project_tests(project))


# --- One-way revisions --------------------------------------------------------------------


@pytest.mark.parametrize("raises", ["IrreversibleMigration", "NotImplementedError"])
def test_irreversible_revision_is_a_floor_with_a_warning(
    project: BakedProject, raises: str
) -> None:
    header = f"\nfrom {project.package}.migration_tools import IrreversibleMigration\n"
    one_way = create_table("archive", f'    raise {raises}("the archive cannot be split back")\n')
    archive = add_revision(project, FIRST, one_way, number=1, header=header)
    after = add_revision(project, archive.id, create_table("notes"), number=2)
    write_head_file(project, after)
    add_table_models(project, ["archive", "notes"])
    result = run_project_tests(project)
    assert_green(result)
    assert f"{archive.file} is irreversible" in result.stdout, result.stdout


def test_trace_above_an_irreversible_revision_still_fails(project: BakedProject) -> None:
    header = f"\nfrom {project.package}.migration_tools import IrreversibleMigration\n"
    one_way = create_table("archive", '    raise IrreversibleMigration("one way")\n')
    archive = add_revision(project, FIRST, one_way, number=1, header=header)
    notes = add_revision(project, archive.id, create_table("notes", "    pass\n"), number=2)
    write_head_file(project, notes)
    add_table_models(project, ["archive", "notes"])
    output = run_project_tests(project).stdout
    assert failures(output) == 1, summary(output)
    assert f"downgrade() of {notes.file} does not undo its upgrade():\n" in output, output
    assert "\n  table notes: left behind\n" in output, summary(output)


# --- Broken histories: few failures, each saying where ------------------------------------


def test_empty_history_gets_a_clear_message(project: BakedProject) -> None:
    migrations = migrations_dir(project)
    for path in (migrations / "versions").glob("*.py"):
        path.unlink()
    (migrations / "head.txt").unlink()
    output = run_project_tests(project).stdout
    assert 1 <= failures(output) <= 2, summary(output)
    assert "No revisions yet: write the first with alembic revision --autogenerate" in output, (
        summary(output)
    )
    # The sample rows name the first revision, which is gone: said as such.
    assert f"tests/sample_rows.py writes rows at revision {FIRST}, which no revision" in output
    messages = [line for line in output.splitlines() if not line.startswith(" ")]  # no frames
    assert not [line for line in messages if "None" in line], summary(output)


def test_replaced_first_revision_fails_once_pointing_at_the_sample_rows(
    project: BakedProject,
) -> None:
    """A team rewrites the first revision (users.full_name instead of users.name) and its
    model: only the sample rows, written for the old table, need updating."""
    (first,) = (migrations_dir(project) / "versions").glob(f"*{FIRST}*.py")
    first.write_text(first.read_text().replace('"name"', '"full_name"'))
    model = project.path / "src" / project.package / "models" / "user.py"
    model.write_text(model.read_text().replace("    name: Mapped", "    full_name: Mapped"))
    output = run_project_tests(project).stdout
    assert failures(output) == 1, summary(output)
    assert "tests/sample_rows.py" in output, summary(output)


def test_failing_upgrade_names_its_file_and_the_direction(project: BakedProject) -> None:
    body = """

def upgrade() -> None:
    op.execute("UPDATE no_such_table SET x = 1")


def downgrade() -> None:
    pass
"""
    (broken,) = add_history(project, body)
    output = run_project_tests(project).stdout
    assert 1 <= failures(output) <= 2, summary(output)
    assert f"upgrade() of {broken.file} failed at line " in output, summary(output)


def test_revision_that_cannot_render_offline_is_named_with_the_remedy(
    project: BakedProject,
) -> None:
    body = """

def upgrade() -> None:
    count = op.get_bind().execute(sa.text("SELECT count(*) FROM users")).scalar()
    op.execute(f"UPDATE users SET name = name WHERE id > {count}")


def downgrade() -> None:
    pass
"""
    (online_only,) = add_history(project, body)
    output = run_project_tests(project).stdout
    # The offline check fails on it, and the lint, which could not read it, says so too.
    assert failures(output) == 2, summary(output)
    assert f"{online_only.file} cannot be rendered as SQL" in output, summary(output)
    # Both name the remedy.
    lint = f"{online_only.file}: cannot be rendered as SQL, so it was not linted: it reads"
    assert lint in output, summary(output)
    offline = "which --sql has not got: run that part under `if not context.is_offline_mode():`"
    assert offline in output, summary(output)


# --- A long history -----------------------------------------------------------------------

LONG_HISTORY = 1000
# CPU seconds for the whole tests/test_migrations.py at 1,000 revisions, on SQLite (about
# ten on a quiet machine): generous, but a run that grows quadratically (minutes) fails.
LONG_HISTORY_SECONDS = 60


def test_thousand_revisions_pass_in_bounded_time(project: BakedProject) -> None:
    tables = [f"table_{number:04d}" for number in range(1, LONG_HISTORY)]
    down = FIRST
    for number, table in enumerate(tables, start=1):
        revision = add_revision(project, down, create_table(table), number=number, slug=table)
        down = revision.id
    write_head_file(project, revision)
    add_table_models(project, tables)
    start = time.perf_counter(), cpu_seconds()
    result = run_project_tests(project)
    wall, cpu = time.perf_counter() - start[0], cpu_seconds() - start[1]
    assert_green(result)
    assert cpu < LONG_HISTORY_SECONDS, f"{LONG_HISTORY} revisions: {cpu:.0f} s CPU, {wall:.0f} s"


def cpu_seconds() -> float:
    """CPU time of the finished child processes: unlike wall time, not stretched by a busy
    machine."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
