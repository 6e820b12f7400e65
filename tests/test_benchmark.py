"""The benchmark (benchmarks/run.py) works end to end, at a size small enough for every run.

No timing is asserted: this only proves that it bakes, grows both histories, installs, runs
both tools' checks and the project's safety lint (squawk on PostgreSQL) to a pass, squashes
each history and migrates a fresh database before and after (it stops on the first
failure), and prints its tables, on SQLite and on a PostgreSQL server.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import server_url
from filelock import FileLock
from helpers import CACHE, TEMPLATE, run


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_benchmark_smoke_run_prints_the_table(database: str, tmp_path: Path) -> None:
    server = server_url(database)
    venv = CACHE / f"benchmark-venv-{database}"  # kept; rebuilt when its requirements change
    CACHE.mkdir(exist_ok=True)
    with FileLock(f"{venv}.lock"):
        result = run(
            [
                sys.executable,
                TEMPLATE / "benchmarks" / "run.py",
                *("--sizes", "3", "6", "--runs", "1"),
                *("--workdir", tmp_path, "--venv", venv),
                *(("--server", server) if server else ()),
            ],
            cwd=tmp_path,
        )

    table = (tmp_path / "results.md").read_text()
    assert table in result.stdout
    assert "| 3 |" in table
    assert "| 6 |" in table
    assert "| time(6) / time(3) |" in table
    # The lint alone is timed and reported, with its own growth with N.
    assert "| safety lint, s |" in table
    printed = result.stdout.splitlines()
    assert any(line.startswith("N=6 ") and "safety lint" in line for line in printed)
    growth = next(line for line in table.splitlines() if line.startswith("| time(6) / time(3) |"))
    assert growth.split("|")[-2].strip(), "no growth ratio for the safety lint"
    assert ("SQLite, temporary file" if server is None else "postgresql server") in table
    # The PostgreSQL project's lint runs squawk: the virtualenv has the pinned squawk-cli.
    assert ("squawk-cli" in table) == (server is not None)
    # The upgrade before and after a squash, on each history.
    for history in ("tables", "evolving"):
        assert f"| 6 | {history} |" in table
        assert any(line.startswith("N=6 ") and f"squashed ({history})" in line for line in printed)
    # The grown projects really have the histories the table claims.
    for folder in ("n6", "n6-evolving"):
        versions = next((tmp_path / folder).glob("*/src/*/migrations/versions"))
        assert len(list(versions.glob("2026_*.py"))) == 6
    evolving = next((tmp_path / "n6-evolving").glob("*/src/*/migrations/versions"))
    assert len(list(evolving.glob("*_add_item_01_f0a.py"))) == 1
