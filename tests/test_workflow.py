"""The baked CI workflow: valid for GitHub Actions, with a service for the chosen engine."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from helpers import CHECK_JSONSCHEMA, run


@pytest.mark.parametrize("database", ["sqlite", "postgresql", "mysql"])
def test_workflow_runs_lint_types_and_tests(cookies: Any, database: str) -> None:
    project = cookies.bake(extra_context={"database": database, "python_version": "3.11"}).project_path
    path = project / ".github" / "workflows" / "ci.yml"
    workflow = yaml.safe_load(path.read_text())
    lint_steps = [step.get("run", "") for step in workflow["jobs"]["lint"]["steps"]]
    assert {"uv run ruff check .", "uv run ruff format --check .", "uv run mypy"} <= set(lint_steps)

    test_job = workflow["jobs"]["test"]
    assert test_job["strategy"]["matrix"]["python"] == ["3.11", "3.12", "3.13", "3.14"]
    assert "uv run pytest" in [step.get("run") for step in test_job["steps"]]
    # The previous-release check (a baked test) needs the tags and the main branch.
    checkout = next(step for step in test_job["steps"] if step.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0
    services = test_job.get("services", {})
    if database == "sqlite":
        assert services == {}
    else:
        assert len(services) == 1
        assert test_job["env"]["TEST_DATABASE_URL"].startswith(database)

    # The published JSON schema for workflows, shipped inside check-jsonschema.
    run([CHECK_JSONSCHEMA, "--builtin-schema", "vendor.github-workflows", path], cwd=project)
