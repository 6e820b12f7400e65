"""No baked file touches Alembic's private internals: a baked project outlives any one
Alembic release, so it uses only public API (GUIDE.md, section 2; issue 11).

Private means: a module, class, function or attribute of Alembic whose name starts with an
underscore (``._version``, ``._transaction``, ``_ensure_version_table``), and the
undocumented classes and attributes the old migration steps leaned on.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import COMBINATIONS, combination_id

# Undocumented names, whatever their spelling.
UNDOCUMENTED = re.compile(r"\b(HeadMaintainer|MigrationStep|RevisionStep)\b|\bimpl\.memo\b")
# A private module or name reached through the alembic package itself:
# `import alembic._x`, `alembic.runtime._x`, `from alembic.x import a, _y`.
ALEMBIC_PATH = re.compile(r"\balembic(?:\.\w+)*\._\w+")
ALEMBIC_IMPORT = re.compile(r"^\s*from\s+alembic(?:\.\w+)*\s+import\s+(.*)$")
# An attribute (`thing._name`) or a name given as a string (`getattr(thing, "_name")`).
PRIVATE_ATTRIBUTE = re.compile(r"\.(_[A-Za-z]\w*)\b|[\"'](_[A-Za-z]\w*)[\"']")


@pytest.fixture(scope="session")
def alembic_private_names(project_venv: Path) -> frozenset[str]:
    """Every name with one leading underscore that Alembic defines: its modules, classes,
    functions, methods, and the attributes it assigns."""
    (package,) = project_venv.glob("lib/python*/site-packages/alembic")
    names = set()
    for path in package.rglob("*.py"):
        names.add(path.stem)
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names.add(node.attr)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
    private = {name for name in names if name.startswith("_") and not name.startswith("__")}
    # Sanity: the names the old migration steps used are among them.
    assert {"_version", "_transaction", "_ensure_version_table"} <= private
    return frozenset(private)


def private_uses(text: str, alembic_private: frozenset[str]) -> Iterator[tuple[int, str]]:
    """(line number, what) for each use of a private or undocumented Alembic name."""
    for number, line in enumerate(text.splitlines(), start=1):
        found = [match.group(0) for match in UNDOCUMENTED.finditer(line)]
        found += [match.group(0) for match in ALEMBIC_PATH.finditer(line)]
        imported = ALEMBIC_IMPORT.match(line)
        if imported:
            found += re.findall(r"\b_[A-Za-z]\w*", imported.group(1))
        found += [
            name
            for match in PRIVATE_ATTRIBUTE.finditer(line)
            for name in match.groups()
            if name in alembic_private
        ]
        for what in dict.fromkeys(found):
            yield number, what


def scan(root: Path, alembic_private: frozenset[str]) -> list[str]:
    """``file:line: name`` for every private Alembic name in the text files under root."""
    findings = []
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue  # not text
        for number, what in private_uses(text, alembic_private):
            findings.append(f"{path.relative_to(root)}:{number}: {what}")
    return findings


@pytest.mark.parametrize("answers", COMBINATIONS, ids=combination_id)
def test_baked_files_use_no_private_alembic_name(
    answers: dict[str, object], cookies: Any, alembic_private_names: frozenset[str]
) -> None:
    result = cookies.bake(extra_context=answers)
    assert result.exit_code == 0, result.exception
    root = result.project_path
    findings = scan(root, alembic_private_names)
    assert not findings, "Private Alembic names in the baked project:\n" + "\n".join(findings)
    # The scan reads the baked files: one private name added to env.py is found.
    env = next(root.glob("src/*/migrations/env*.py"))
    lines = env.read_text().splitlines()
    env.write_text("\n".join([*lines, "context.get_context()._version"]) + "\n")
    assert scan(root, alembic_private_names) == [
        f"{env.relative_to(root)}:{len(lines) + 1}: _version"
    ]


PRIVATE_USES = """\
from alembic import command, context
from alembic.runtime.migration import HeadMaintainer, MigrationContext
from alembic.runtime.migration import MigrationInfo, _ProxyTransaction
import alembic.util._compat
migration_context._ensure_version_table()
migration_context._version.delete()
context.get_context()._transaction = None
step = RevisionStep(revision_map, script, True)
migration_context.impl.memo.clear()
getattr(migration_context, "_in_connection_transaction")()
row._mapping["id"]
"""


def test_scan_names_each_private_use_with_its_file_and_line(
    tmp_path: Path, alembic_private_names: frozenset[str]
) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "steps.py").write_text(PRIVATE_USES)
    assert scan(tmp_path, alembic_private_names) == [
        "src/steps.py:2: HeadMaintainer",
        "src/steps.py:3: _ProxyTransaction",
        "src/steps.py:4: alembic.util._compat",
        "src/steps.py:5: _ensure_version_table",
        "src/steps.py:6: _version",
        "src/steps.py:7: _transaction",
        "src/steps.py:8: RevisionStep",
        "src/steps.py:9: impl.memo",
        "src/steps.py:10: _in_connection_transaction",
    ]
