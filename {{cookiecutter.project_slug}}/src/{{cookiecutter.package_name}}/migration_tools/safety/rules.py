"""The safety rules for SQLite, MySQL and MariaDB, read from the operations in each
revision's upgrade().

They flag what breaks a database in use: a required column the running release does not
fill, and a column or table dropped, renamed or retyped while that release still uses it.
(PostgreSQL projects hand each revision's SQL to squawk instead, which has more rules.)
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from alembic.script import Script

from .findings import Finding, finding

# op.<name>(...) and batch_op.<name>(...) calls, and the rule each one breaks.
RULE_OF_CALL = {
    "drop_column": "ban-drop-column",
    "drop_table": "ban-drop-table",
    "rename_table": "renaming-table",
}
# The same, written as SQL in op.execute("...").
RULE_OF_SQL = {
    re.compile(r"\bDROP\s+COLUMN\b", re.IGNORECASE): "ban-drop-column",
    re.compile(r"\bDROP\s+TABLE\b", re.IGNORECASE): "ban-drop-table",
    re.compile(r"\bRENAME\s+COLUMN\b", re.IGNORECASE): "renaming-column",
    re.compile(r"\bRENAME\s+(TABLE|TO)\b", re.IGNORECASE): "renaming-table",
}


def find_dangers(scripts: Sequence[Script]) -> Iterator[Finding]:
    """The dangerous operations in the upgrade() of each of ``scripts``."""
    for script in scripts:
        path = Path(str(script.path))
        source = path.read_text(encoding="utf-8")
        upgrade = next(
            (
                node
                for node in ast.parse(source).body
                if isinstance(node, ast.FunctionDef) and node.name == "upgrade"
            ),
            None,
        )
        if upgrade is None:
            continue
        created = tables_created(upgrade)
        for call in sorted(calls(upgrade), key=lambda call: (call.lineno, call.col_offset)):
            for rule in rules_broken(call, created):
                yield finding(path, rule, ast.get_source_segment(source, call) or "")


def calls(function: ast.FunctionDef) -> Iterator[ast.Call]:
    return (node for node in ast.walk(function) if isinstance(node, ast.Call))


def name_of(call: ast.Call) -> str:
    """``drop_column`` for ``op.drop_column(...)`` and ``batch_op.drop_column(...)``."""
    function = call.func
    if isinstance(function, ast.Attribute):
        return function.attr
    return function.id if isinstance(function, ast.Name) else ""


def keywords_of(call: ast.Call) -> dict[str, ast.expr]:
    """The keyword arguments of ``call``, by name."""
    return {keyword.arg: keyword.value for keyword in call.keywords if keyword.arg}


def tables_created(function: ast.FunctionDef) -> set[str]:
    """Tables this upgrade() creates: a required column added to one of them is no danger."""
    return {
        call.args[0].value
        for call in calls(function)
        if name_of(call) == "create_table"
        and call.args
        and isinstance(call.args[0], ast.Constant)
        and isinstance(call.args[0].value, str)
    }


def rules_broken(call: ast.Call, created: set[str]) -> Iterator[str]:
    name = name_of(call)
    keywords = keywords_of(call)
    if name in RULE_OF_CALL:
        yield RULE_OF_CALL[name]
    elif name == "alter_column":
        if "new_column_name" in keywords:
            yield "renaming-column"
        if "type_" in keywords:
            yield "changing-column-type"
    elif name == "add_column":
        table = call.args[0] if len(call.args) == 2 else None  # batch_op.add_column(column)
        new_table = isinstance(table, ast.Constant) and table.value in created
        columns = [arg for arg in call.args if isinstance(arg, ast.Call)]
        if not new_table and any(is_required(column) for column in columns):
            yield "adding-required-field"
    elif name == "execute":
        sql = " ".join(
            arg.value
            for arg in ast.walk(call)
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
        )
        yield from (rule for pattern, rule in RULE_OF_SQL.items() if pattern.search(sql))


def is_required(column: ast.Call) -> bool:
    """Whether ``sa.Column(...)`` is NOT NULL without a server default."""
    keywords = keywords_of(column)
    not_null = is_constant(keywords.get("nullable"), False) or (
        "nullable" not in keywords and is_constant(keywords.get("primary_key"), True)
    )
    default = keywords.get("server_default")
    return not_null and (default is None or is_constant(default, None))


def is_constant(node: ast.expr | None, value: object) -> bool:
    return isinstance(node, ast.Constant) and node.value is value
