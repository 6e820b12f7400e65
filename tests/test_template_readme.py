"""The template README's promises about running its tests: the disk they take is as stated."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from helpers import TEMPLATE


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
