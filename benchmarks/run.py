"""Time the baked project's migration checks against pytest-alembic's, on long histories,
and a fresh ``alembic upgrade head`` before and after a squash.

    python benchmarks/run.py                          # N = 100 and 1000, 5 runs each
    python benchmarks/run.py --sizes 5 --runs 1       # a quick smoke run
    python benchmarks/run.py --server postgresql://postgres@127.0.0.1:5432/postgres
    python benchmarks/run.py --sizes 1000 --squash-only   # only the upgrades

For each N it bakes the template twice (default answers: SQLite, sync; with --server, a
project for that server's database) and grows each project to N revisions, with models
that match the last one so that the "models match the migrations" checks pass:

* tables: each revision creates a table, mapped by a model of its own;
* evolving: a few tables created first, then each revision changes one of them (a column
  added, indexed, widened, dropped), as autogenerate writes it for the engine.

On the tables history it times two pytest runs, in the same virtualenv, on the same
database fixture (the project's temporary SQLite file, or a throw-away database on the
server), and the project's migration safety lint on its own:

* the project's whole test suite, as ``make test`` runs it (every test in tests/);
* pytest-alembic's four built-in checks, imported into ``tests/test_pytest_alembic.py``;
* ``python -m <package>.migration_tools.safety``, which the suite also runs as one of its tests
  (squawk on PostgreSQL, the project's own rules on SQLite and MySQL).

On both histories it times ``alembic upgrade head`` on a fresh database, before and after
squashing the history up to its tenth revision from the end (``python -m
<package>.migration_tools.squash``, run once, untimed, on a copy of the project).

It prints Markdown tables of median times and writes them to <workdir>/results.md.
Needs cookiecutter (see tests/requirements.txt) and PyPI, to build the virtualenv.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
import tomllib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from cookiecutter.main import cookiecutter

TEMPLATE = Path(__file__).resolve().parent.parent
PYTEST_ALEMBIC = "pytest-alembic==0.13.1"

# Both tools run with the same pytest command; only the tests differ.
# `-o pytest_alembic_enabled=` switches off pytest-alembic's automatic collection,
# which breaks on pytest 9.2; its fixtures stay available.
PYTEST = ["-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "pytest_alembic_enabled="]
# The project's whole suite (what `make test` runs), against pytest-alembic's four checks:
# one head, up to head, every revision reversible, the models match. Then the safety lint
# alone, a command run in the project ({package} is the project's package).
TOOLS = {
    "project suite": [*PYTEST, "tests", "--ignore=tests/test_pytest_alembic.py"],
    "pytest-alembic": [*PYTEST, "tests/test_pytest_alembic.py"],
    "safety lint": ["-m", "{package}.migration_tools.safety"],
}
# `alembic upgrade head` on a fresh database, on the grown history and on a copy of it
# squashed up to its tenth revision from the end.
UPGRADE = ["-m", "alembic", "upgrade", "head"]
UPGRADES = ("upgrade head", "upgrade head, squashed")
KEPT_AFTER_SQUASH = 10
# The revision the template ships, which the generated history follows.
FIRST_REVISION = "3f9c2a1b7d40"

# Environment variables that would change what or how the timed runs test.
UNSET = {
    "DATABASE_URL",
    "TEST_DATABASE_URL",
    "PYTHONPATH",
    "PYTEST_ADDOPTS",
    "PYTHONDONTWRITEBYTECODE",
}

REVISION = '''"""create table_{rev}

Revision ID: {rev}
Revises: {down}
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "{rev}"
down_revision: str | Sequence[str] | None = "{down}"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "table_{rev}",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_table_{rev}")),
    )


def downgrade() -> None:
    op.drop_table("table_{rev}")
'''

MODEL = """

class Table{rev}(Base):
    __tablename__ = "table_{rev}"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
"""

# The evolving history: a few tables, created first, then changed one revision at a time.
EVOLVING_TABLES = 50
# What each table goes through, one revision per step, the tables in turn: its `name` made
# nullable, then this cycle again and again with new column names (f0a, f0b, f1a...).
CYCLE = (("add", "a"), ("index", "a"), ("widen", "a"), ("add", "b"), ("widen", "b"), ("drop", "b"))

EVOLVING_REVISION = '''"""{message}

Revision ID: {rev}
Revises: {down}
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

phase: str = "{phase}"

revision: str = "{rev}"
down_revision: str | Sequence[str] | None = "{down}"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    {upgrade}


def downgrade() -> None:
    {downgrade}
'''

CREATE = (
    """op.create_table(
        "{table}",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_{table}")),
    )""",
    'op.drop_table("{table}")',
)
# Each change as autogenerate writes it, (upgrade, downgrade): on a server, then in SQLite's
# batch mode, which copies the table for all but `add` and `index`.
SERVER = {
    "nullable": (
        'op.alter_column("{table}", "name", existing_type=sa.VARCHAR(length=50), nullable=True)',
        'op.alter_column("{table}", "name", existing_type=sa.VARCHAR(length=50), nullable=False)',
    ),
    "add": (
        'op.add_column("{table}", sa.Column("{column}", sa.String(length=20), nullable=True))',
        'op.drop_column("{table}", "{column}")',
    ),
    "index": (
        'op.create_index(op.f("ix_{table}_{column}"), "{table}", ["{column}"], unique=False)',
        'op.drop_index(op.f("ix_{table}_{column}"), table_name="{table}")',
    ),
    "widen": (
        'op.alter_column("{table}", "{column}", existing_type=sa.VARCHAR(length=20), '
        "type_=sa.String(length=40), existing_nullable=True)",
        'op.alter_column("{table}", "{column}", existing_type=sa.String(length=40), '
        "type_=sa.VARCHAR(length=20), existing_nullable=True)",
    ),
    "drop": (
        'op.drop_column("{table}", "{column}")',
        'op.add_column("{table}", sa.Column("{column}", sa.VARCHAR(length=40), nullable=True))',
    ),
}
BATCH = 'with op.batch_alter_table("{table}", schema=None) as batch_op:\n        batch_op.'
SQLITE = {
    "nullable": (
        'alter_column("name", existing_type=sa.VARCHAR(length=50), nullable=True)',
        'alter_column("name", existing_type=sa.VARCHAR(length=50), nullable=False)',
    ),
    "add": (
        'add_column(sa.Column("{column}", sa.String(length=20), nullable=True))',
        'drop_column("{column}")',
    ),
    "index": (
        'create_index(batch_op.f("ix_{table}_{column}"), ["{column}"], unique=False)',
        'drop_index(batch_op.f("ix_{table}_{column}"))',
    ),
    "widen": (
        'alter_column("{column}", existing_type=sa.VARCHAR(length=20), '
        "type_=sa.String(length=40), existing_nullable=True)",
        'alter_column("{column}", existing_type=sa.String(length=40), '
        "type_=sa.VARCHAR(length=20), existing_nullable=True)",
    ),
    "drop": (
        'drop_column("{column}")',
        'add_column(sa.Column("{column}", sa.VARCHAR(length=40), nullable=True))',
    ),
}
# An index on a table in use, in the form that keeps the table in use, as env.py's
# process_revision_directives writes it (migration_tools/safe_forms.py).
SAFE_INDEX = {
    "postgresql": (
        """with op.get_context().autocommit_block():
        op.execute("DROP INDEX CONCURRENTLY IF EXISTS ix_{table}_{column}")
        op.create_index(
            op.f("ix_{table}_{column}"),
            "{table}",
            ["{column}"],
            unique=False,
            postgresql_concurrently=True,
            if_not_exists=True,
        )""",
        """with op.get_context().autocommit_block():
        op.drop_index(
            op.f("ix_{table}_{column}"), table_name="{table}", postgresql_concurrently=True
        )""",
    ),
    "mysql": (
        'op.execute("ALTER TABLE {table} ADD INDEX ix_{table}_{column} ({column}), '
        'ALGORITHM=INPLACE, LOCK=NONE")',
        SERVER["index"][1],
    ),
}

EVOLVING_MODEL = """

class {cls}(Base):
    __tablename__ = "{table}"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[{name_type}] = mapped_column(String(50))
"""
EVOLVING_COLUMN = "    {column}: Mapped[str | None] = mapped_column(String({length}){index})\n"

PYTEST_ALEMBIC_CHECKS = '''"""pytest-alembic's four built-in checks, on the project's test database.

`alembic_config` comes from conftest.py (the project's alembic.ini); pytest-alembic
takes an alembic Config as it is.
"""

import pytest
from pytest_alembic.tests import (
    test_model_definitions_match_ddl,
    test_single_head_revision,
    test_up_down_consistency,
    test_upgrade,
)
from sqlalchemy import Engine

__all__ = [
    "test_model_definitions_match_ddl",
    "test_single_head_revision",
    "test_up_down_consistency",
    "test_upgrade",
]


@pytest.fixture
def alembic_engine(engine: Engine) -> Engine:
    return engine
'''


@dataclass
class Timings:
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)


def main() -> None:
    options = parse_arguments()
    workdir = options.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    database = "sqlite" if options.server is None else database_of(options.server)
    projects = {
        (size, history): bake(workdir / f"n{size}{FOLDERS[history]}", size, database, history)
        for size in options.sizes
        for history in HISTORIES
    }
    python = make_virtualenv(
        (options.venv or workdir / "venv").resolve(),
        [*requirements(next(iter(projects.values()))), options.pytest_alembic],
    )
    tools = {} if options.squash_only else TOOLS

    timings = {
        (size, tool): Timings()
        for size in options.sizes
        for tool in (*tools, *(upgrade_name(h, u) for h in HISTORIES for u in UPGRADES))
    }
    for size in options.sizes:
        project = projects[size, "tables"]
        upgrades = {}
        for history in HISTORIES:
            grown = projects[size, history]
            upgrades[upgrade_name(history, UPGRADES[0])] = grown
            squashed = squashed_copy(python, grown, size, options.server)
            upgrades[upgrade_name(history, UPGRADES[1])] = squashed
        # One untimed run compiles the revision files to bytecode, as on any second run.
        if tools:
            timed(python, project, TOOLS["project suite"], options.server)
        if size == options.sizes[-1]:
            # The project's suite passes on the longest evolving history: it is sound (each
            # downgrade undoes its upgrade, the models match it, the safety lint passes).
            timed(python, projects[size, "evolving"], TOOLS["project suite"], options.server)
        for folder in upgrades.values():
            with fresh_database(python, folder, options.server) as url:
                timed(python, folder, UPGRADE, options.server, DATABASE_URL=url)
        # Alternate the tools, so that a busy moment on the machine slows them alike.
        for _ in range(options.runs):
            for tool, arguments in tools.items():
                wall, cpu = timed(python, project, arguments, options.server)
                record(timings[size, tool], size, tool, wall, cpu)
            for tool, folder in upgrades.items():
                with fresh_database(python, folder, options.server) as url:
                    wall, cpu = timed(python, folder, UPGRADE, options.server, DATABASE_URL=url)
                record(timings[size, tool], size, tool, wall, cpu)

    where = "SQLite, temporary file" if options.server is None else f"{database} server"
    table = report(options.sizes, timings, options.runs, python, where, bool(tools))
    (workdir / "results.md").write_text(table)
    print()
    print(table, end="")


def upgrade_name(history: str, upgrade: str) -> str:
    """The name of an upgrade column of a history, as printed and timed."""
    return f"{upgrade} ({history})"


def record(timings: Timings, size: int, tool: str, wall: float, cpu: float) -> None:
    timings.wall.append(wall)
    timings.cpu.append(cpu)
    print(f"N={size:<5} {tool:<33} {wall:7.2f} s  (CPU {cpu:.2f} s)", flush=True)


def squashed_copy(python: Path, project: Path, size: int, server: str | None) -> Path:
    """A copy of ``project`` whose history is squashed up to its tenth revision from the
    end (the second, on a history too short for that)."""
    copy = project.parent.parent / f"{project.parent.name}-squashed" / project.name
    shutil.rmtree(copy.parent, ignore_errors=True)
    shutil.copytree(project, copy, symlinks=True)
    if (copy / ".git").exists():
        # Released first, as a team squashes: the squash refuses to replace the revision
        # the release it compares with is at (here the bake's first commit).
        identity = ["-c", "user.name=benchmark", "-c", "user.email=benchmark@example.invalid"]
        subprocess.run(["git", "add", "--all"], cwd=copy, check=True)
        subprocess.run(["git", *identity, "commit", "--quiet", "-m", "grown"], cwd=copy, check=True)
    upto = max(2, size - KEPT_AFTER_SQUASH)
    revision = f"b{upto:011x}"
    package = next((copy / "src").iterdir()).name
    squash = ["-m", f"{package}.migration_tools.squash", revision]
    wall, _ = timed(python, copy, squash, server, TEST_DATABASE_URL=server or "")
    print(f"N={size:<5} squashed up to revision {upto} in {wall:.1f} s (untimed)", flush=True)
    return copy


@contextmanager
def fresh_database(python: Path, project: Path, server: str | None) -> Iterator[str]:
    """The URL of a new, empty database: a SQLite file beside ``project``, or a database
    on ``server``; removed afterwards."""
    if server is None:
        path = project.parent / "fresh.db"
        path.unlink(missing_ok=True)
        yield f"sqlite:///{path}"
        path.unlink(missing_ok=True)
        return
    name = f"bench_{uuid.uuid4().hex[:12]}"
    base, _, _ = server.rpartition("/")
    admin(python, server, f"CREATE DATABASE {name}")
    try:
        yield f"{base}/{name}"
    finally:
        admin(python, server, f"DROP DATABASE {name}")


ADMIN = """
import sys
from sqlalchemy import create_engine, make_url
url = make_url(sys.argv[1])
driver = {"postgresql": "postgresql+psycopg", "mysql": "mysql+pymysql"}[url.get_backend_name()]
engine = create_engine(url.set(drivername=driver), isolation_level="AUTOCOMMIT")
with engine.connect() as connection:
    connection.exec_driver_sql(sys.argv[2])
"""


def admin(python: Path, server: str, statement: str) -> None:
    """Run ``statement`` on ``server`` with the virtualenv's drivers, outside a transaction."""
    check([str(python), "-c", ADMIN, server, statement])


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[100, 1000], help="numbers of revisions"
    )
    parser.add_argument("--runs", type=int, default=5, help="timed runs per tool and size")
    parser.add_argument(
        "--workdir", type=Path, default=TEMPLATE / "benchmarks" / "results", help="output"
    )
    parser.add_argument("--venv", type=Path, help="virtualenv to use (default: workdir/venv)")
    parser.add_argument("--pytest-alembic", default=PYTEST_ALEMBIC, help="pip requirement")
    parser.add_argument(
        "--server", help="a PostgreSQL or MySQL server URL to test on, instead of SQLite"
    )
    parser.add_argument(
        "--squash-only",
        action="store_true",
        help="time only `alembic upgrade head` before and after a squash",
    )
    options = parser.parse_args()
    options.sizes = sorted(set(options.sizes))
    if options.server is not None and database_of(options.server) not in ("postgresql", "mysql"):
        parser.error("--server must be a postgresql:// or mysql:// URL")
    if options.sizes[0] < 2:
        parser.error("--sizes must be at least 2 (the template ships one revision)")
    return options


def bake(where: Path, size: int, database: str = "sqlite", history: str = "tables") -> Path:
    """A freshly baked project for ``database``, grown to ``size`` revisions of ``history``
    (a key of HISTORIES)."""
    shutil.rmtree(where, ignore_errors=True)
    answers = {"database": database}
    project = Path(
        cookiecutter(str(TEMPLATE), no_input=True, output_dir=str(where), extra_context=answers)
    )
    package = next((project / "src").iterdir())
    versions = package / "migrations" / "versions"
    # Hex ids like Alembic's own, after the shipped revision.
    ids = [f"b{number:011x}" for number in range(2, size + 1)]
    revisions, models = HISTORIES[history](ids, [FIRST_REVISION, *ids[:-1]], database)
    for number, (slug, text) in enumerate(revisions, start=2):
        # File names ordered by date, as Alembic's file_template writes them.
        name = f"2026_01_02_{number // 60:04d}_{number % 60:02d}-{ids[number - 2]}_{slug}.py"
        (versions / name).write_text(text)
    (package / "migrations" / "head.txt").write_text(f"{name}\n")
    imports = ["from sqlalchemy import String", "from sqlalchemy.orm import Mapped, mapped_column"]
    imports.append(f"\nfrom {package.name}.models.base import Base\n")
    (package / "models" / "benchmark_tables.py").write_text("\n".join([*imports, *models]))
    with (package / "models" / "__init__.py").open("a") as init:
        init.write(f"from {package.name}.models import benchmark_tables  # noqa: E402\n")
    (project / "tests" / "test_pytest_alembic.py").write_text(PYTEST_ALEMBIC_CHECKS)
    return project


def grow_tables(
    ids: list[str], downs: list[str], database: str
) -> tuple[list[tuple[str, str]], list[str]]:
    """Revisions ``ids`` (each following its ``downs``) that each create a table, and a
    model for each table: (file name's end, text) of each revision, and the models."""
    revisions = [
        (f"create_table_{rev}", REVISION.format(rev=rev, down=down))
        for rev, down in zip(ids, downs, strict=True)
    ]
    return revisions, [MODEL.format(rev=rev) for rev in ids]


@dataclass
class EvolvingTable:
    """A table of the evolving history, as the revisions so far leave it."""

    name: str
    changes: int = 0
    columns: dict[str, tuple[int, bool]] = field(default_factory=dict)  # length, indexed

    def change(self) -> tuple[str, str]:
        """The next change to the table (the kind, the column), recorded."""
        self.changes += 1
        if self.changes == 1:
            return "nullable", "name"
        cycle, step = divmod(self.changes - 2, len(CYCLE))
        kind, suffix = CYCLE[step]
        column = f"f{cycle}{suffix}"
        length, indexed = self.columns.get(column, (20, False))
        if kind == "drop":
            del self.columns[column]
        else:
            self.columns[column] = (40 if kind == "widen" else length, indexed or kind == "index")
        return kind, column

    def model(self) -> str:
        """The model of the table as it is now."""
        text = EVOLVING_MODEL.format(
            cls="".join(part.title() for part in self.name.split("_")),
            table=self.name,
            name_type="str | None" if self.changes else "str",
        )
        for column, (length, indexed) in self.columns.items():
            index = ", index=True" if indexed else ""
            text += EVOLVING_COLUMN.format(column=column, length=length, index=index)
        return text


def grow_evolving(
    ids: list[str], downs: list[str], database: str
) -> tuple[list[tuple[str, str]], list[str]]:
    """Revisions ``ids`` that evolve a fixed set of tables, as real histories mostly do:
    the first create one table per 20 revisions (1 to EVOLVING_TABLES), and each of the
    others changes one table, the tables in turn (EvolvingTable.change), written as
    autogenerate writes the change for ``database``; and a model for each table, as the
    last revision leaves it. As grow_tables returns them."""
    tables = [
        EvolvingTable(f"item_{number:02d}")
        for number in range(1, min(EVOLVING_TABLES, max(1, (len(ids) + 1) // 20)) + 1)
    ]
    revisions = []
    for number, (rev, down) in enumerate(zip(ids, downs, strict=True)):
        if number < len(tables):
            table, kind, column = tables[number], "create", ""
            upgrade, downgrade = CREATE
        else:
            table = tables[number % len(tables)]
            kind, column = table.change()
            if database == "sqlite":
                upgrade, downgrade = (BATCH + operation for operation in SQLITE[kind])
            elif kind == "index":
                upgrade, downgrade = SAFE_INDEX[database]
            else:
                upgrade, downgrade = SERVER[kind]
        slug = f"{kind}_{table.name}" + (f"_{column}" if column else "")
        text = EVOLVING_REVISION.format(
            message=slug.replace("_", " "),
            rev=rev,
            down=down,
            phase="contract" if kind == "drop" else "expand",
            upgrade=upgrade.format(table=table.name, column=column),
            downgrade=downgrade.format(table=table.name, column=column),
        )
        revisions.append((slug, text))
    return revisions, [table.model() for table in tables]


# The histories a project is grown with, and the end of its folder's name (n<N><end>).
HISTORIES = {"tables": grow_tables, "evolving": grow_evolving}
FOLDERS = {"tables": "", "evolving": "-evolving"}


def database_of(url: str) -> str:
    """The template's answer for the database a server URL points at."""
    scheme = urlsplit(url).scheme.split("+")[0]
    return {"postgres": "postgresql", "mariadb": "mysql"}.get(scheme, scheme)


def requirements(project: Path) -> list[str]:
    """What the baked project installs: its dependencies and its dev group."""
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    return [*pyproject["project"]["dependencies"], *pyproject["dependency-groups"]["dev"]]


def make_virtualenv(venv: Path, packages: list[str]) -> Path:
    """A virtualenv holding ``packages``; reused while they stay the same."""
    python = venv / "bin" / "python"
    stamp = venv / "benchmark-requirements.txt"
    wanted = "\n".join(sorted(packages)) + "\n"
    if stamp.exists() and stamp.read_text() == wanted:
        return python
    shutil.rmtree(venv, ignore_errors=True)
    uv = shutil.which("uv") or shutil.which("uv", path=str(Path(sys.executable).parent))
    if uv:
        check([uv, "venv", "--quiet", "--python", sys.executable, str(venv)])
        install = [uv, "pip", "install", "--compile-bytecode", "--python", str(python)]
    else:
        check([sys.executable, "-m", "venv", str(venv)])
        install = [str(python), "-m", "pip", "install"]  # pip compiles bytecode itself
    check([*install, "--quiet", *packages])
    stamp.write_text(wanted)
    return python


def timed(
    python: Path, project: Path, arguments: list[str], server: str | None, **extra: str
) -> tuple[float, float]:
    """Run ``python arguments`` in the project, with the ``extra`` environment variables
    (an empty one is left unset); return its wall-clock and CPU seconds (squawk's
    included: getrusage counts every finished child). Stops on failure."""
    package = next((project / "src").iterdir()).name
    arguments = [argument.format(package=package) for argument in arguments]
    env = {key: value for key, value in os.environ.items() if key not in UNSET}
    env.update(PYTHONPATH=str(project / "src"), VIRTUAL_ENV=str(python.parent.parent))
    if server is not None:
        env["TEST_DATABASE_URL"] = server
    env.update({key: value for key, value in extra.items() if value})
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_before = server_cpu(server)
    start = time.perf_counter()
    result = subprocess.run(
        [str(python), *arguments],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_after = server_cpu(server)
    if result.returncode != 0:
        sys.exit(f"{' '.join(arguments)} failed in {project}:\n{result.stdout}\n{result.stderr}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu + server_after - server_before


def server_cpu(server: str | None) -> float:
    """CPU seconds the local database server has used so far, all its processes (or
    threads) counted: PostgreSQL's postmaster with its children, finished ones included,
    and MariaDB's or MySQL's one process. 0 without a server, or when it is not local."""
    if server is None:
        return 0.0
    names = {"postgresql": ("postgres",), "mysql": ("mariadbd", "mysqld")}[database_of(server)]
    ticks = os.sysconf("SC_CLK_TCK")
    processes = {}  # pid -> (parent pid, own ticks, reaped children's ticks)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # the process ended meanwhile
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        if name.startswith(names):
            own, reaped = int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])
            processes[int(stat.parent.name)] = (int(fields[1]), own, reaped)
    # The main process's reaped count holds the children that ended; add those still alive.
    roots = [pid for pid, (parent, _, _) in processes.items() if parent not in processes]
    total = sum(processes[pid][1] + processes[pid][2] for pid in roots)
    total += sum(own for pid, (parent, own, _) in processes.items() if pid not in roots)
    return total / ticks


def report(
    sizes: list[int],
    timings: dict[tuple[int, str], Timings],
    runs: int,
    python: Path,
    where: str,
    tools: bool = True,
) -> str:
    """The results as Markdown tables, medians: the tools on the table-per-revision
    history, with the speed-up and the growth with N (unless ``tools`` is False); then
    `alembic upgrade head` before and after a squash, on each history."""
    ours, theirs, lint = TOOLS
    lines = []
    if tools:
        lines += [
            f"| Revisions | {ours}, s | {theirs}, s | speed-up | speed-up in CPU time "
            f"| {lint}, s |",
            "|---:|---:|---:|---:|---:|---:|",
        ]
        for size in sizes:
            mine, other = timings[size, ours], timings[size, theirs]
            lines.append(
                f"| {size} | {seconds(mine)} | {seconds(other)} "
                f"| {median(other.wall) / median(mine.wall):.1f}x "
                f"| {median(other.cpu) / median(mine.cpu):.1f}x "
                f"| {seconds(timings[size, lint])} |"
            )
        if len(sizes) > 1:
            small, large = sizes[0], sizes[-1]
            growth = {
                tool: median(timings[large, tool].wall) / median(timings[small, tool].wall)
                for tool in TOOLS
            }
            lines.append(
                f"| time({large}) / time({small}) | {growth[ours]:.1f} | {growth[theirs]:.1f} "
                f"| | | {growth[lint]:.1f} |"
            )
        lines.append("")
    full, squashed = UPGRADES
    lines += [
        f"| Revisions | history | {full}, s | {squashed}, s | squash speed-up | in CPU time |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for size in sizes:
        for history in HISTORIES:
            before = timings[size, upgrade_name(history, full)]
            after = timings[size, upgrade_name(history, squashed)]
            lines.append(
                f"| {size} | {history} | {seconds(before)} | {seconds(after)} "
                f"| {median(before.wall) / median(after.wall):.1f}x "
                f"| {median(before.cpu) / median(after.cpu):.1f}x |"
            )
    versions = subprocess.run(
        [str(python), "-c", VERSIONS], capture_output=True, text=True, check=True
    ).stdout.strip()
    lines += [
        "",
        f"Medians of {runs} run(s): wall-clock seconds, CPU seconds in brackets "
        f"({'the client and the server' if 'server' in where else 'the client'}). "
        f"{where}; {versions}. Histories: tables, each revision creates a table; evolving, "
        "a few tables created first, then changed one revision at a time. Squashed: up to "
        "the tenth revision from the end (python -m <package>.migration_tools.squash "
        "<revision>).",
    ]
    return "\n".join(lines) + "\n"


VERSIONS = """
import platform
from importlib.metadata import distributions
names = ["alembic", "sqlalchemy", "pytest", "pytest-alembic", "squawk-cli"]
found = {d.metadata["Name"].lower(): d.version for d in distributions()}
names = [f"{n} {found[n]}" for n in names if n in found]
print(f"Python {platform.python_version()}, " + ", ".join(names))
"""


def seconds(timings: Timings) -> str:
    return f"{median(timings.wall):.2f} ({median(timings.cpu):.2f})"


def median(values: list[float]) -> float:
    return statistics.median(values)


def check(command: list[str]) -> None:
    subprocess.run(command, check=True, stdin=subprocess.DEVNULL)


if __name__ == "__main__":
    main()
