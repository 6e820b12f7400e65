"""Yes/no questions mean what their answer says, however it arrives: `"async": "false"` in a
replay file, `async: 0` or `no` in a config file, `async=off` on the command line all bake
the sync project, in every file and in the post-gen hook's choice of variant files. An
answer that is neither yes nor no is refused with one line, before anything is written."""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from cookiecutter.main import cookiecutter
from helpers import TEMPLATE, replay_context, run

YES = [True, 1, "true", "True", "yes", "y", "1", "on"]
NO = [False, 0, "false", "FALSE", "no", "n", "0", "off"]
NEITHER = ["maybe", "", 2, None, "nope"]


def is_async(project: Path) -> bool:
    """Whether the bake is the async project; fails if its files disagree with each other."""
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    from_dependencies = any(name.startswith("aiosqlite") for name in pyproject["project"]["dependencies"])
    (db,) = project.glob("src/*/db.py")
    from_variant_files = "create_async_engine" in db.read_text()
    assert from_dependencies == from_variant_files, "templates and post-gen hook disagree"
    return from_variant_files


@pytest.fixture(scope="module")
def recorded_replay(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return replay_context(tmp_path_factory.mktemp("replay"))


def replay(recorded: dict[str, Any], value: object, tmp_path: Path) -> Path:
    """Replay a recorded bake with ``async`` edited to ``value``; the output directory."""
    context = json.loads(json.dumps(recorded))
    context["cookiecutter"]["async"] = value
    replay_file = tmp_path / "edited.json"
    replay_file.write_text(json.dumps(context))
    output = tmp_path / "out"
    cookiecutter(str(TEMPLATE), replay=str(replay_file), output_dir=str(output))
    (project,) = output.iterdir()
    return project


@pytest.mark.parametrize(("value", "expected"), [*((v, True) for v in YES), *((v, False) for v in NO)], ids=repr)
def test_replay_file_answer_is_read_as_yes_or_no(
    value: object, expected: bool, recorded_replay: dict[str, Any], tmp_path: Path
) -> None:
    assert is_async(replay(recorded_replay, value, tmp_path)) == expected


def config_bake(value: str, tmp_path: Path, *extra: str) -> tuple[int, list[str], Path]:
    """Bake with ``async: <value>`` (YAML as written) in a user config file."""
    config = tmp_path / "config.yaml"
    config.write_text(f"default_context:\n  async: {value}\n")
    output = tmp_path / "out"
    result = run(
        [sys.executable, "-m", "cookiecutter", "--no-input", "--config-file", config, "-o", output, TEMPLATE, *extra],
        cwd=tmp_path,
        check=False,
    )
    return result.returncode, (result.stdout + result.stderr).splitlines(), output


@pytest.mark.parametrize(
    ("written", "expected"),
    [("0", False), ("no", False), ("off", False), ("false", False), ('"false"', False), ("'0'", False),
     ("1", True), ("yes", True), ("on", True), ("true", True), ('"yes"', True)],
)
def test_config_file_answer_is_read_as_yes_or_no(written: str, expected: bool, tmp_path: Path) -> None:
    status, lines, output = config_bake(written, tmp_path)
    assert status == 0, lines
    (project,) = output.iterdir()
    assert is_async(project) == expected


@pytest.mark.parametrize("written", ["2", "~", "0.5"])
def test_config_file_answer_that_is_neither_is_refused_in_one_line(written: str, tmp_path: Path) -> None:
    status, lines, output = config_bake(written, tmp_path)
    assert status == 1
    assert len(lines) == 1 and lines[0].startswith("error: async: "), lines
    assert not output.exists()


@pytest.mark.parametrize(("written", "expected"), [("off", False), ("no", False), ("on", True)])
def test_command_line_answer_is_read_as_yes_or_no(written: str, expected: bool, tmp_path: Path) -> None:
    baked = cookiecutter(str(TEMPLATE), no_input=True, extra_context={"async": written}, output_dir=str(tmp_path))
    project = Path(baked)
    assert is_async(project) == expected


@pytest.mark.parametrize("value", NEITHER, ids=repr)
def test_replay_file_answer_that_is_neither_is_refused_in_one_line(
    value: object, recorded_replay: dict[str, Any], tmp_path: Path
) -> None:
    context = json.loads(json.dumps(recorded_replay))
    context["cookiecutter"]["async"] = value
    replay_file = tmp_path / "edited.json"
    replay_file.write_text(json.dumps(context))
    output = tmp_path / "out"
    result = run(
        [sys.executable, "-m", "cookiecutter", "--replay-file", replay_file, "-o", output, TEMPLATE],
        cwd=tmp_path,
        check=False,
    )
    lines = (result.stdout + result.stderr).splitlines()
    assert result.returncode == 1
    assert len(lines) == 1 and lines[0].startswith("error: async: "), lines
    assert not output.exists()
