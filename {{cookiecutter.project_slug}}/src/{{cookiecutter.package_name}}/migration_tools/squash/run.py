"""The squash: build the database the old revisions build, write the baseline from it,
build the database the baseline builds, and keep the baseline only if the two are equal."""

from __future__ import annotations

import tempfile
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import URL, create_engine

from ..checks.databases import empty_database
from ..config import read_config
from ..head_file import head_file, head_file_text
from ..previous_release import blocking, default_server, migrate
from ..squashed_file import add_squashed
from .files import Swap, written_baseline
from .history import HistoryRefused, release_squashed_away, squashed_revisions
from .picture import differences
from .record import read_picture, version_table_of, write_record
from .render import render_baseline

DOC = 'docs/migrations.md, "Squashing old revisions"'


class SquashRefused(Exception):
    """The squash stopped and changed nothing; the message says why, in one line."""


def squash(upto: str, server: URL | None = None) -> str:
    """Replace ``upto`` and every revision before it with one baseline revision, which
    keeps ``upto``'s id, once it is proven to build the same database on a throw-away
    database of ``server`` (default: the ``TEST_DATABASE_URL`` or ``DATABASE_URL``
    server, or a SQLite file). Returns what was done, in one line."""
    config = read_config()
    scripts = ScriptDirectory.from_config(config)
    try:
        squashed = squashed_revisions(scripts, upto)
    except HistoryRefused as error:
        raise SquashRefused(str(error)) from None
    stranded = release_squashed_away(config, scripts, squashed)
    if stranded:
        raise SquashRefused(stranded)
    revision = squashed.last.revision
    server = blocking(server or default_server(config, scripts))
    with (
        tempfile.TemporaryDirectory() as scratch,
        empty_database(server, mkdir(scratch, "old")) as old_url,
        empty_database(server, mkdir(scratch, "new")) as new_url,
    ):
        migrate(old_url, [revision])
        old = read_picture(old_url)
        if old.unseen:
            raise SquashRefused(
                f"Cannot squash up to {revision}: autogenerate cannot see "
                f"{', '.join(old.unseen)}, which the squashed revisions create, so a baseline "
                f"would lose {'them' if len(old.unseen) > 1 else 'it'}. Squash up to a revision "
                f"before {'they are' if len(old.unseen) > 1 else 'it is'} created ({DOC})."
            )
        old_engine, new_engine = create_engine(old_url), create_engine(new_url)
        try:
            with old_engine.connect() as old_db, new_engine.connect() as new_db:
                rendered = render_baseline(old_db, new_db, version_table_of(old_db))
        finally:
            old_engine.dispose()
            new_engine.dispose()
        with written_baseline(config, scripts, squashed, rendered) as baseline:
            swap = Swap(squashed, baseline, mkdir(scratch, "squashed"))
        try:
            migrate(new_url, [revision])
            found = differences(old, read_picture(new_url))
        except BaseException:
            swap.undo()
            raise
        if found:
            swap.undo()
            raise SquashRefused(
                f"The baseline would build another database than the revisions up to "
                f"{revision}, so nothing was changed: {'; '.join(found)}"
            )
    add_squashed(scripts, squashed.ids[:-1], revision)
    head_file(scripts).write_text(head_file_text(ScriptDirectory.from_config(config)))
    record = write_record(revision, server.get_backend_name(), old)
    return (
        f"Squashed {len(squashed.ids)} revisions into {swap.baseline.name} (revision "
        f"{revision}); proven to build the same schema and rows on "
        f"{server.get_backend_name()}, recorded in tests/{record.name} for the tests."
    )


def mkdir(parent: str, name: str) -> Path:
    folder = Path(parent, name)
    folder.mkdir()
    return folder
