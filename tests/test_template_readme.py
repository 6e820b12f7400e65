"""The template README's promises about running its tests: the disk they take is as stated,
and a run without the database servers says, in its last line, what it skipped and how to
run it."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest
from helpers import TEMPLATE, run


def disk_usage(root: Path) -> int:
    """Bytes under ``root``, each file once however many hard links it has (as du counts)."""
    seen: set[int] = set()
    total = 0
    for folder, _dirs, names in os.walk(root):
        for name in names:
            stat = os.lstat(os.path.join(folder, name))
            if stat.st_ino not in seen:
                seen.add(stat.st_ino)
                total += stat.st_blocks * 512
    return total


@pytest.mark.parametrize("folder", [".venv", ".cache"])
def test_readme_states_the_disk_the_tests_take(folder: str) -> None:
    readme = (TEMPLATE / "README.md").read_text()
    assert re.search(r"take about [\d ]+(to \d+ )?minutes on an idle 2-core machine", readme)
    stated = re.search(rf"`{re.escape(folder)}/?` \(about (\d+) MB", readme)
    assert stated is not None, f"the README says how much disk {folder} takes"
    if not (TEMPLATE / folder).is_dir():
        pytest.skip(f"no {folder} here to measure")
    measured = disk_usage(TEMPLATE / folder) / 1e6
    assert measured < 2 * int(stated.group(1)), f"{folder}: {measured:.0f} MB, the README says about {stated.group(1)} MB"


SERVER_TESTS = """
import pytest
from conftest import server_url


@pytest.mark.parametrize("database", ["sqlite", "postgresql", "mysql"])
def test_on_a_server(database):
    server_url(database)
"""


def test_a_run_without_the_server_variables_ends_saying_what_it_skipped(tmp_path: Path) -> None:
    """`make test` with the servers running but the variables unset passed with 114 tests
    skipped, the reason two sections below the set-up commands. The template's conftest.py,
    on a tiny suite of its own, run the way `make test` runs it (in parallel)."""
    (tmp_path / "test_servers.py").write_text(SERVER_TESTS)
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("TEST_POSTGRESQL_URL", "TEST_MYSQL_URL", "STRICT_TEMPLATE_TESTS", "PYTEST_ADDOPTS")
    }
    env["PYTHONPATH"] = str(TEMPLATE / "tests")

    result = run(
        [sys.executable, "-m", "pytest", "-p", "conftest", "-p", "no:cacheprovider", "-n", "2",
         "-c", os.devnull, "--rootdir", tmp_path, "test_servers.py"],
        cwd=tmp_path,
        env=env,
    )

    last = result.stdout.rstrip().splitlines()[-1]
    assert last == (
        "2 tests skipped: they need a PostgreSQL and a MySQL server; "
        "set TEST_POSTGRESQL_URL and TEST_MYSQL_URL to run them (see the README)."
    ), result.stdout
    readme = (TEMPLATE / "README.md").read_text()
    assert "export TEST_POSTGRESQL_URL=" in readme and "export TEST_MYSQL_URL=" in readme
