"""A migration stopped by the table lock timeout runs again, after a pause.

``MIGRATION_TABLE_LOCK_TIMEOUT`` stops a statement that waits for a lock held by another
session (a long transaction of the application), so that the queries behind it do not
stall. Such a wait is often over in a moment: env.py runs the migrations again, up to
``MIGRATION_TABLE_LOCK_RETRIES`` times, pausing ``MIGRATION_TABLE_LOCK_RETRY_PAUSE``
seconds, then twice as long each time. What was committed stays: each run starts from the
database's current revision. Each retry prints one line; when the last one fails too, the
error names the sessions that held a lock on the table, when the server can tell
(PostgreSQL).

Not retried: a run on a connection handed in inside its owner's transaction (the failure
ends that transaction, which is its owner's to handle), and a relative target
(``upgrade +2``), which a new run would count from where the first one stopped.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from types import TracebackType

from alembic import context
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from . import settings
from .lock import moves_revisions

# PostgreSQL's lock_not_available; MySQL's and MariaDB's ER_LOCK_WAIT_TIMEOUT.
LOCK_NOT_AVAILABLE = "55P03"
LOCK_WAIT_TIMEOUT = 1205
LOCK_TIMED_OUT = ("canceling statement due to lock timeout", "Lock wait timeout exceeded")
# Attributes of the final error (messages.py reads them): who held the lock, and how many
# times the migration ran into it.
HELD_BY = "held_by"
TRIES = "lock_timeout_tries"
# The sessions holding a lock on the table (all tables of the database, when the failed
# statement names none), the longest-running first.
POSTGRESQL_HOLDERS = """
SELECT DISTINCT activity.pid, activity.state,
       EXTRACT(EPOCH FROM now() - COALESCE(activity.xact_start, activity.query_start)),
       activity.query
FROM pg_locks AS locks JOIN pg_stat_activity AS activity ON activity.pid = locks.pid
WHERE locks.granted AND locks.locktype = 'relation' AND activity.pid <> pg_backend_pid()
  AND locks.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND (CAST(:table AS text) IS NULL OR locks.relation = to_regclass(:table))
  AND locks.relation >= 16384
ORDER BY 3 DESC NULLS LAST
LIMIT 3
"""
QUERY_SHOWN = 60  # characters of a holder's query
# The table a schema change names.
CHANGED_TABLE = re.compile(
    r"^\s*(?:ALTER TABLE|DROP TABLE|LOCK TABLE|CREATE (?:UNIQUE )?INDEX .*? ON|INSERT INTO|"
    r"UPDATE|DELETE FROM)\s+(?:ONLY\s+)?(?:IF EXISTS\s+)?\"?([\w.]+)\"?",
    re.IGNORECASE | re.DOTALL,
)


def lock_timeout_retries(migration_context: MigrationContext) -> Iterator[Attempt]:
    """The attempts of a migration run, for env.py::

        for attempt in lock_timeout_retries(migration_context):
            with attempt, context.begin_transaction():
                context.run_migrations()

    An attempt stopped by the lock timeout is followed by another, after a pause, until
    the retries are used up; any other error, and the last lock timeout, go through."""
    connection = migration_context.connection
    retries = settings.migration_table_lock_retries()
    if (
        connection is None
        or not moves_revisions(migration_context)  # autogenerate, current: they only read
        or connection.in_transaction()  # the owner's transaction, SQLite's BEGIN IMMEDIATE
        or relative_target()
    ):
        retries = 0
    pause = settings.migration_table_lock_retry_pause()
    for number in range(retries + 1):
        attempt = Attempt(migration_context, number + 1, last=number == retries)
        yield attempt
        if attempt.stopped is None:
            return
        heads = ", ".join(migration_context.get_current_heads()) or "base"
        if connection is not None:
            connection.rollback()  # reading the revision began a transaction
        wait = pause * 2**number
        print(
            f"{attempt.stopped} waited over {settings.migration_table_lock_timeout():g} s "
            f"for a lock; retry {number + 1} of {retries} in {wait:g} s, from revision "
            f"{heads}.",
            flush=True,
        )
        time.sleep(wait)


class Attempt:
    """One run of the migrations: lets a lock timeout through only when it is the last."""

    def __init__(self, migration_context: MigrationContext, number: int, *, last: bool) -> None:
        self.migration_context = migration_context
        self.number = number
        self.last = last
        self.stopped: str | None = None  # what the lock timeout stopped, when it did

    def __enter__(self) -> Attempt:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        if not isinstance(error, DBAPIError) or not is_lock_timeout(error):
            return False
        if self.last:
            setattr(error, HELD_BY, lock_holders(self.migration_context.connection, error))
            setattr(error, TRIES, self.number)
            return False
        self.stopped = revision_of(error)
        return True


def is_lock_timeout(error: DBAPIError) -> bool:
    """Whether the statement gave up waiting for a lock (``MIGRATION_TABLE_LOCK_TIMEOUT``)."""
    original = error.orig
    if getattr(original, "sqlstate", None) == LOCK_NOT_AVAILABLE:
        return True
    arguments = getattr(original, "args", ())
    if arguments and arguments[0] == LOCK_WAIT_TIMEOUT:
        return True
    return any(words in str(original) for words in LOCK_TIMED_OUT)


def revision_of(error: BaseException) -> str:
    """The revision step the error stopped (``upgrade() of <file>``), or "the migration"."""
    from .messages import revision_step  # messages imports this module

    return revision_step(error) or "The migration"


def lock_holders(connection: Connection | None, error: DBAPIError) -> str:
    """The sessions that held a lock on the table the failed statement waited for, as
    one sentence; empty when the server cannot tell (MySQL, MariaDB)."""
    if connection is None or connection.dialect.name != "postgresql":
        return ""
    changed = CHANGED_TABLE.match(error.statement or "")
    table = changed[1] if changed else None
    try:
        with connection.engine.connect() as reader:
            rows = reader.execute(text(POSTGRESQL_HOLDERS), {"table": table}).all()
    except DBAPIError:
        return ""
    if not rows:
        return ""
    sessions = []
    for pid, state, seconds, query in rows:
        shown = " ".join(str(query or "").split())
        if len(shown) > QUERY_SHOWN:
            shown = f"{shown[:QUERY_SHOWN]}..."
        age = f", for {seconds:.0f} s" if seconds is not None else ""
        sessions.append(f"process {pid} ({state}{age}; last query: {shown})")
    where = f"on {table}" if table else "on the tables"
    return f"A lock {where} was held by {', '.join(sessions)}."


def relative_target() -> bool:
    """Whether the command names a revision relative to the current one (``+2``, ``-1``):
    once a revision of it is applied, a new run would count from there and go further."""
    return bool(re.search(r"[+-]\d", str(context.get_revision_argument() or "")))
