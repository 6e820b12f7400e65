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
from typing import Any

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


def column_change(path: Path, module: ModuleType, line: int) -> ColumnChange | None:
    """The ``alter_column`` call at ``line`` of the revision, read; None when there is
    none (the statement came from SQL written by hand)."""
    calls = [
        node
        for node in ast.walk(syntax_tree(path))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "alter_column"
        and node.lineno <= line <= (node.end_lineno or node.lineno)
    ]
    if not calls:
        return None
    keywords = {keyword.arg: keyword.value for keyword in calls[-1].keywords if keyword.arg}

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
