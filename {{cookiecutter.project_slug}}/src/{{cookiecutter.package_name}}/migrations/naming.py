"""How new revision files are named: 0001_..., 0002_..., and never an empty one.

Sequential ids read in order and make two branches that both add a revision collide in
review (both want ``0003``) instead of surprising production with two heads.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from alembic.config import Config
from alembic.operations.ops import MigrationScript
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory


def name_new_revision(
    context: MigrationContext, revision: Any, directives: list[MigrationScript]
) -> None:
    """Alembic's ``process_revision_directives`` hook, run by ``alembic revision``."""
    config = context.config
    if config is None or not directives:
        return
    script = directives[0]
    if option(config, "autogenerate") and all(ops.is_empty() for ops in script.upgrade_ops_list):
        directives.clear()
        print("No changes between the models and the database: no revision written.")
        return
    if not option(config, "rev_id"):
        script.rev_id = next_revision_id(ScriptDirectory.from_config(config).walk_revisions())


def next_revision_id(existing: Iterable[Any]) -> str:
    """One more than the highest numeric revision id so far, as four digits."""
    numbers = [int(script.revision) for script in existing if script.revision.isdigit()]
    return f"{max(numbers, default=0) + 1:04d}"


def option(config: Config, name: str) -> Any:
    """A command-line option of the running ``alembic`` command, if it has one."""
    return getattr(config.cmd_opts, name, None)
