"""Each revision's upgrade() as the SQL it runs, statement by statement: what the lint reads.

The SQL is rendered as ``alembic upgrade --sql`` renders it, with no database, for the
project's own database (alembic.ini, ``[migration_tools] database``), whatever
``DATABASE_URL`` names. Each revision is rendered on its own, in the order Alembic gives,
so one that cannot be rendered is reported and the others are still linted, and a commit
that changes one revision renders only that one. Each statement keeps the line of the
revision that wrote it (for waivers, waivers.py) and whether it runs inside the revision's
transaction (an ``autocommit_block()`` commits it).

SQLite runs most batch operations as a copy of the table, which needs the live table to
read its columns from; such a revision is rendered with SQLAlchemy's generic dialect
instead: each batch operation as the ALTER statement it stands for. A batch operation that
always copies (``recreate="always"``) cannot be rendered at all: the revision is kept with
the table it copies, which on SQLite is how a table is altered, and on a server a finding.
"""

from __future__ import annotations

import importlib.util
import inspect
import re
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import ModuleType
from typing import Protocol

from alembic.config import Config
from alembic.operations import Operations
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import URL
from sqlalchemy.engine.default import DefaultDialect

# What SQLite's batch mode says when it needs the live table to copy it.
SQLITE_TABLE_COPY = "batch mode with dialect sqlite"
# What any batch operation that copies a table says with no database to read it from.
TABLE_COPY = re.compile(r'live database connection with which to reflect the table "([^"]+)"')
# What a revision that reads the database says with no database: the placeholder
# connection has no rows to give.
NEEDS_A_DATABASE = ("MockConnection", "NoneType", "has no attribute 'fetch", "no attribute 'scalar")


class RevisionScript(Protocol):
    """A revision file, as Alembic's ``Script`` has it."""

    @property
    def revision(self) -> str: ...

    @property
    def module(self) -> ModuleType: ...

    @property
    def path(self) -> str: ...


@dataclass(frozen=True)
class RevisionFile:
    """A revision file read on its own, without the rest of the history."""

    revision: str
    module: ModuleType
    path: str

    @classmethod
    def load(cls, path: Path) -> RevisionFile | None:
        """The revision at ``path``; None when it has no revision id or no upgrade()."""
        spec = importlib.util.spec_from_file_location(f"revision_{path.stem}", path)
        if spec is None or spec.loader is None:
            return None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        revision = getattr(module, "revision", None)
        if not isinstance(revision, str) or not callable(getattr(module, "upgrade", None)):
            return None
        return cls(revision, module, str(path))


@dataclass(frozen=True)
class Statement:
    """One statement of a revision, as rendered."""

    sql: str
    line: int  # the line of the revision file whose call wrote it (0: not known)
    in_transaction: bool  # inside the revision's transaction, or committed on its own


@dataclass
class Revision:
    """A revision's upgrade(), rendered: its statements, or why it could not be."""

    script: RevisionScript
    statements: list[Statement] = field(default_factory=list)
    unrenderable: str | None = None  # the error, when it could not be rendered
    table_copies: bool = False  # SQLite: rendered generically, its batch copies the table
    copied_table: str | None = None  # the table a batch operation copies, when it always does
    copy_line: int = 0  # the line of that batch operation

    @cached_property
    def path(self) -> Path:
        return Path(str(self.script.path))


class Recorder:
    """The output buffer Alembic writes the SQL to: keeps each statement apart, with the
    line of the revision that wrote it."""

    def __init__(self) -> None:
        self.statements: list[Statement] = []
        self.in_transaction = False
        self.revision_file = ""

    def start(self, script: RevisionScript, *, transactional: bool) -> None:
        self.statements = []
        self.in_transaction = transactional
        self.revision_file = script.module.upgrade.__code__.co_filename

    def write(self, text: str) -> None:
        sql = text.strip()
        keyword = sql.rstrip(";").strip().upper()
        if keyword == "BEGIN":
            self.in_transaction = True
        elif keyword == "COMMIT":
            self.in_transaction = False
        elif sql:
            self.statements.append(Statement(sql, self.caller_line(), self.in_transaction))

    def flush(self) -> None:
        pass

    def line_in(self, error: Exception) -> int:
        """The last line of the revision file that ``error`` went through (0: none)."""
        lines = [
            line
            for frame, line in traceback.walk_tb(error.__traceback__)
            if frame.f_code.co_filename == self.revision_file
        ]
        return lines[-1] if lines else 0

    def caller_line(self) -> int:
        """The line of the innermost call in the revision file that led here."""
        frame = inspect.currentframe()
        while frame is not None and frame.f_code.co_filename != self.revision_file:
            frame = frame.f_back
        return frame.f_lineno if frame is not None else 0


def render(config: Config, scripts: Iterable[RevisionScript], database: str) -> list[Revision]:
    """The upgrade() of each of ``scripts`` rendered for ``database`` (sqlite, postgresql
    or mysql), in the order given."""
    recorder = Recorder()
    options = {"as_sql": True, "output_buffer": recorder, "literal_binds": True}
    # As env.py runs them online: inside a transaction, except on MySQL.
    transactional = database != "mysql"
    own = MigrationContext.configure(
        dialect=URL.create(database).get_dialect()(),
        opts={**options, "transactional_ddl": transactional},
    )
    rendered = [Revision(script) for script in scripts]
    # The revisions see `context.is_offline_mode()` true, as under --sql.
    with EnvironmentContext(config, ScriptDirectory.from_config(config), as_sql=True):
        with Operations.context(own):
            for revision in rendered:
                run_upgrade(revision, recorder, transactional=transactional)
        copies = [revision for revision in rendered if table_copy(revision, database)]
        if copies:  # SQLite batch operations that copy a table, once more, generically
            generic = MigrationContext.configure(
                dialect=DefaultDialect(), opts={**options, "transactional_ddl": True}
            )
            with Operations.context(generic):
                for revision in copies:
                    revision.table_copies = True
                    run_upgrade(revision, recorder, transactional=True)
    for revision in rendered:
        keep_table_copy(revision, database)
    return rendered


def run_upgrade(revision: Revision, recorder: Recorder, *, transactional: bool) -> None:
    """Run the upgrade() of ``revision`` into ``recorder``, and keep what it wrote, or why
    it could not run."""
    recorder.start(revision.script, transactional=transactional)
    try:
        revision.script.module.upgrade()
        revision.unrenderable = revision.copied_table = None
    except Exception as error:
        revision.unrenderable = explain(error)
        copied = TABLE_COPY.search(str(error))
        revision.copied_table = copied[1] if copied else None
        revision.copy_line = recorder.line_in(error)
    revision.statements = recorder.statements


def keep_table_copy(revision: Revision, database: str) -> None:
    """A revision stopped by a batch operation that always copies its table is kept as
    rendered up to there, with the table it copies (the lint's rules judge that)."""
    if revision.unrenderable is None or revision.copied_table is None:
        return
    revision.table_copies = database == "sqlite"
    revision.unrenderable = None


def table_copy(revision: Revision, database: str) -> bool:
    """Whether SQLite's batch mode needed the live table to render ``revision``."""
    return database == "sqlite" and SQLITE_TABLE_COPY in (revision.unrenderable or "")


def explain(error: Exception) -> str:
    """Why a revision could not be rendered, on one line."""
    words = f"{type(error).__name__}: {error}"
    reason = " ".join(str(error).split()) or type(error).__name__
    if any(marker in words for marker in NEEDS_A_DATABASE):
        return (
            f"it reads the database, which the lint has not got ({reason[:80]}): run that "
            "part under `if not context.is_offline_mode():`"
        )
    return reason[:160]
