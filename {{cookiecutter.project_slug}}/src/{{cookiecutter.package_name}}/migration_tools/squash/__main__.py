"""``python -m <package>.migration_tools.squash <revision>``: see the package's docstring."""

from __future__ import annotations

import sys

from alembic.util import CommandError

from .run import SquashRefused, squash


def main(arguments: list[str]) -> int:
    if len(arguments) != 1 or arguments[0].startswith("-"):
        print("usage: python -m <package>.migration_tools.squash <revision>", file=sys.stderr)
        return 2
    try:
        print(squash(arguments[0]))
    except (SquashRefused, CommandError) as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
