"""The naming convention for a history brought from another project.

Alembic names the constraints a revision leaves unnamed with the models' naming convention
(``models/base.py``). Revisions written in a project without one left that to the database
(``orders_user_id_fkey`` on PostgreSQL, ``orders_ibfk_1`` on MySQL), and a later revision
of theirs drops the constraint by that name: under the convention it has another, and the
drop fails. In env.py, the convention can start at the first revision written here::

    target_metadata = naming_convention_from("1a2b3c4d5e6f", models.Base.metadata)

The revisions before it then leave their constraints to the database, as they always did.
docs/migrations.md, "Bringing a history from another project", shows it.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import MetaData

from .config import read_config


def naming_convention_from(revision: str, metadata: MetaData) -> MetaData:
    """``metadata``, whose naming convention names the unnamed constraints of ``revision``
    and of the revisions after it, and leaves those of older revisions to the database."""
    metadata.naming_convention = ConventionFrom(metadata.naming_convention, revision)
    return metadata


class ConventionFrom(dict[Any, Any]):
    """A naming convention that holds no names while an older revision runs.

    SQLAlchemy looks a constraint's kind up in the convention (``"fk" in convention``) when
    it names it; in the ``upgrade()`` or ``downgrade()`` of a revision older than ``start``,
    the answer is no, and the constraint stays unnamed.
    """

    def __init__(self, convention: Mapping[Any, Any], start: str) -> None:
        super().__init__(convention)
        self.start = start
        self.older_files: frozenset[Path] | None = None

    def __contains__(self, key: object) -> bool:
        return super().__contains__(key) and not self.in_older_revision()

    def in_older_revision(self) -> bool:
        """Whether the code running now was called by an older revision's file."""
        older = self.older_revision_files()
        frame = inspect.currentframe()
        while frame is not None:
            if Path(frame.f_code.co_filename) in older:
                return True
            frame = frame.f_back
        return False

    def older_revision_files(self) -> frozenset[Path]:
        """The files of the revisions that are neither ``start`` nor come after it."""
        if self.older_files is None:
            scripts = ScriptDirectory.from_config(read_config())
            start = scripts.get_revision(self.start)  # also: the whole id, from a prefix
            everything = list(scripts.walk_revisions())  # newest first
            newer = {start.revision if start else self.start}
            for script in reversed(everything):  # oldest first: parents before children
                if any(parent in newer for parent in parents(script.down_revision)):
                    newer.add(script.revision)
            self.older_files = frozenset(
                Path(str(script.path)) for script in everything if script.revision not in newer
            )
        return self.older_files


def parents(down_revision: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    if down_revision is None:
        return ()
    return (down_revision,) if isinstance(down_revision, str) else tuple(down_revision)
