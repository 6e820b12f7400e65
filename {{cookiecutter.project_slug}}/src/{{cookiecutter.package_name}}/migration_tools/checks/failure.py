"""What the migration checks found."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import URL


class MigrationCheckFailed(AssertionError):
    """A revision did not do what it should; the message says which one, and how."""


@dataclass
class CheckedDatabase:
    """A database the migration checks left at head, and what they found wrong, if anything."""

    url: URL
    failure: str | None
