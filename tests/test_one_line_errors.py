"""Mistakes a newcomer makes, each told in one line with the right advice, and bad input
refused before anything connects: a broken revision file (in alembic, the tests and the
pre-commit hooks alike), a URL that names no database, options of hosted databases, a
driver of the wrong kind, and the README's Python examples, run as written on every engine.

One bake per combination for the whole module; a test that changes files works on a copy.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import scratch_database, server_url
from cookiecutter.main import cookiecutter
from helpers import COMBINATIONS, TEMPLATE, BakedProject, combination_id
from test_migration_checks import FIRST, add_revision, migrations_dir, write_head_file

Bake = Callable[[str, bool], BakedProject]


@pytest.fixture(scope="module")
def bake(tmp_path_factory: pytest.TempPathFactory, project_venv: Path) -> Bake:
    """The project of a database and variant, baked once for the module."""
    made: dict[tuple[str, bool], BakedProject] = {}

    def baked(database: str, use_async: bool) -> BakedProject:
        if (database, use_async) not in made:
            answers = {"project_name": "One Line", "database": database, "async": use_async}
            output = tmp_path_factory.mktemp(f"{database}-{use_async}")
            path = cookiecutter(str(TEMPLATE), no_input=True, extra_context=answers, output_dir=str(output))
            made[database, use_async] = BakedProject(Path(path), project_venv, answers)
        return made[database, use_async]

    return baked


def copy_of(project: BakedProject, tmp_path: Path) -> BakedProject:
    """A copy of ``project`` that a test may change."""
    path = tmp_path / project.path.name
    shutil.copytree(project.path, path, symlinks=True)
    return BakedProject(path, project.venv, project.answers)


def failed_line(result: subprocess.CompletedProcess[str], *words: str) -> str:
    """The one "FAILED:" line of an alembic command that failed without a traceback."""
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Traceback" not in output, output
    failed = [line for line in output.splitlines() if line.startswith("FAILED:")]
    assert len(failed) == 1, output
    for word in words:
        assert word in failed[0], failed[0]
    return failed[0]


def stopped_with(result: subprocess.CompletedProcess[str], *words: str) -> str:
    """The output of a command (pytest, a hook) that stopped with a short message."""
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Traceback" not in output and "INTERNALERROR" not in output, output
    assert len(output.strip().splitlines()) < 10, output
    for word in words:
        assert word in output, output
    return output


# --- A revision file with a mistake ----------------------------------------------------------

def second_revision(project: BakedProject, upgrade: str, down: str = FIRST) -> Path:
    """A revision after the first one whose upgrade() runs ``upgrade``; head.txt names it."""
    body = (
        f"\n\ndef upgrade() -> None:\n    {upgrade}\n"
        '\n\ndef downgrade() -> None:\n    op.drop_column("users", "age")\n'
    )
    revision = add_revision(project, down, body, number=1, slug="second")
    write_head_file(project, revision)
    return migrations_dir(project) / "versions" / revision.file


def line_of(path: Path, text: str) -> int:
    return next(number for number, line in enumerate(path.read_text().splitlines(), 1) if text in line)


ADD_AGE = 'op.add_column("users", sa.Column("age", sa.Integer()))'


def test_typo_in_an_op_call_names_its_line_and_the_name_it_meant(bake: Bake, tmp_path: Path) -> None:
    project = copy_of(bake("sqlite", False), tmp_path)
    path = second_revision(project, ADD_AGE.replace("add_column", "add_colum"))
    database = {"DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}"}
    line = failed_line(project.run("alembic", "upgrade", "head", check=False, **database))
    assert f"upgrade() of {path.name} failed at line {line_of(path, 'add_colum')}: AttributeError" in line
    assert "(did you mean add_column?)" in line
    # The tests: one failure says it, the others point at it; no offline-mode advice.
    result = project.run("pytest", "-q", "-p", "no:cacheprovider", "tests/test_migrations.py", check=False)
    assert "4 failed" in result.stdout, result.stdout
    assert "(did you mean add_column?)" in result.stdout, result.stdout
    assert "see test_every_revision_upgrades_and_downgrades_cleanly" in result.stdout
    assert "is_offline_mode" not in result.stdout and "Traceback" not in result.stdout


# (what the mistake does to the second revision, words of the one line)
BROKEN_FILES = {
    "down_revision naming no revision": (
        {"down": "3f9c2a1b7d41"},
        "its down_revision names '3f9c2a1b7d41', but no revision file has that id; "
        "did you mean '3f9c2a1b7d40'?",
        "down_revision",
    ),
    "missing colon": ({"colon": ""}, "SyntaxError: expected ':'", "def upgrade"),
}


@pytest.mark.parametrize("mistake", BROKEN_FILES)
def test_broken_revision_file_is_named_with_its_line_everywhere(
    bake: Bake, tmp_path: Path, mistake: str
) -> None:
    change, words, line_text = BROKEN_FILES[mistake]
    project = copy_of(bake("sqlite", False), tmp_path)
    path = second_revision(project, ADD_AGE, down=change.get("down", FIRST))
    if "colon" in change:
        path.write_text(path.read_text().replace("def upgrade() -> None:", "def upgrade() -> None"))
    expected = f"Fix line {line_of(path, line_text)} of the revision file {path.name}: {words}"
    database = {"DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}"}
    package = project.package
    commands = {
        "alembic upgrade": ["alembic", "upgrade", "head"],
        "alembic current": ["alembic", "current"],
        "alembic -q": ["alembic", "-q", "upgrade", "head"],
        "pytest": ["pytest", "-q", "-p", "no:cacheprovider"],
        "head file hook": ["python", "-m", f"{package}.migration_tools.head_file", "--check"],
        "safety hook": ["python", "-m", f"{package}.migration_tools.safety", str(path)],
        "alembic-check hook": [
            "pytest", "--quiet", "--no-header", "-p", "no:cacheprovider",
            "tests/test_migrations.py::test_models_match_migrations",
        ],
    }
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = dict(zip(commands, pool.map(lambda c: project.run(*c, check=False, **database), commands.values())))
    for name in ("alembic upgrade", "alembic current"):
        assert failed_line(results[name]) == f"FAILED: {expected}", name
    # -q leaves out the FAILED line: the error's log line still says it.
    assert stopped_with(results["alembic -q"], expected).strip().endswith(expected)
    for name in ("pytest", "head file hook", "safety hook", "alembic-check hook"):
        stopped_with(results[name], expected)
    assert not (tmp_path / "app.db").exists()


# Offline (alembic upgrade head --sql), a statement returns nothing: advice to run that part
# online only is right for reads, and wrong for anything else.
OFFLINE_BODIES = {  # the upgrade: (whether it reads, the text of the line that fails)
    'count = op.get_bind().execute(sa.text("SELECT count(*) FROM users")).scalar()': (True, "count ="),
    'rows = op.get_bind().execute(sa.text("SELECT id FROM users")).fetchall()': (True, "rows ="),
    'for row in op.get_bind().execute(sa.text("SELECT id FROM users")):\n        pass': (True, "for row"),
    ADD_AGE.replace("add_column", "add_colum"): (False, "add_colum"),
    "name = None\n    name.upper()": (False, "name.upper()"),
}


@pytest.mark.parametrize("database", ["sqlite", "postgresql", "mysql"])
def test_offline_advice_appears_exactly_for_reads_of_the_database(
    bake: Bake, tmp_path: Path, database: str
) -> None:
    project = copy_of(bake(database, database == "mysql"), tmp_path)
    for body, (reads, failing) in OFFLINE_BODIES.items():
        path = second_revision(project, body)
        line = failed_line(project.run("alembic", "upgrade", "head", "--sql", check=False))
        where = f"upgrade() of {path.name} cannot be rendered as SQL (line {line_of(path, failing)})"
        assert where in line, line
        advice = "It reads the database, which --sql has not got: run that part under"
        assert (advice in line) == reads, line
        path.unlink()


# --- Settings: never the wrong database ------------------------------------------------------

def test_sqlite_url_without_a_file_is_refused(bake: Bake, tmp_path: Path) -> None:
    project = bake("sqlite", False)
    refused = {
        "sqlite://x.db": "DATABASE_URL has two slashes, so 'x.db' is read as a host: a SQLite "
        "file takes three",
        "sqlite://": "DATABASE_URL names no SQLite file",
        "sqlite:///": "DATABASE_URL names no SQLite file",
        "sqlite:////": "DATABASE_URL names a folder, '/', where a SQLite file belongs",
        "sqlite+aiosqlite:///app.db": "names an async driver, but this project is not async: "
        "write sqlite://... and it uses sqlite3",
    }
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = pool.map(
            lambda url: project.run("alembic", "upgrade", "head", check=False, DATABASE_URL=url), refused
        )
        for result, words in zip(results, refused.values()):
            failed_line(result, words)
    assert not list(project.path.glob("*.db"))


ENV_FILES = {
    "DATABASE_URL=sqlite:///${DB_FILE}\n": "DATABASE_URL in .env uses ${DB_FILE}, which is not set",
    "DATABASE_URL=postgresql://postgres@127.0.0.1:5432/${DB_NAME}\n":
        "DATABASE_URL in .env uses ${DB_NAME}, which is not set",
    "DATABASE_URL\n": "DATABASE_URL in .env has no value (the line has no '=')",
}


@pytest.mark.parametrize("env_file", ENV_FILES, ids=["sqlite-unset", "server-unset", "bare"])
def test_env_file_that_names_no_database_is_refused(bake: Bake, tmp_path: Path, env_file: str) -> None:
    project = copy_of(bake("sqlite", False), tmp_path)
    (project.path / ".env").write_text(env_file)
    result = project.run("alembic", "upgrade", "head", check=False)
    failed_line(result, ENV_FILES[env_file])
    assert "Running upgrade" not in result.stderr
    assert not list(project.path.glob("*.db"))


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
def test_server_url_without_a_database_name_is_refused(bake: Bake, use_async: bool) -> None:
    server = server_url("postgresql")
    assert server is not None
    project = bake("postgresql", use_async)
    without_name = server.rsplit("/", 1)[0]
    for url in (without_name, f"{without_name}/"):
        result = project.run("alembic", "upgrade", "head", check=False, DATABASE_URL=url)
        failed_line(result, "DATABASE_URL names no database (nothing after the host's '/')")
        assert "Running upgrade" not in result.stderr


# --- Options of hosted databases, on every driver ---------------------------------------------

# (query string, None when the migration runs, else words of its one line)
POSTGRESQL_OPTIONS = [
    ("sslmode=prefer&application_name=me@example.com&connect_timeout=5", None),
    ("sslmode=require", "Cannot connect to the database"),  # this server has no SSL
    ("ssl=true", "Cannot connect to the database"),
    ("sslmode=bogus", "sslmode='bogus' is not one of disable, allow, prefer"),
    ("sslrootcert=/no/such/ca.pem&sslmode=verify-full", "sslrootcert names '/no/such/ca.pem'"),
    ("connect_timeout=soon", "connect_timeout='soon' is not a number of seconds"),
    ("sslfactory=x", "the option 'sslfactory' is not one that"),
]
MYSQL_OPTIONS = [
    ("ssl-mode=PREFERRED&charset=utf8mb4&connect_timeout=2.5", None),
    ("ssl_mode=DISABLED", None),
    ("ssl-mode=REQUIRED", "SSL"),  # this server has no SSL: neither driver goes on without
    ("ssl_mode=sometimes", "ssl_mode='SOMETIMES' is not one of DISABLED, PREFERRED"),
    ("ssl_ca=/no/such/ca.pem", "the SSL files it names cannot be read"),
    ("sslaccept=strict", "the option 'sslaccept' is not one that"),
]


@pytest.mark.parametrize("combination", [c for c in COMBINATIONS if c["database"] != "sqlite"], ids=combination_id)
def test_hosted_database_options_work_on_every_driver(
    bake: Bake, tmp_path: Path, combination: dict[str, object]
) -> None:
    database, use_async = str(combination["database"]), bool(combination["async"])
    project = bake(database, use_async)
    options = POSTGRESQL_OPTIONS if database == "postgresql" else MYSQL_OPTIONS
    if use_async and database == "postgresql":
        options = [*options, ("channel_binding=require", "channel_binding is not something asyncpg can do")]
    with scratch_database(project, tmp_path) as url, ThreadPoolExecutor(max_workers=4) as pool:
        # `alembic current` connects with the options, and changes nothing: side by side.
        results = pool.map(
            lambda query: project.run("alembic", "current", check=False, DATABASE_URL=f"{url}?{query}"),
            [query for query, _ in options],
        )
        for result, (query, words) in zip(results, options):
            if words is None:
                assert result.returncode == 0, f"{query}: {result.stderr}"
            else:
                failed_line(result, words)
        # And a migration runs through them.
        upgrade = project.run("alembic", "upgrade", "head", DATABASE_URL=f"{url}?{options[0][0]}")
        assert "Running upgrade  -> 3f9c2a1b7d40" in upgrade.stderr


@pytest.mark.parametrize("database", ["postgresql", "mysql"])
def test_async_driver_in_a_sync_project_is_named_not_installed(bake: Bake, database: str) -> None:
    project = bake(database, False)
    driver = {"postgresql": "postgresql+asyncpg", "mysql": "mysql+aiomysql"}[database]
    result = project.run("alembic", "upgrade", "head", check=False, DATABASE_URL=f"{driver}://app@127.0.0.1:1/app")
    line = failed_line(result, "names an async driver, but this project is not async", f"write {database}://...")
    assert "install" not in line


# --- Bytes, through every driver --------------------------------------------------------------

WRITE_AND_READ_BYTES = """
import asyncio, sys
from sqlalchemy import Column, Integer, LargeBinary, MetaData, Table, insert, select
from {package}.db import create_db_engine

VALUE = bytes(range(256))
table = Table("blobs", MetaData(), Column("id", Integer, primary_key=True), Column("data", LargeBinary))


def round_trip(connection):
    table.create(connection)
    connection.execute(insert(table).values(data=VALUE))
    return connection.execute(select(table.c.data)).scalar_one()


async def on_async(engine):
    async with engine.begin() as connection:
        read = await connection.run_sync(round_trip)
    await engine.dispose()
    return read


engine = create_db_engine(sys.argv[1])
if hasattr(engine, "sync_engine"):  # an AsyncEngine
    read = asyncio.run(on_async(engine))
else:
    with engine.begin() as connection:
        read = round_trip(connection)
    engine.dispose()
assert read == VALUE, read
print("ok", engine.dialect.driver)
"""


@pytest.mark.parametrize("combination", COMBINATIONS, ids=combination_id)
def test_bytes_are_written_and_read_back_on_every_driver(
    bake: Bake, tmp_path: Path, combination: dict[str, object]
) -> None:
    project = bake(str(combination["database"]), bool(combination["async"]))
    script = tmp_path / "bytes.py"
    script.write_text(WRITE_AND_READ_BYTES.format(package=project.package))
    with scratch_database(project, tmp_path) as url:
        output = project.run("python", script, url).stdout
    assert output.startswith("ok"), output


# --- The README's Python, as written ------------------------------------------------------------

def readme_programs(project: BakedProject) -> list[str]:
    """The README's Python blocks that are programs (they import what they use)."""
    text = (project.path / "README.md").read_text()
    blocks = text.split("```python\n")[1:]
    programs = [block.split("```")[0] for block in blocks if block.startswith(("from ", "import "))]
    return [program for program in programs if "op.execute" not in program]  # not a revision


@pytest.mark.parametrize("combination", COMBINATIONS, ids=combination_id)
def test_readme_python_runs_as_written(bake: Bake, tmp_path: Path, combination: dict[str, object]) -> None:
    project = copy_of(bake(str(combination["database"]), bool(combination["async"])), tmp_path)
    programs = readme_programs(project)
    assert len(programs) == (3 if combination["async"] else 2), programs
    if project.database == "sqlite":
        # Before the migrations, the application's engine says to run them, and makes no file.
        (project.path / "using.py").write_text(programs[0])
        result = project.run("python", "using.py", check=False)
        assert result.returncode != 0
        assert result.stderr.strip().splitlines()[-1].endswith(
            f"The SQLite database {project.package}.db does not exist yet: run `make db-upgrade` "
            "(alembic upgrade head) first, which creates it with its tables."
        ), result.stderr
        assert not (project.path / f"{project.package}.db").exists()
    with scratch_database(project, tmp_path) as url:
        environment = {} if project.database == "sqlite" else {"DATABASE_URL": url}
        project.run("alembic", "upgrade", "head", **environment)
        for number, program in enumerate(programs):
            (project.path / f"example_{number}.py").write_text(program)
            result = project.run("python", f"example_{number}.py", **environment)
            assert result.stderr == "", result.stderr  # no "Event loop is closed" at exit


# --- Faults --------------------------------------------------------------------------------------

HOLD_AND_MIGRATE = """
import sqlite3, subprocess, sys, time
from sqlalchemy import text
from {package}.db import create_db_engine
from {package}.migration_tools.commands import upgrade

engine = create_db_engine(sys.argv[1])
with engine.connect() as connection:
    connection.execute(text("SELECT version_num FROM alembic_version")).all()  # it has read
    writer = sqlite3.connect(sys.argv[2], isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # and another connection writes meanwhile
    upgrade("head", connection)
"""


def test_sqlite_connection_that_read_first_is_told_why_it_could_not_wait(
    bake: Bake, tmp_path: Path
) -> None:
    project = copy_of(bake("sqlite", False), tmp_path)
    second_revision(project, ADD_AGE)
    database = tmp_path / "app.db"
    project.run("alembic", "upgrade", FIRST, DATABASE_URL=f"sqlite:///{database}")
    (project.path / "migrate.py").write_text(HOLD_AND_MIGRATE.format(package=project.package))
    result = project.run("python", "migrate.py", f"sqlite:///{database}", database, check=False)
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert "the connection handed in could not wait for it" in last, result.stderr
    assert "inside a transaction that had read the database. Commit or roll back" in last
    assert "for over 60 s" not in result.stderr


def test_symlinked_head_file_is_replaced_not_written_through(bake: Bake, tmp_path: Path) -> None:
    project = copy_of(bake("sqlite", False), tmp_path)
    head = migrations_dir(project) / "head.txt"
    target = tmp_path / "elsewhere.txt"
    target.write_text("someone else's file\n")
    head.unlink()
    head.symlink_to(target)
    project.run("alembic", "revision", "-m", "add age")
    assert target.read_text() == "someone else's file\n"
    assert not head.is_symlink() and head.read_text().endswith("_add_age.py\n")


@pytest.fixture
def without_module(tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """A PYTHONPATH on which the named modules cannot be imported, as if not installed."""
    folder = tmp_path / "not-installed"
    folder.mkdir()

    def hide(*modules: str) -> str:
        for module in modules:
            (folder / f"{module}.py").write_text(
                f"raise ModuleNotFoundError(\"No module named '{module}'\", name='{module}')\n"
            )
        return str(folder)

    yield hide


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_server_tests_without_the_driver_stop_with_one_message(
    bake: Bake, database: str, without_module: Callable[..., str]
) -> None:
    server = server_url("postgresql")
    assert server is not None
    project = bake(database, False)
    hidden = without_module("psycopg")
    result = project.run(
        "pytest", "-q", "-p", "no:cacheprovider", check=False,
        TEST_DATABASE_URL=server, PYTHONPATH=f"{hidden}:{project.path / 'src'}",
    )
    stopped_with(result, "needs the 'psycopg' module, which is not installed")
