"""The baked README's Python example runs as written."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from helpers import BakedProject


def test_using_the_database_example_runs(cookies: Any, project_venv: Path, tmp_path: Path) -> None:
    project = BakedProject(cookies.bake().project_path, project_venv, {})
    readme = (project.path / "README.md").read_text()
    example = re.search(r"## Using the database\n\n```python\n(.*?)```", readme, re.DOTALL)
    assert example is not None
    script = tmp_path / "example.py"
    script.write_text(
        example.group(1) + "\nwith new_session() as session:\n    print(session.query(User).one())\n"
    )
    database = {"DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}"}
    project.run("alembic", "upgrade", "head", **database)
    output = project.run("python", script, **database).stdout
    assert output.strip() == "User(id=1, name='Ada Lovelace')"
