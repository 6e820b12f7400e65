"""The baseline file, written as ``alembic revision`` writes one, and swapped in for the
revisions it replaces.

Alembic writes it (``ScriptDirectory.generate_revision``, from the project's
``script.py.mako``) in a scratch folder beside ``versions/``, and runs the project's
post-write hooks on it (ruff, in alembic.ini); it then takes the place of the squashed
files, keeping the date in the last one's name, so it still sorts first.
"""

from __future__ import annotations

import shutil
import tempfile
from argparse import Namespace
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory

from .. import head_file
from .history import Squashed
from .render import Rendered

HOOKS = "post_write_hooks"


@contextmanager
def written_baseline(
    config: Config, scripts: ScriptDirectory, squashed: Squashed, rendered: Rendered
) -> Iterator[Path]:
    """The baseline file, written in a scratch folder for as long as the context lasts."""
    folder = Path(scripts.dir)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".squash-") as scratch:
        shutil.copyfile(folder / "script.py.mako", Path(scratch, "script.py.mako"))
        Path(scratch, "versions").mkdir()
        staging = Config(cmd_opts=Namespace(quiet=True))
        staging.set_main_option("script_location", scratch)
        staging.set_main_option("path_separator", "os")
        staging.set_main_option("file_template", "%%(rev)s_%%(slug)s")
        # The project's hooks but the head file's, which is written once the swap is done.
        hooks = config.get_section(HOOKS, {})
        names = [name.strip() for name in hooks.get("hooks", "").split(",") if name.strip()]
        kept = [name for name in names if hooks.get(f"{name}.module") != head_file.__name__]
        for option, value in hooks.items():
            staging.set_section_option(HOOKS, option, value.replace("%", "%%"))
        staging.set_section_option(HOOKS, "hooks", ", ".join(kept))
        script = ScriptDirectory.from_config(staging).generate_revision(
            squashed.last.revision,
            f"Baseline: the revisions up to {squashed.last.revision}, squashed",
            head="base",
            upgrades=rendered.upgrades,
            downgrades=rendered.downgrades,
            imports="\n".join(sorted(rendered.imports)) + "\n" if rendered.imports else "",
        )
        assert script is not None and script.path is not None
        yield Path(script.path)


def baseline_name(squashed: Squashed) -> str:
    """The last squashed file's name, with ``squashed_baseline`` for its slug."""
    last, revision = Path(str(squashed.last.path)).name, squashed.last.revision
    date = last[: last.index(revision)] if revision in last else ""
    return f"{date}{revision}_squashed_baseline.py"


class Swap:
    """The squashed files moved aside and the baseline put in their place, until ``undo``."""

    def __init__(self, squashed: Squashed, baseline: Path, aside: Path) -> None:
        self.moved = [(file, aside / file.name) for file in squashed.files]
        self.baseline = squashed.files[-1].with_name(baseline_name(squashed))
        for file, kept in self.moved:
            shutil.move(file, kept)
        shutil.copyfile(baseline, self.baseline)

    def undo(self) -> None:
        self.baseline.unlink(missing_ok=True)
        for file, kept in self.moved:
            shutil.move(kept, file)
