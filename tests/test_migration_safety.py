"""The baked project's migration safety lint flags what is dangerous on a live database, on
each engine, passes the safe way of doing the same, and accepts a finding only by a waiver
that gives a reason.

Each test bakes a project, adds a chain of revisions (one per case), and runs the lint as a
team does: ``python -m <package>.migration_tools.safety``, the test in tests/test_migrations.py,
and the pre-commit hook on the revisions a commit changes. PostgreSQL's rules are squawk's,
so its cases run squawk for real; MySQL and SQLite have the project's own rules.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from helpers import BakedProject, run
from test_migration_checks import Revision, add_history, migrations_dir
from test_pre_commit import without_virtualenv

DATABASES = ["sqlite", "postgresql", "mysql"]

ADD_REQUIRED_COLUMN = 'op.add_column("users", sa.Column("age", sa.Integer(), nullable=False))'
DROP_COLUMN = 'op.drop_column("users", "name")'
DROP_TABLE = 'op.drop_table("users")'
RENAME_COLUMN = 'op.alter_column("users", "name", new_column_name="full_name")'
RENAME_TABLE = 'op.rename_table("users", "people")'
CHANGE_TYPE = 'op.alter_column("users", "name", type_=sa.String(80))'

# (what upgrade() does, the rule it breaks); the same dangers on every engine.
DANGERS_EVERYWHERE = [
    (ADD_REQUIRED_COLUMN, "adding-required-field"),
    (DROP_COLUMN, "ban-drop-column"),
    (DROP_TABLE, "ban-drop-table"),
    (RENAME_COLUMN, "renaming-column"),
    (RENAME_TABLE, "renaming-table"),
    (CHANGE_TYPE, "changing-column-type"),
]
# Only PostgreSQL's rules see locks: these are harmless, or not a choice, elsewhere.
DANGERS_ON_POSTGRESQL = [
    ('op.create_index("ix_users_name", "users", ["name"])', "require-concurrent-index-creation"),
    (
        'op.create_check_constraint("ck_users_name", "users", "length(name) > 0")',
        "constraint-missing-not-valid",
    ),
    ('op.alter_column("users", "name", nullable=False)', "adding-not-nullable-field"),
]
DANGERS = {
    "sqlite": DANGERS_EVERYWHERE,
    "mysql": DANGERS_EVERYWHERE,
    "postgresql": DANGERS_EVERYWHERE + DANGERS_ON_POSTGRESQL,
}

# The safe way of each danger above, one revision each.
SAFE_EVERYWHERE = [
    # A new column: nullable, or with a server default for the rows already there.
    'op.add_column("users", sa.Column("age", sa.Integer(), nullable=True))',
    'op.add_column("users", sa.Column("score", sa.Integer(), nullable=False, server_default="0"))',
    # Expand: a new column beside the old one, filled from it.
    'op.add_column("users", sa.Column("full_name", sa.String(80), nullable=True))\n    '
    'op.execute("UPDATE users SET full_name = name")',
    # Contract, a release later: the drop carries its reason.
    "# migration-safety: allow ban-drop-column -- no release reads users.name since 1.4\n    "
    + DROP_COLUMN,
]
SAFE_ON_POSTGRESQL = [
    # An index built CONCURRENTLY, outside the migration's transaction.
    "with op.get_context().autocommit_block():\n        "
    'op.create_index("ix_users_age", "users", ["age"], postgresql_concurrently=True)',
    # A check added NOT VALID, then validated in its own transaction.
    'op.create_check_constraint("ck_users_age", "users", "age >= 0", postgresql_not_valid=True)\n'
    "    with op.get_context().autocommit_block():\n"
    '        op.execute("ALTER TABLE users VALIDATE CONSTRAINT ck_users_age")',
]
# A required column of a table the same revision creates (squawk flags it: on PostgreSQL,
# write the column into create_table, as autogenerate does).
NEW_TABLE_WITH_REQUIRED_COLUMN = (
    'op.create_table("pets", sa.Column("id", sa.Integer(), primary_key=True))\n    '
    'op.add_column("pets", sa.Column("kind", sa.String(20), nullable=False))'
)
SAFE = {
    "sqlite": [*SAFE_EVERYWHERE, NEW_TABLE_WITH_REQUIRED_COLUMN],
    "mysql": [*SAFE_EVERYWHERE, NEW_TABLE_WITH_REQUIRED_COLUMN],
    "postgresql": SAFE_EVERYWHERE + SAFE_ON_POSTGRESQL,
}


@pytest.fixture
def project(request: pytest.FixtureRequest, cookies: Any, project_venv: Path) -> BakedProject:
    answers = {"project_name": "Safety Demo", "database": request.param, "async": False}
    result = cookies.bake(extra_context=answers)
    assert result.exit_code == 0, result.exception
    return BakedProject(result.project_path, project_venv, answers)


def upgrade(*lines: str) -> str:
    """A revision body whose upgrade() runs ``lines`` and whose downgrade() does nothing
    (the lint reads only upgrade())."""
    statements = "\n    ".join(lines)
    return f"\n\ndef upgrade() -> None:\n    {statements}\n\n\ndef downgrade() -> None:\n    pass\n"


def lint(project: BakedProject, *files: str) -> tuple[int, str]:
    """Run the lint on ``files`` (every revision when none), as a team does."""
    paths = [migrations_dir(project) / "versions" / file for file in files]
    result = project.run("python", "-m", f"{project.package}.migration_tools.safety", *paths, check=False)
    return result.returncode, result.stdout + result.stderr


def rules_flagged(output: str, revision: Revision) -> set[str]:
    """The rules the lint reported for ``revision``."""
    pattern = re.compile(rf"^\S*{re.escape(revision.file)}: ([a-z0-9-]+): ", re.MULTILINE)
    return set(pattern.findall(output))


@pytest.mark.parametrize("project", DATABASES, indirect=True)
def test_each_danger_is_flagged_with_its_rule_and_the_safe_way(project: BakedProject) -> None:
    dangers = DANGERS[project.database]
    history = add_history(project, *(upgrade(operation) for operation, _ in dangers))

    status, output = lint(project)

    assert status == 1, output
    for revision, (operation, rule) in zip(history, dangers, strict=True):
        assert rules_flagged(output, revision) == {rule}, f"{operation}:\n{output}"
    # Each finding says why, and the safe way, pointing at the lesson.
    assert output.count("\n  why: ") == len(dangers), output
    assert output.count('(docs/migrations.md, "Migrations on a live database")') == len(dangers)


@pytest.mark.parametrize("project", DATABASES, indirect=True)
def test_the_safe_way_passes(project: BakedProject) -> None:
    add_history(project, *(upgrade(operations) for operations in SAFE[project.database]))

    status, output = lint(project)
    assert (status, output) == (0, ""), output


@pytest.mark.parametrize("project", DATABASES, indirect=True)
def test_a_waiver_needs_a_reason(project: BakedProject) -> None:
    explained, unexplained, unused = add_history(
        project,
        upgrade("# migration-safety: allow ban-drop-table -- the release before stopped using it",
                DROP_TABLE),
        upgrade("# migration-safety: allow ban-drop-table", DROP_TABLE),
        upgrade("# migration-safety: allow ban-drop-table -- just in case", "pass"),
    )

    status, output = lint(project, explained.file)
    assert (status, output) == (0, ""), output
    status, output = lint(project, unexplained.file)
    assert status == 1
    assert f"{unexplained.file}, line 17: the waiver of ban-drop-table gives no reason" in output
    assert rules_flagged(output, unexplained) == {"ban-drop-table"}, output
    status, output = lint(project, unused.file)
    assert status == 1
    assert f"{unused.file}, line 17: waives ban-drop-table, which this revision does not" in output


@pytest.mark.parametrize("project", ["sqlite", "postgresql"], indirect=True)
def test_the_project_tests_fail_on_a_dangerous_revision(project: BakedProject) -> None:
    (revision,) = add_history(project, upgrade(DROP_COLUMN))

    result = project.run(
        "pytest", "-p", "no:cacheprovider", "-q", "tests/test_migrations.py",
        "-k", "safe_on_a_live_database", check=False,
    )

    assert "1 failed" in result.stdout, result.stdout
    assert f"{revision.file}: ban-drop-column: " in result.stdout, result.stdout


@pytest.mark.parametrize("project", ["postgresql"], indirect=True)
def test_pre_commit_lints_only_the_revisions_a_commit_changes(
    project: BakedProject, project_venv: Path, tmp_path: Path
) -> None:
    run(["git", "init", "-q"], cwd=project.path)
    (project.path / ".venv").symlink_to(project_venv, target_is_directory=True)
    with (project.path / ".git" / "info" / "exclude").open("a") as exclude:
        exclude.write(".venv\n")
    old, new = add_history(project, upgrade(DROP_COLUMN), upgrade(RENAME_TABLE))
    new_file = (migrations_dir(project) / "versions" / new.file).relative_to(project.path)
    run(["git", "add", "-A", f":!{new_file}"], cwd=project.path)
    env = without_virtualenv(project.env(PRE_COMMIT_HOME=str(tmp_path / "home")), project_venv)
    hook = [project.path / ".venv" / "bin" / "pre-commit", "run", "migration-safety"]

    commit = ["git", "-c", "user.name=Dev", "-c", "user.email=dev@example.com", "commit"]
    run([*commit, "-q", "--no-verify", "-m", "old"], cwd=project.path, env=env)
    run(["git", "add", str(new_file)], cwd=project.path)
    result = run(hook, cwd=project.path, env=env, check=False)

    assert result.returncode == 1, result.stdout
    assert rules_flagged(result.stdout, new) == {"renaming-table"}, result.stdout
    assert old.file not in result.stdout, result.stdout
