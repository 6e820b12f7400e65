"""Revision files that Alembic cannot read, named with the line to fix.

Alembic reads every revision file before it runs any command that uses them: one file that
Python cannot run, or whose ``down_revision`` names a revision no file has, stops them all
with a traceback. ``unreadable_revision`` says instead which file and line, and env.py
(messages.py), the head file check and the tests all report it that way.
"""

from __future__ import annotations

import ast
import difflib
import re
import traceback
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import ModuleType

from alembic.script import ScriptDirectory

# The names in a revision file that point at other revisions, and that name it.
REFERENCES = ("down_revision", "depends_on")
NAMES = ("revision", "branch_labels")
# A revision file's id line, found without parsing the file.
ID_LINE = re.compile(r"""^revision\b[^=\n]*=\s*["']([^"']+)["']""", re.MULTILINE)


def unreadable_revision(scripts: ScriptDirectory) -> str | None:
    """Why the revision files cannot be read, in one line; None when they can.

    Reading them is what every command does first (Alembic keeps what it read), so this
    costs nothing more when they are fine.
    """
    with warnings.catch_warnings(record=True) as caught:
        # Alembic warns before it fails on a missing revision; the answer says it better.
        warnings.simplefilter("always")
        try:
            scripts.get_heads()
        except Exception as error:
            return explain_unreadable(error, scripts)
    for warning in caught:  # the run was fine: its warnings still count
        warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    return None


def explain_unreadable(error: Exception, scripts: ScriptDirectory) -> str:
    """What the revision files hold that made reading them fail with ``error``."""
    folder = Path(scripts.dir).resolve()
    if isinstance(error, SyntaxError) and error.filename and error.lineno:  # not run at all
        path = Path(error.filename)
        if is_revision_file(path, folder):
            return fix_line(path, error.lineno, f"{type(error).__name__}: {error.msg}")
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if is_revision_file(Path(frame.filename), folder)
    ]
    if frames and frames[-1].lineno:  # raised while Python ran the file's top level
        return fix_line(Path(frames[-1].filename), frames[-1].lineno, described(error))
    dangling = dangling_reference(folder)
    if dangling:
        return dangling
    return f"Alembic cannot read the revision files: {described(error)}"


def is_revision_file(path: Path, folder: Path) -> bool:
    """Whether ``path`` is a revision file of the migrations ``folder`` (not its env.py)."""
    path = path.resolve()
    return path.is_relative_to(folder) and path.name != "env.py" and path.suffix == ".py"


def fix_line(path: Path, line: int, what: str) -> str:
    return f"Fix line {line} of the revision file {path.name}: {what}"


def described(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def dangling_reference(folder: Path) -> str | None:
    """The first ``down_revision`` (or ``depends_on``) that names a revision no file has,
    with the id it most likely means."""
    files = list(revision_files(folder))
    known = {name for _, names, _ in files for name in names}
    for path, names, references in files:
        for name, line, target in references:
            if target in known:
                continue
            likely = difflib.get_close_matches(target, sorted(known - set(names)), n=1)
            hint = (
                f"did you mean {likely[0]!r}?"
                if likely
                else "write the id of the revision this one follows (its `revision` line)."
            )
            return (
                f"Fix line {line} of the revision file {path.name}: its {name} names "
                f"{target!r}, but no revision file has that id; {hint}"
            )
    return None


def revision_files(folder: Path) -> Iterator[tuple[Path, list[str], list[tuple[str, int, str]]]]:
    """Each revision file under ``folder``: its path, its id and branch labels, and the
    revisions it points at (which name, on which line, what id). Read, not run."""
    for path in sorted(folder.rglob("*.py")):
        if path.name == "env.py":
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        names: list[str] = []
        references: list[tuple[str, int, str]] = []
        for node in tree.body:
            target, value = assigned(node)
            if target in NAMES:
                names += literal_strings(value)
            elif target in REFERENCES:
                references += [(target, node.lineno, one) for one in literal_strings(value)]
        yield path, names, references


def literal_strings(value: object) -> list[str]:
    """A revision id, or a list or tuple of them, as a list."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [str(one) for one in value]
    return []


def assigned(node: ast.stmt) -> tuple[str | None, object]:
    """The name and literal value of a top-level ``name = value`` (annotated or not)."""
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target, value = node.targets[0], node.value
    elif isinstance(node, ast.AnnAssign) and node.value is not None:
        target, value = node.target, node.value
    else:
        return None, None
    if not isinstance(target, ast.Name):
        return None, None
    try:
        return target.id, ast.literal_eval(value)
    except (ValueError, TypeError, SyntaxError):
        return target.id, None


def dangling_reference_of(modules: Iterable[ModuleType], folder: Path) -> str | None:
    """What ``dangling_reference`` says when one of the revision ``modules`` points at an id
    no file of ``folder`` has; the whole folder is parsed only then."""
    ids = {
        found
        for path in folder.rglob("*.py")
        for found in ID_LINE.findall(path.read_text(encoding="utf-8", errors="replace"))
    }
    referenced = {
        target
        for module in modules
        for name in REFERENCES
        for target in literal_strings(getattr(module, name, None))
    }
    return dangling_reference(folder) if referenced - ids else None
