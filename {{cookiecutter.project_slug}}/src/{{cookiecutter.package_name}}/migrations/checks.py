"""Mistakes newcomers make with migrations, caught early with a message that says what to do.

env.py runs them (the revision ids for every ``alembic`` command, the models whenever a
revision is written or checked), and the tests reuse them. docs/migrations.md walks
through each situation.
"""

from __future__ import annotations

import pkgutil
import re
import sys
import warnings
from pathlib import Path
from types import ModuleType

from alembic.script import ScriptDirectory
from alembic.util import CommandError

# The lines ``revision: str = "0003"`` and ``down_revision: ... = "0002"`` of a revision file.
REVISION_LINE = re.compile(r"""^revision\b[^=]*=\s*["']([^"']+)["']""", re.MULTILINE)
DOWN_REVISION_LINE = re.compile(r"^down_revision\b[^=]*=(.*)$", re.MULTILINE)


def check_revision_ids(script: ScriptDirectory) -> None:
    """Fail when the revision files' ids do not fit together.

    Two files can claim the same id after merging two branches: each branch numbered its
    new revision one past the last one it had (naming.py), so both files say ``0003``.
    Alembic would keep one of them and silently ignore the other, and ``alembic merge
    heads`` cannot join them (it names what it joins by id). And a file can follow an id
    that no file has (a typo while renumbering), where Alembic fails with a bare KeyError.
    """
    # Alembic warns when it meets an id twice while reading the revisions, which the
    # command needs anyway: only then read the files again, to name the two.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            script.get_heads()
        except KeyError as error:
            raise unknown_down_revision(script, str(error.args[0])) from None
    if not any("is present more than once" in str(warning.message) for warning in caught):
        return
    files = revision_files(script)
    clashes = {revision: names for revision, names in files.items() if len(names) > 1}
    if not clashes:
        return
    revision, names = min(clashes.items())
    last = max(files, key=revision_number)
    following = f"{revision_number(last) + 1:04d}"
    raise CommandError(
        f"Two revision files claim id {revision}: {', '.join(names)}.\n"
        f"Renumber the one your branch added: rename it to {following}_..., and in it set "
        f'revision = "{following}" and down_revision = "{last}" '
        '(docs/migrations.md, "Two heads after a merge").'
    )


def unknown_down_revision(script: ScriptDirectory, missing: str) -> CommandError:
    """What to do when a revision file's ``down_revision`` is an id that no file has."""
    quoted = re.compile(rf"""["']{re.escape(missing)}["']""")
    culprits = []
    for path in sorted(Path(script.versions).glob("*.py")):
        line = DOWN_REVISION_LINE.search(path.read_text(encoding="utf-8"))
        if line and quoted.search(line.group(1)):
            culprits.append(path.name)
    others = [
        revision
        for revision, names in revision_files(script).items()
        if not set(names) & set(culprits)
    ]
    newest = max(others, key=revision_number, default=None)
    files = ", ".join(culprits) or "A revision file"
    return CommandError(
        f'{files} sets down_revision = "{missing}", '
        "but no revision file has that id: set it to the id of the revision it follows"
        + (f" (the newest other one is {newest})." if newest else ".")
    )


def revision_files(script: ScriptDirectory) -> dict[str, list[str]]:
    """The names of the revision files, under the id each one claims."""
    files: dict[str, list[str]] = {}
    for path in sorted(Path(script.versions).glob("*.py")):
        found = REVISION_LINE.search(path.read_text(encoding="utf-8"))
        if found:
            files.setdefault(found.group(1), []).append(path.name)
    return files


def several_heads_message(script: ScriptDirectory) -> str | None:
    """What to do when the revisions have more than one head; None when they have one."""
    heads = sorted(script.get_heads())
    if len(heads) < 2:
        return None
    last = max(revision_number(revision.revision) for revision in script.walk_revisions())
    return (
        f"The migrations have {len(heads)} heads ({', '.join(heads)}). Join them with a "
        f'merge revision: alembic merge heads --rev-id {last + 1:04d} -m "merge heads"'
    )


def check_models_imported(models: ModuleType) -> None:
    """Fail when a module of the models package is not imported by its ``__init__.py``.

    Autogenerate sees only the tables of models that were imported: it would miss a new
    model's table, or propose dropping the table of an existing one.
    """
    package = models.__name__
    missing = [
        f"{package}.{module.name}"
        for module in pkgutil.iter_modules(models.__path__)
        if f"{package}.{module.name}" not in sys.modules
    ]
    if missing:
        init = f"{package.replace('.', '/')}/__init__.py"
        raise CommandError(
            f"{', '.join(missing)} is not imported by {init}, so Alembic cannot see its "
            "tables: import its model classes there (and list them in __all__)."
        )


def revision_number(revision: str) -> int:
    """The number of a sequential revision id (``0003`` is 3); 0 for any other id."""
    return int(revision) if revision.isdigit() else 0
