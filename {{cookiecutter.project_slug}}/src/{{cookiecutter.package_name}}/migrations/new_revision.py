"""What ``alembic revision`` writes: numbered, never empty, and free of a MySQL trap.

Alembic calls ``prepare_new_revision`` (its ``process_revision_directives`` hook, set in
env.py) with the revision it is about to write, before writing it.
"""

from __future__ import annotations

from typing import Any

from alembic.config import Config
from alembic.operations import ops
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from {{ cookiecutter.package_name }}.migrations.naming import next_revision_id


def prepare_new_revision(
    context: MigrationContext, revision: Any, directives: list[ops.MigrationScript]
) -> None:
    config = context.config
    if config is None or not directives:
        return
    script = directives[0]
    if option(config, "autogenerate") and all(
        upgrade.is_empty() for upgrade in script.upgrade_ops_list
    ):
        directives.clear()
        print("No changes between the models and the database: no revision written.")
        return
    if not option(config, "rev_id"):
        script.rev_id = next_revision_id(ScriptDirectory.from_config(config).walk_revisions())
    for operations in (*script.upgrade_ops_list, *script.downgrade_ops_list):
        drop_indexes_with_their_tables(operations)


def drop_indexes_with_their_tables(operations: ops.OpContainer) -> None:
    """Leave out "drop index" steps for tables the same migration drops.

    Dropping a table drops its indexes anyway, and MySQL refuses to drop an index that a
    foreign key still needs, so autogenerate's usual "drop index, then drop table" fails there.
    """
    dropped = {op.table_name for op in operations.ops if isinstance(op, ops.DropTableOp)}
    kept: list[ops.MigrateOperation] = []
    for op in operations.ops:
        if isinstance(op, ops.DropIndexOp) and op.table_name in dropped:
            continue
        if isinstance(op, ops.ModifyTableOps) and op.table_name in dropped:
            op.ops = [inner for inner in op.ops if not isinstance(inner, ops.DropIndexOp)]
            if not op.ops:
                continue
        kept.append(op)
    operations.ops = kept


def option(config: Config, name: str) -> Any:
    """A command-line option of the running ``alembic`` command, if it has one."""
    return getattr(config.cmd_opts, name, None)
