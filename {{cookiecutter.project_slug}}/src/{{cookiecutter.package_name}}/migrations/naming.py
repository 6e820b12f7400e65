"""Revision ids: 0001, 0002, ... so revision files read in order.

Sequential ids also make two branches that each add a revision collide in review (both
want ``0003``) instead of surprising production with two heads.
"""

from __future__ import annotations

from collections.abc import Iterable

from alembic.script import Script


def next_revision_id(existing: Iterable[Script]) -> str:
    """One more than the highest numeric revision id so far, as four digits."""
    numbers = [int(script.revision) for script in existing if script.revision.isdigit()]
    return f"{max(numbers, default=0) + 1:04d}"
