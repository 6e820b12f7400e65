"""What a failed revision leaves behind on MySQL and MariaDB.

There each schema change commits as it runs, so a revision that fails part-way keeps what
it ran before the failure, and running it again fails on the first of those ("Duplicate
column name"). The failure message names them (messages.py), so that they can be undone,
or skipped in the revision, first.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from alembic import context
from sqlalchemy import Connection, Engine, event

# How the statements that MySQL commits at once begin.
SCHEMA_CHANGES = ("ALTER ", "CREATE ", "DROP ", "RENAME ", "TRUNCATE ")


class SchemaChangesOfTheRevision:
    """The schema changes that completed in the revision running now, on MySQL."""

    def __init__(self) -> None:
        self.ran: list[str] = []

    def after_execute(self, connection: Connection, cursor: Any, statement: str, *_: Any) -> None:
        if connection.dialect.name not in ("mysql", "mariadb"):
            return
        if context.get_context().version_table in statement:
            self.ran.clear()  # a revision is done: Alembic wrote its id
        elif statement.lstrip().upper().startswith(SCHEMA_CHANGES):
            self.ran.append(" ".join(statement.split()))


@contextmanager
def schema_changes_that_ran() -> Iterator[SchemaChangesOfTheRevision]:
    """Record, for as long as the context lasts, the schema changes each revision runs."""
    recorded = SchemaChangesOfTheRevision()
    event.listen(Engine, "after_cursor_execute", recorded.after_execute)
    try:
        yield recorded
    finally:
        event.remove(Engine, "after_cursor_execute", recorded.after_execute)
