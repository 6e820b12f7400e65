"""What autogenerate writes for a table already in use: the form of each change that does
not block it, applied by env.py's ``process_revision_directives``.

A table the same revision creates is used by no one yet, so its changes are written as
autogenerate has them. For a table already there:

- PostgreSQL: an index is built and dropped CONCURRENTLY, outside the revision's
  transaction (``autocommit_block()``), after dropping what a failed build may have left
  under the same name; a foreign key or a CHECK constraint is added NOT VALID (a moment's
  lock) and validated in a transaction of its own (reads and writes go on); a UNIQUE
  constraint is built as a unique index CONCURRENTLY, then attached to the table
  (``ADD CONSTRAINT ... UNIQUE USING INDEX``). What runs outside the transaction blocks
  neither reads nor writes, so it runs without ``MIGRATION_STATEMENT_TIMEOUT``
  (``timeouts(statement=0)``): on a big table an index build takes as long as it needs,
  instead of failing at every run. An ``autocommit_block()`` commits what ran
  before it, so such a revision is written to be run again after it failed part-way: a
  constraint an earlier run left is dropped first, and what it creates is skipped when it
  is there already (``if_not_exists=True``).
- MySQL and MariaDB: a new index or UNIQUE constraint is asked for with
  ``ALGORITHM=INPLACE, LOCK=NONE``: reads and writes go on, and the server refuses
  rather than lock the table if it cannot.
- Everywhere: what has no safe form written for it (a NOT NULL column with no default, a
  column dropped or renamed, made NOT NULL; on MySQL a foreign key or a CHECK constraint,
  which copy the table) is written as autogenerate has it, under a comment that says so;
  the safety lint flags it with the safe way (docs/migrations.md, "Migrations on a live
  database").

The revision file holds plain ``op.`` calls and ``timeouts()``; nothing in it imports this
module.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from alembic.autogenerate import renderers
from alembic.autogenerate.api import AutogenContext
from alembic.autogenerate.rewriter import Rewriter
from alembic.operations import ops
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column
from sqlalchemy.engine import Dialect

REQUIRED_COLUMN = (
    "# Not safe on a table in use: the rows already there have no value for this NOT NULL",
    "# column. Add it nullable (or with a server_default), fill it, then make it NOT NULL.",
)
DROPPED_COLUMN = (
    "# Not safe while the release before this one runs: it may still read this column.",
    "# Drop it in a contract step, once the new code is live (docs/migrations.md).",
)
RENAMED_COLUMN = (
    "# Not safe while the release before this one runs: it reads the column by its old",
    "# name. Add the new column, copy the values, and drop the old one in a contract step.",
)
MADE_NOT_NULL = (
    "# Not safe on a table in use: it fails on a NULL, and on inserts of the release",
    "# before this one that leave the column out. Fill the NULLs first.",
)
MYSQL_COPIES_TABLE = (
    "# InnoDB copies the table for this, and writes wait until the copy is done: on a",
    "# big table, use an online schema change tool, or run it when the table is quiet.",
)
# The longest SQL string written on one line of a revision.
SQL_LINE = 70
INVALID_INDEX = "# Drop what a failed earlier build of this index may have left."
# Only what lets reads and writes go on runs outside the revision's transaction (CONCURRENTLY,
# VALIDATE): the statement time limit, there for statements that block, is lifted for it.
UNTIMED = "# Reads and writes go on meanwhile: no time limit, however big the table."
AUTOCOMMIT_BLOCK = "with op.get_context().autocommit_block(), timeouts(statement=0):"
TIMEOUTS = f"from {__name__.rsplit('.', 1)[0]}.timeouts import timeouts"
LEFTOVER_CONSTRAINT = "# Drop what a failed earlier run of this revision may have left."


class SafeForm(ops.MigrateOperation):
    """A change written in its safe form: comments, operations and ``op.execute`` calls,
    some inside ``op.get_context().autocommit_block()`` (autogenerate only: the revision
    file holds the code it renders to)."""

    def __init__(self, steps: Sequence[tuple[bool, ops.MigrateOperation | str]]) -> None:
        # (whether the step runs outside the revision's transaction, the step)
        self.steps = list(steps)
        self.original: ops.MigrateOperation | None = None  # the change autogenerate found

    @property
    def autocommits(self) -> bool:
        """Whether a step runs outside the revision's transaction."""
        return any(autocommit for autocommit, _ in self.steps)

    def to_diff_tuple(self) -> Any:
        """The change, as ``alembic check`` and ``compare_metadata`` report it."""
        if self.original is None:
            raise NotImplementedError("a SafeForm made outside write_safe_forms()")
        return self.original.to_diff_tuple()

    def reverse(self) -> ops.MigrateOperation:
        if self.original is None:
            raise NotImplementedError("a SafeForm made outside write_safe_forms()")
        return self.original.reverse()


@renderers.dispatch_for(SafeForm)
def render_safe_form(autogen_context: AutogenContext, form: SafeForm) -> list[str]:
    lines: list[str] = []
    in_block = False
    for autocommit, step in form.steps:
        if autocommit != in_block:
            lines.extend([UNTIMED, AUTOCOMMIT_BLOCK] if autocommit else [""])
            if autocommit:
                autogen_context.imports.add(TIMEOUTS)
            in_block = autocommit
        if isinstance(step, str):
            lines.append(step)
        else:
            rendered = renderers.dispatch(step)(autogen_context, step)
            lines.extend([rendered] if isinstance(rendered, str) else rendered)
    if in_block:
        lines.append("")  # the end of the block
    return lines


def write_safe_forms(
    migration_context: MigrationContext, revision: Any, directives: list[ops.MigrationScript]
) -> None:
    """For env.py's ``process_revision_directives``: each change to a table already in use
    in its safe form, for the database autogenerate compared with."""
    dialect = migration_context.dialect
    created: set[str] = set()  # the tables the operations at hand create
    upgrading = [True]
    rewriter = Rewriter()

    def existing(table: str | None) -> bool:
        return table is not None and table not in created

    @rewriter.rewrites(ops.UpgradeOps)
    @rewriter.rewrites(ops.DowngradeOps)
    def start(context: MigrationContext, revision: Any, container: Any) -> Any:
        created.clear()
        created.update(op.table_name for op in container.ops if isinstance(op, ops.CreateTableOp))
        upgrading[0] = isinstance(container, ops.UpgradeOps)
        return container

    @rewriter.rewrites(ops.MigrateOperation)
    def rewrite(context: MigrationContext, revision: Any, op: Any) -> Any:
        if not existing(getattr(op, "table_name", getattr(op, "source_table", None))):
            return op
        if dialect.name == "postgresql":
            form = on_postgresql(op, dialect)
        elif dialect.name in ("mysql", "mariadb"):
            form = on_mysql(op, dialect)
        else:
            form = None
        if form is None and upgrading[0]:
            form = commented(op, dialect)
        if form is None:
            return op
        form.original = op
        return form

    rewriter(migration_context, revision, directives)
    for script in directives:
        for operations in script.upgrade_ops_list:
            if any(form.autocommits for form in forms_in(operations.ops)):
                rerunnable(operations.ops)


def forms_in(operations: Sequence[Any]) -> Iterator[SafeForm]:
    """The safe forms among ``operations``, inside the per-table groups too."""
    for op in operations:
        if isinstance(op, SafeForm):
            yield op
        elif isinstance(op, ops.OpContainer):
            yield from forms_in(op.ops)


def rerunnable(operations: Sequence[Any]) -> None:
    """Make what creates something skip it when it is there already. A revision with an
    ``autocommit_block()`` commits as it goes, so when it fails part-way, what ran before
    stays, and running it again must not stop there."""
    for op in operations:
        if isinstance(op, SafeForm):
            rerunnable([step for _, step in op.steps if not isinstance(step, str)])
        elif isinstance(op, ops.OpContainer):
            rerunnable(op.ops)
        elif isinstance(op, ops.AddColumnOp | ops.CreateTableOp | ops.CreateIndexOp):
            op.if_not_exists = True


def on_postgresql(op: ops.MigrateOperation, dialect: Dialect) -> SafeForm | None:
    if isinstance(op, ops.CreateIndexOp):
        op.kw["postgresql_concurrently"] = True
        return SafeForm([*drop_invalid_index(str(op.index_name), dialect), (True, op)])
    if isinstance(op, ops.DropIndexOp):
        op.kw["postgresql_concurrently"] = True
        return SafeForm([(True, op)])
    if isinstance(op, ops.CreateUniqueConstraintOp) and op.constraint_name:
        name = str(op.constraint_name)
        index = ops.CreateIndexOp(
            str(op.constraint_name) if isinstance(op.constraint_name, str) else name,
            op.table_name,
            list(op.columns),
            schema=op.schema,
            unique=True,
            postgresql_concurrently=True,
        )
        attach = (
            f"ALTER TABLE {table(op.table_name, op.schema, dialect)} ADD CONSTRAINT "
            f"{quoted(name, dialect)} UNIQUE USING INDEX {quoted(name, dialect)}"
        )
        return SafeForm(
            [
                *drop_leftover_constraint(op.table_name, op.schema, name, dialect),
                *drop_invalid_index(name, dialect),
                (True, index),
                (False, execute(attach)),
            ]
        )
    if isinstance(op, ops.CreateForeignKeyOp | ops.CreateCheckConstraintOp) and op.constraint_name:
        op.kw["postgresql_not_valid"] = True
        source = op.source_table if isinstance(op, ops.CreateForeignKeyOp) else op.table_name
        schema = op.kw.get("source_schema") if isinstance(op, ops.CreateForeignKeyOp) else op.schema
        validate = (
            f"ALTER TABLE {table(source, schema, dialect)} VALIDATE CONSTRAINT "
            f"{quoted(str(op.constraint_name), dialect)}"
        )
        leftover = drop_leftover_constraint(source, schema, str(op.constraint_name), dialect)
        return SafeForm([*leftover, (False, op), (True, execute(validate))])
    return None


def on_mysql(op: ops.MigrateOperation, dialect: Dialect) -> SafeForm | None:
    online = "ALGORITHM=INPLACE, LOCK=NONE"
    if isinstance(op, ops.CreateIndexOp) and op.index_name and not op.kw and plain(op.columns):
        kind = "UNIQUE INDEX" if op.unique else "INDEX"
        return SafeForm(
            [
                (
                    False,
                    execute(
                        f"ALTER TABLE {table(op.table_name, op.schema, dialect)} ADD {kind} "
                        f"{quoted(str(op.index_name), dialect)} "
                        f"({columns(op.columns, dialect)}), {online}"
                    ),
                )
            ]
        )
    if isinstance(op, ops.CreateUniqueConstraintOp) and op.constraint_name and not op.kw:
        return SafeForm(
            [
                (
                    False,
                    execute(
                        f"ALTER TABLE {table(op.table_name, op.schema, dialect)} ADD CONSTRAINT "
                        f"{quoted(str(op.constraint_name), dialect)} "
                        f"UNIQUE ({columns(op.columns, dialect)}), {online}"
                    ),
                )
            ]
        )
    return None


def commented(op: ops.MigrateOperation, dialect: Dialect) -> SafeForm | None:
    """``op`` under a comment saying why it is not safe, when it is not."""
    comment: Sequence[str] = ()
    if isinstance(op, ops.AddColumnOp):
        column = op.column
        filled = column.server_default is not None or column.computed is not None
        if not column.nullable and not filled and column.identity is None:
            comment = REQUIRED_COLUMN
    elif isinstance(op, ops.DropColumnOp):
        comment = DROPPED_COLUMN
    elif isinstance(op, ops.AlterColumnOp):
        if op.modify_name is not None:
            comment = RENAMED_COLUMN
        elif op.modify_nullable is False and op.existing_nullable is not False:
            comment = MADE_NOT_NULL
    elif isinstance(op, ops.CreateForeignKeyOp | ops.CreateCheckConstraintOp) and dialect.name in (
        "mysql",
        "mariadb",
    ):
        comment = MYSQL_COPIES_TABLE
    if not comment:
        return None
    return SafeForm([*((False, line) for line in comment), (False, op)])


def drop_leftover_constraint(
    table_name: str, schema: str | None, name: str, dialect: Dialect
) -> list[tuple[bool, str]]:
    """Drop a constraint of ``name`` that an earlier run of the revision added before it
    failed (rows that fail VALIDATE, a lock timeout after an autocommit block committed
    it): autogenerate writes a new constraint only when the database has none of that
    name, so whatever is there under it is such a leftover."""
    return [
        (False, LEFTOVER_CONSTRAINT),
        (
            False,
            execute(
                f"ALTER TABLE {table(table_name, schema, dialect)} DROP CONSTRAINT IF EXISTS "
                f"{quoted(name, dialect)}"
            ),
        ),
    ]


def drop_invalid_index(name: str, dialect: Dialect) -> list[tuple[bool, str]]:
    """Drop an index of ``name``, left INVALID by a build that failed or was cancelled:
    autogenerate writes a new index only when the database has none of that name, so
    whatever is there under it is such a leftover."""
    return [
        (True, INVALID_INDEX),
        (True, execute(f"DROP INDEX CONCURRENTLY IF EXISTS {quoted(name, dialect)}")),
    ]


def execute(sql: str) -> str:
    """The ``op.execute`` call of ``sql``, split into strings that fit a line."""
    pieces = [""]
    for word in sql.split(" "):
        if pieces[-1] and len(pieces[-1]) + len(word) > SQL_LINE:
            pieces.append("")
        pieces[-1] += f"{word} "
    strings = [literal(piece) for piece in [*pieces[:-1], pieces[-1].rstrip()]]
    if len(strings) == 1:
        return f"op.execute({strings[0]})"
    return "\n".join(["op.execute(", *(f"    {string}" for string in strings), ")"])


def literal(text: str) -> str:
    """``text`` as a Python string, in double quotes as ruff formats it."""
    return f'"{text}"' if not {"'", '"', "\\"} & set(text) else repr(text)


def quoted(name: str, dialect: Dialect) -> str:
    return str(dialect.identifier_preparer.quote(name))


def table(name: str, schema: str | None, dialect: Dialect) -> str:
    return f"{quoted(schema, dialect)}.{quoted(name, dialect)}" if schema else quoted(name, dialect)


def plain(columns: Sequence[Any]) -> bool:
    """Whether ``columns`` are columns, not expressions."""
    return all(isinstance(column, str | Column) for column in columns)


def columns(names: Sequence[Any], dialect: Dialect) -> str:
    return ", ".join(
        quoted(name.name if isinstance(name, Column) else str(name), dialect) for name in names
    )
