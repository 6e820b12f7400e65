"""A fix to what autogenerate writes, applied by env.py's ``process_revision_directives``."""

from __future__ import annotations

from alembic.operations import ops


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
