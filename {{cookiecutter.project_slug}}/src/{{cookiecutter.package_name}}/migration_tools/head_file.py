"""The head file, ``migrations/head.txt``: one tracked line naming the newest revision file.

Alembic rewrites it after writing each revision (``[post_write_hooks]`` in alembic.ini), so
two branches that each add a revision change the same line: git stops their merge with a
conflict, instead of production meeting two heads. The tests and pre-commit check that the
migrations have one head and that the file names it; neither needs a database::

    python -m <package>.migration_tools.head_file           # write it again
    python -m <package>.migration_tools.head_file --check   # one head, named by the file
"""

from __future__ import annotations

import sys
from pathlib import Path

from alembic.script import ScriptDirectory

from .config import read_config
from .revision_files import unreadable_revision


def head_file(scripts: ScriptDirectory) -> Path:
    return Path(scripts.dir) / "head.txt"


def head_file_text(scripts: ScriptDirectory) -> str:
    """What the head file should hold: the file name of each head, one per line."""
    heads = scripts.get_revisions("heads")
    return "".join(f"{Path(str(script.path)).name}\n" for script in heads if script)


def head_problem(scripts: ScriptDirectory, rewrite: str) -> str | None:
    """What is wrong with the heads and the head file, if anything; ``rewrite`` is the
    command that writes the file again."""
    unreadable = unreadable_revision(scripts)
    if unreadable:
        return unreadable
    heads = scripts.get_heads()
    if not heads:
        return 'No revisions yet: write the first with alembic revision --autogenerate -m "..."'
    if len(heads) > 1:
        return (
            f"The migrations have {len(heads)} heads ({', '.join(sorted(heads))}): join them "
            'with alembic merge heads -m "merge heads" (docs/migrations.md, "Two branches, '
            'two revisions")'
        )
    path = head_file(scripts)
    found = path.read_text() if path.is_file() and not path.is_symlink() else None
    wanted = head_file_text(scripts)
    if found != wanted:
        shown = "no file" if found is None else repr(found.strip())
        return (
            f"migrations/{path.name} names {shown}, but the head revision's file is "
            f"{wanted.strip()!r}: rewrite it with {rewrite}"
        )
    return None


def main(arguments: list[str]) -> int:
    scripts = ScriptDirectory.from_config(read_config())
    check = arguments == ["--check"]
    rewrite = f"python -m {__name__}"
    problem = head_problem(scripts, rewrite) if check else unreadable_revision(scripts)
    if problem:
        print(problem, file=sys.stderr)
        return 1
    if not check:
        path = head_file(scripts)
        if path.is_symlink():  # writing through a link would change the file it points at
            path.unlink()
        path.write_text(head_file_text(scripts))
    return 0


if __name__ == "__main__":
    # Alembic's post-write hook passes the new revision's file name: it is not needed.
    sys.exit(main([argument for argument in sys.argv[1:] if argument == "--check"]))
