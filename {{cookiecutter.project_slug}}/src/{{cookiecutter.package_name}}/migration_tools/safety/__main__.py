"""``python -m <package>.migration_tools.safety [REVISION_FILE ...]``: lint
these revisions, or all of them; exit 1 when something is unsafe, or a file given is not
a revision."""

from __future__ import annotations

import gc
import sys
from pathlib import Path

from alembic.script import ScriptDirectory

from ..config import read_config
from ..revision_files import unreadable_revision
from . import problems

# Everything imported so far lives as long as the lint: frozen, it is left out of the
# garbage collections that rendering many revisions sets off (a fifth of a long history's run).
gc.freeze()
paths = [Path(arg) for arg in sys.argv[1:]]
# A revision file Alembic cannot read is named with its line, as alembic and the tests do.
# With files named (pre-commit's way), only those are read: problems() names a broken one.
scripts = ScriptDirectory.from_config(read_config())  # Alembic reads the files once, kept here
unreadable = None if paths else unreadable_revision(scripts)
found = [unreadable] if unreadable else problems(paths or None, scripts)
if found:
    print("\n".join(found))
    sys.exit(1)
