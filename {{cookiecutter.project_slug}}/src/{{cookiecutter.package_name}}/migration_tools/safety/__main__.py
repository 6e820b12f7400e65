"""``python -m <package>.migration_tools.safety [REVISION_FILE ...]``: lint
these revisions, or all of them; exit 1 when something is unsafe, or a file given is not
a revision."""

from __future__ import annotations

import sys
from pathlib import Path

from . import problems

found = problems([Path(argument) for argument in sys.argv[1:]] or None)
if found:
    print("\n".join(found))
    sys.exit(1)
