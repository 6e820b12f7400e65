"""The benchmark (benchmarks/run.py) works end to end, at a size small enough for every run.

No timing is asserted: this only proves that it bakes, grows the history, installs, runs
both tools' checks to a pass (it stops on the first failure) and prints its table.
"""

from __future__ import annotations

import sys
from pathlib import Path

from filelock import FileLock
from helpers import CACHE, TEMPLATE, run


def test_benchmark_smoke_run_prints_the_table(tmp_path: Path) -> None:
    venv = CACHE / "benchmark-venv"  # kept between runs; rebuilt when its requirements change
    CACHE.mkdir(exist_ok=True)
    with FileLock(f"{venv}.lock"):
        result = run(
            [
                sys.executable,
                TEMPLATE / "benchmarks" / "run.py",
                *("--sizes", "3", "6", "--runs", "1"),
                *("--workdir", tmp_path, "--venv", venv),
            ],
            cwd=tmp_path,
        )

    table = (tmp_path / "results.md").read_text()
    assert table in result.stdout
    assert "| 3 |" in table
    assert "| 6 |" in table
    assert "| time(6) / time(3) |" in table
    # The grown project really has the history the table claims.
    versions = next((tmp_path / "n6").glob("*/src/*/migrations/versions"))
    assert len(list(versions.glob("0*.py"))) == 6
