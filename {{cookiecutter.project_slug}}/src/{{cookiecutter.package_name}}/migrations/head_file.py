"""The head file, migrations/head.txt: one tracked line naming the newest revision file.

Alembic rewrites it after writing each revision (``[post_write_hooks]`` in alembic.ini), so
two branches that each add a revision change the same line: git stops their merge with a
conflict, instead of production meeting two heads. tests/test_migrations.py checks that it
names the one head. To rewrite it by hand::

    python -m {{ cookiecutter.package_name }}.migrations.head_file
"""

from __future__ import annotations

from pathlib import Path

from alembic.script import ScriptDirectory

from {{ cookiecutter.package_name }}.migrations.commands import alembic_config


def head_file(scripts: ScriptDirectory) -> Path:
    return Path(scripts.dir) / "head.txt"


def head_file_text(scripts: ScriptDirectory) -> str:
    """What the head file should hold: the file name of each head, one per line."""
    heads = scripts.get_revisions("heads")
    return "".join(f"{Path(str(script.path)).name}\n" for script in heads if script)


if __name__ == "__main__":
    scripts = ScriptDirectory.from_config(alembic_config())
    head_file(scripts).write_text(head_file_text(scripts))
