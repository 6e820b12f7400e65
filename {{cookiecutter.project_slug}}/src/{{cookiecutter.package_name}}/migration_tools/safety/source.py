"""What the SQL does not say: the column as it was before ``op.alter_column`` changed it.

``ALTER TABLE ... MODIFY`` (MySQL) and ``ALTER COLUMN ... TYPE`` state only the new
column. Whether the change rewrites the table (a new type) or only widens it depends on
the old one, which the operation names (``existing_type=``, ``existing_nullable=``, as
autogenerate writes them). The rules ask for it here, by the line of the statement.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any, TypeGuard

from sqlalchemy.types import TypeEngine


@dataclass(frozen=True)
class ColumnChange:
    """What an ``alter_column`` call says of the column, before and after."""

    old_type: TypeEngine[Any] | None
    new_type: TypeEngine[Any] | None
    old_nullable: bool | None
    new_nullable: bool | None
    new_name: str | None


@cache
def syntax_tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def column_change(path: Path, module: ModuleType, line: int, column: str) -> ColumnChange | None:
    """The ``alter_column`` call of ``column`` at ``line`` of the revision, read: the call
    on that line, or one inside the batch block that starts there (a batch runs its
    operations when the block ends). None when there is none: SQL written by hand."""
    tree = syntax_tree(path)
    calls = [node for node in ast.walk(tree) if is_alter_column(node)]
    here = [call for call in calls if call.lineno <= line <= (call.end_lineno or call.lineno)]
    if not here:
        blocks = [
            node for node in ast.walk(tree) if isinstance(node, ast.With) and node.lineno == line
        ]
        here = [call for block in blocks for call in ast.walk(block) if is_alter_column(call)]
    named = [call for call in here if column_name(call) == column.lower()]
    if not named:
        return None
    keywords = {keyword.arg: keyword.value for keyword in named[-1].keywords if keyword.arg}

    def value(name: str) -> Any:
        node = keywords.get(name)
        if node is None:
            return None
        try:  # the expression as the revision evaluates it, with its own imports
            return eval(compile(ast.Expression(node), str(path), "eval"), vars(module))
        except Exception:
            return None

    def type_of(name: str) -> TypeEngine[Any] | None:
        found = value(name)
        if isinstance(found, type) and issubclass(found, TypeEngine):
            found = found()
        return found if isinstance(found, TypeEngine) else None

    new_name = value("new_column_name")
    return ColumnChange(
        old_type=type_of("existing_type"),
        new_type=type_of("type_"),
        old_nullable=value("existing_nullable"),
        new_nullable=value("nullable"),
        new_name=new_name if isinstance(new_name, str) else None,
    )


def is_alter_column(node: ast.AST) -> TypeGuard[ast.Call]:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "alter_column"
    )


def column_name(call: ast.Call) -> str | None:
    """The column ``op.alter_column(table, column)`` or ``batch_op.alter_column(column)``
    changes, when written as a string."""
    names = [arg.value for arg in call.args[:2] if isinstance(arg, ast.Constant)]
    column = names[-1] if names else None
    return column.lower() if isinstance(column, str) else None
