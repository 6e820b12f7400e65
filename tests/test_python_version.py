"""Cookiecutter on a Python older than 3.10 stops with one line saying so, not a traceback.

Cookiecutter loads local_extensions.py first, before any prompt or hook, in the Python it is
installed in; the check at its top runs before anything that needs 3.10.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest
from filelock import FileLock
from helpers import CACHE, TEMPLATE, UV, run

PYENV_VERSIONS = Path(os.environ.get("PYENV_ROOT", "/root/.pyenv")) / "versions"


def load_extensions() -> ModuleType:
    spec = importlib.util.spec_from_file_location("local_extensions_under_test", TEMPLATE / "local_extensions.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("version", [(3, 9, 18), (3, 8, 0), (2, 7, 18)])
def test_an_old_python_is_refused_in_one_line(version: tuple[int, ...]) -> None:
    extensions = load_extensions()
    with pytest.raises(extensions.PythonTooOld) as refused:
        extensions.check_python(version)
    found = ".".join(map(str, version))
    assert str(refused.value).startswith(f"error: this template needs Python 3.10+, and cookiecutter runs on Python {found}")


@pytest.mark.parametrize("version", [(3, 10, 0), (3, 14, 0), tuple(sys.version_info)])
def test_python_3_10_and_newer_pass(version: tuple[int, ...]) -> None:
    load_extensions().check_python(version)


def python_3_9() -> Path | None:
    found = sorted(PYENV_VERSIONS.glob("3.9.*/bin/python"))
    return found[-1] if found else None


@pytest.mark.skipif(python_3_9() is None, reason="no Python 3.9 under pyenv")
def test_cookiecutter_on_python_3_9_says_what_it_needs(tmp_path: Path) -> None:
    """The real thing: cookiecutter (the last release for 3.9) run by Python 3.9."""
    venv = CACHE / "cookiecutter-python3.9"
    CACHE.mkdir(exist_ok=True)
    with FileLock(f"{venv}.lock"):
        if not (venv / ".complete").exists():
            run([UV, "venv", "--quiet", "--python", str(python_3_9()), venv], cwd=CACHE)
            run([UV, "pip", "install", "--quiet", "--python", venv / "bin" / "python", "cookiecutter"], cwd=CACHE)
            (venv / ".complete").touch()

    result = run([venv / "bin" / "cookiecutter", "--no-input", "--output-dir", tmp_path / "out", TEMPLATE],
                 cwd=tmp_path, check=False)

    assert result.returncode == 1
    assert result.stdout.splitlines()[0].startswith("error: this template needs Python 3.10+"), result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    assert not (tmp_path / "out").exists()
