"""The safety rules for PostgreSQL: squawk, the PostgreSQL migration linter, reads the SQL
of each revision's upgrade() (https://squawkhq.com/docs/rules).

The SQL is rendered once for the whole history, as ``alembic upgrade base:heads --sql``
prints it, and cut at each revision. Each revision's part reaches squawk as env.py runs it:
inside a transaction, with the migration timeouts set. Which rules squawk skips is set in
.squawk.toml, with the reasons.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TypedDict

from alembic import command
from alembic.script import Script
from alembic.util import CommandError
from sqlalchemy import URL

from ..config import read_config
from ..timeouts import configured_timeouts
from .findings import Finding, finding

# Offline SQL starts each revision's part with this comment.
REVISION_START = re.compile(r"^-- Running upgrade .* -> (\w+)$", re.MULTILINE)


class SquawkFinding(TypedDict):
    """One finding of squawk's JSON report; lines count from 0."""

    file: str
    line: int
    line_end: int
    rule_name: str
    message: str
    help: str | None


def find_dangers(scripts: Sequence[Script]) -> Iterator[Finding]:
    """What squawk finds in the SQL of each of ``scripts``."""
    sql = sql_of_revisions()
    # What env.py runs first; squawk checks that every migration sets both timeouts.
    postgresql = URL.create("postgresql").get_dialect()()
    preamble = "".join(f"{line};\n" for line in ["BEGIN", *configured_timeouts(postgresql)])
    with tempfile.TemporaryDirectory() as folder:
        revision_of_file, lines_of_file = {}, {}
        for script in scripts:
            file = str(Path(folder) / f"{script.revision}.sql")
            text = f"{preamble}{sql.get(script.revision, '')}\nCOMMIT;\n"
            Path(file).write_text(text)
            revision_of_file[file], lines_of_file[file] = script, text.splitlines()
        for found in squawk(list(revision_of_file)):
            script = revision_of_file[found["file"]]
            lines = lines_of_file[found["file"]]
            operation = " ".join(lines[found["line"] : found["line_end"] + 1])
            yield finding(
                Path(str(script.path)),
                found["rule_name"],
                operation,
                why=found["message"],
                safe_way=found["help"] or "",
            )


def sql_of_revisions() -> dict[str, str]:
    """The offline SQL of every revision's upgrade(), by revision id."""
    config = read_config()
    config.output_buffer = io.StringIO()
    try:
        command.upgrade(config, "base:heads", sql=True)
    except CommandError as error:  # env.py words a revision's failure as one line
        raise SystemExit(f"The revisions cannot be rendered as SQL: {error}") from None
    parts = REVISION_START.split(config.output_buffer.getvalue())
    sql = dict(zip(parts[1::2], parts[2::2], strict=True))
    if sql:  # the last part ends with the run's own COMMIT
        last = parts[-2]
        sql[last] = sql[last].rstrip().removesuffix("COMMIT;")
    return sql


def squawk(files: list[str]) -> list[SquawkFinding]:
    """squawk's findings in ``files``, read from its JSON report."""
    executable = shutil.which("squawk", path=str(Path(sys.executable).parent)) or shutil.which(
        "squawk"
    )
    if executable is None:
        raise SystemExit("squawk is not installed: run make install (it is a dev dependency).")
    if not files:
        return []
    result = subprocess.run(
        [executable, "--reporter", "json", *files],
        capture_output=True,
        text=True,
        check=False,
        cwd=project_root(),
    )
    if result.returncode not in (0, 1):
        raise SystemExit(f"squawk failed: {result.stderr.strip()}")
    findings: list[SquawkFinding] = json.loads(result.stdout or "[]")
    return findings


def project_root() -> Path:
    """The directory of pyproject.toml (and .squawk.toml) above this file."""
    here = Path(__file__).resolve()
    return next((folder for folder in here.parents if (folder / "pyproject.toml").exists()), here)
