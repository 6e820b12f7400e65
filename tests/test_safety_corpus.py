"""The safety lint flags the dangerous changes of the corpus (safety_corpus.py) and passes
the safe ones, on each engine, and each verdict of the corpus is what the real server shows.

One baked project per engine holds every case of that engine as a revision; the lint runs
once over all of them, and safety_verdicts.py runs each one alone on the server (SQLite:
a file), on tables with rows. The test prints, per engine, the share of dangerous cases
flagged and of safe cases flagged.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import scratch_database
from helpers import TEMPLATE, BakedProject
from safety_corpus import CASES, DANGERS, SAFE, Case
from test_migration_checks import Revision, add_revision, migrations_dir, write_head_file

FIRST = "3f9c2a1b7d40"
# The least the lint must catch, and the most false alarms it may raise, on each engine.
DANGEROUS_FLAGGED = 0.95
SAFE_FLAGGED = 0.05


@pytest.mark.parametrize("database", ["postgresql", "mysql", "sqlite"])
def test_the_lint_flags_the_dangerous_cases_and_passes_the_safe_ones(
    database: str, cookies: Any, project_venv: Path, tmp_path: Path
) -> None:
    answers = {"project_name": "Corpus", "database": database, "async": False}
    result = cookies.bake(extra_context=answers)
    project = BakedProject(result.project_path, project_venv, answers)
    cases = [case for case in CASES if database in case.verdicts]
    header = f"from {project.package}.migration_tools.timeouts import timeouts\n"
    revisions: dict[str, Case] = {}
    down = FIRST
    for number, case in enumerate(cases, start=1):
        body = indented(case.body_for(database))
        revision = add_revision(project, down, body, number=number, header=header, slug="case")
        revisions[revision.id] = case
        down = revision.id
    write_head_file(project, Revision(down, revision.file))

    flagged = lint_flags(project)
    facts = measured(project, database, list(revisions), tmp_path)

    wrong = []
    for revision, case in revisions.items():
        verdict = case.verdicts[database]
        if not agrees(verdict, facts[revision]):
            wrong.append(f"{case.name}: the corpus says {verdict}, the server shows {facts[revision]}")
    dangerous = [revision for revision, case in revisions.items() if case.verdicts[database] != SAFE]
    safe = [revision for revision in revisions if revision not in dangerous]
    caught = [revision for revision in dangerous if revision in flagged]
    false_alarms = [revision for revision in safe if revision in flagged]
    print(
        f"\n{database}: {len(caught)}/{len(dangerous)} dangerous flagged "
        f"({len(caught) / len(dangerous):.0%}), {len(false_alarms)}/{len(safe)} safe flagged "
        f"({len(false_alarms) / len(safe):.0%})"
    )
    for revision in dangerous:
        if revision not in caught:
            print(f"  missed: {revisions[revision].name}")
    for revision in false_alarms:
        print(f"  false alarm: {revisions[revision].name}: {flagged[revision]}")
    assert not wrong, "\n".join(wrong)
    assert len(caught) >= DANGEROUS_FLAGGED * len(dangerous)
    assert len(false_alarms) <= SAFE_FLAGGED * len(safe)


def indented(body: str) -> str:
    lines = "\n".join(f"    {line}" if line else "" for line in body.splitlines())
    return f"\n\ndef upgrade() -> None:\n{lines}\n\n\ndef downgrade() -> None:\n    pass\n"


def lint_flags(project: BakedProject) -> dict[str, list[str]]:
    """The rules the lint reports for each revision id, over the whole history at once."""
    result = project.run("python", "-m", f"{project.package}.migration_tools.safety", check=False)
    flagged: dict[str, list[str]] = {}
    for match in re.finditer(r"^\S*-([0-9a-f]{12})_case\.py(?:, line \d+)?: ([^\n]*)$", result.stdout, re.M):
        flagged.setdefault(match[1], []).append(match[2][:100])
    return flagged


def measured(project: BakedProject, database: str, revisions: list[str], tmp_path: Path) -> dict[str, Any]:
    """What the server shows each revision do, by safety_verdicts.py."""
    wanted, output = tmp_path / "revisions.json", tmp_path / "facts.json"
    wanted.write_text(json.dumps(revisions))
    with scratch_database(project, tmp_path) as url:
        target = str(tmp_path / "corpus.db") if database == "sqlite" else url
        script = TEMPLATE / "tests" / "safety_verdicts.py"
        project.run("python", script, project.package, database, target, wanted, output)
    facts: dict[str, Any] = json.loads(output.read_text())
    return facts


def agrees(verdict: str, facts: dict[str, Any]) -> bool:
    """Whether the server shows ``verdict``: the danger it names, or none at all."""
    if verdict != SAFE:
        return bool(facts.get(verdict))
    return not any(facts.get(danger) for danger in DANGERS if danger != "blocks_reads")
