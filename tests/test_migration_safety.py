"""The baked project's migration safety lint flags what is dangerous on a live database, on
each engine, passes the safe way of doing the same, and accepts a finding only by a waiver
that gives a reason.

Each test bakes a project, adds a chain of revisions (one per case), and runs the lint as a
team does: ``python -m <package>.migration_tools.safety``, the test in tests/test_migrations.py,
and the pre-commit hook on the revisions a commit changes. The lint reads the SQL each
revision runs; on PostgreSQL squawk reads it too, for real. test_safety_corpus.py measures
how much of a large corpus it gets right.
"""

from __future__ import annotations

import re
import resource
from pathlib import Path
from typing import Any

import pytest
from helpers import BakedProject, run
from test_migration_checks import (
    FIRST,
    Revision,
    add_history,
    add_revision,
    migrations_dir,
    write_head_file,
)
from test_pre_commit import without_virtualenv

DATABASES = ["sqlite", "postgresql", "mysql"]

ADD_REQUIRED_COLUMN = 'op.add_column("users", sa.Column("age", sa.Integer(), nullable=False))'
DROP_COLUMN = 'op.drop_column("users", "name")'
DROP_TABLE = 'op.drop_table("users")'
RENAME_COLUMN = (
    'op.alter_column("users", "name", new_column_name="full_name", existing_type=sa.String(50))'
)
RENAME_TABLE = 'op.rename_table("users", "people")'
CHANGE_TYPE = 'op.alter_column("users", "name", type_=sa.Integer(), existing_type=sa.String(50))'

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
    # Expand: a new column beside the old one, filled from it in a transaction of its own.
    'op.add_column("users", sa.Column("full_name", sa.String(80), nullable=True))\n    '
    "with op.get_context().autocommit_block():\n        "
    'op.execute("UPDATE users SET full_name = name")',
    # A longer VARCHAR: rewrites nothing anywhere (SQLite's batch mode copies the table).
    'op.alter_column("users", "name", type_=sa.String(60), existing_type=sa.String(50))',
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
    # A value appended to an enum (the lesson's own), an index renamed, type changes that
    # rewrite nothing.
    "with op.get_context().autocommit_block():\n        "
    "op.execute(\"ALTER TYPE mood ADD VALUE 'soso'\")",
    'op.execute("ALTER INDEX ix_users_name RENAME TO ix_users_full_name")',
    'op.alter_column("users", "name", type_=sa.Text(), existing_type=sa.String(50))',
    'op.alter_column("users", "score", type_=sa.Numeric(12, 2), existing_type=sa.Numeric(8, 2))',
]
# A table the same revision creates: nothing of it is in use yet (a required column, a
# TIMESTAMP and a CHAR column included).
NEW_TABLE_WITH_REQUIRED_COLUMN = (
    'op.create_table("pets", sa.Column("id", sa.Integer(), primary_key=True), '
    'sa.Column("born", sa.DateTime()), sa.Column("code", sa.CHAR(2)))\n    '
    'op.add_column("pets", sa.Column("kind", sa.String(20), nullable=False))'
)
SAFE = {
    "sqlite": [*SAFE_EVERYWHERE, NEW_TABLE_WITH_REQUIRED_COLUMN],
    "mysql": [*SAFE_EVERYWHERE, NEW_TABLE_WITH_REQUIRED_COLUMN],
    "postgresql": [*SAFE_EVERYWHERE, NEW_TABLE_WITH_REQUIRED_COLUMN, *SAFE_ON_POSTGRESQL],
}


@pytest.fixture
def project(request: pytest.FixtureRequest, cookies: Any, project_venv: Path) -> BakedProject:
    answers = {"project_name": "Safety Demo", "database": request.param, "async": False}
    result = cookies.bake(extra_context=answers)
    assert result.exit_code == 0, result.exception
    return BakedProject(result.project_path, project_venv, answers)


@pytest.fixture
def project_sqlite(cookies: Any, project_venv: Path) -> BakedProject:
    answers = {"project_name": "Safety Demo", "database": "sqlite", "async": False}
    return BakedProject(cookies.bake(extra_context=answers).project_path, project_venv, answers)


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


def test_waivers_are_comments_on_the_operation_they_accept(project_sqlite: BakedProject) -> None:
    project = project_sqlite
    in_docstring, on_one_of_two, one_word, trailing = add_history(
        project,
        upgrade('"""# migration-safety: allow ban-drop-column -- a docstring is no waiver"""',
                DROP_COLUMN),
        upgrade("# migration-safety: allow ban-drop-column -- no release reads users.name",
                DROP_COLUMN, 'op.drop_column("users", "id")'),
        upgrade("# migration-safety: allow ban-drop-column -- .", DROP_COLUMN),
        upgrade(DROP_COLUMN + "  # migration-safety: allow ban-drop-column -- no release reads it"),
    )

    status, output = lint(project)

    assert status == 1
    assert rules_flagged(output, in_docstring) == {"ban-drop-column"}, output
    assert f"{in_docstring.file}, line" not in output, output
    # The waiver accepts the drop below it, not the one after.
    assert output.count(f"{on_one_of_two.file}: ban-drop-column: ") == 1, output
    assert 'ALTER TABLE users DROP COLUMN id' in output, output
    assert f"{one_word.file}, line 17: the waiver of ban-drop-column gives no reason" in output
    assert trailing.file not in output, output


def test_a_revision_id_with_a_dot_is_linted_as_its_own(project_sqlite: BakedProject) -> None:
    project = project_sqlite
    waived = add_revision(
        project, FIRST, upgrade("# migration-safety: allow ban-drop-column -- no release reads it",
                                DROP_COLUMN), number=1)
    dotted = add_revision(project, waived.id, upgrade(DROP_TABLE), number=2, revision="a1b2.c3d4")
    write_head_file(project, dotted)

    status, output = lint(project)

    assert status == 1
    assert rules_flagged(output, dotted) == {"ban-drop-table"}, output
    assert waived.file not in output, output


def test_a_path_that_is_not_a_revision_fails_in_one_line(project_sqlite: BakedProject) -> None:
    status, output = lint(project_sqlite, "../../../../README.md", "no_such_revision.py")

    assert status == 1
    lines = output.splitlines()
    assert len(lines) == 2, output
    assert all("not a revision of this project" in line for line in lines), output


def test_one_changed_revision_is_linted_without_reading_the_history(
    project_sqlite: BakedProject,
) -> None:
    """pre-commit's way, at 1,000 revisions: under a second of CPU."""
    project = project_sqlite
    history = add_history(project, *(upgrade(f'op.create_table("t{number}", sa.Column("id", sa.Integer(), primary_key=True))') for number in range(999)))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    status, output = lint(project, history[-1].file)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)

    assert (status, output) == (0, ""), output
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    assert cpu < 1.0, f"{cpu:.2f} s of CPU"


@pytest.mark.parametrize("project", ["postgresql"], indirect=True)
def test_the_lint_renders_for_the_projects_database_whatever_the_url(project: BakedProject) -> None:
    reads, index, unique = add_history(
        project,
        upgrade("op.get_bind().exec_driver_sql(\"SELECT count(*) FROM users\").scalar()"),
        upgrade('op.create_index("ix_users_name", "users", ["name"])'),
        upgrade('op.create_unique_constraint("uq_users_name", "users", ["name"])'),
    )
    paths = [migrations_dir(project) / "versions" / revision.file for revision in (reads, index, unique)]

    result = project.run("python", "-m", f"{project.package}.migration_tools.safety", *paths,
                         check=False, DATABASE_URL="mysql://root@localhost/elsewhere")

    output = result.stdout + result.stderr
    assert result.returncode == 1
    (unrenderable,) = [line for line in output.splitlines() if reads.file in line]
    assert "cannot be rendered as SQL" in unrenderable and "is_offline_mode()" in unrenderable
    assert rules_flagged(output, index) == {"require-concurrent-index-creation"}, output
    # A UNIQUE constraint cannot be added NOT VALID: the safe way builds its index first.
    unique_advice = output.split(f"{unique.file}: constraint-missing-not-valid: ")[1].split("\n")[2]
    assert "USING INDEX" in unique_advice and "NOT VALID" not in unique_advice, unique_advice


def adopted_history(number: int) -> list[str]:
    """Four revisions of a table the team made and dropped long ago: created, its column
    retyped, a column dropped, the table dropped; each downgrade puts it back."""
    table = f"things_{number}"
    batch = f'with op.batch_alter_table("{table}") as batch_op:\n        batch_op.'
    return [
        revision(
            f'op.create_table("{table}", sa.Column("id", sa.Integer(), primary_key=True), '
            'sa.Column("label", sa.String(20)), sa.Column("note", sa.Text()))',
            f'op.drop_table("{table}")',
        ),
        revision(
            batch + 'alter_column("label", type_=sa.Integer(), existing_type=sa.String(20))',
            batch + 'alter_column("label", type_=sa.String(20), existing_type=sa.Integer())',
        ),
        revision(batch + 'drop_column("note")', batch + 'add_column(sa.Column("note", sa.Text()))'),
        revision(
            f'op.drop_table("{table}")',
            f'op.create_table("{table}", sa.Column("id", sa.Integer(), primary_key=True), '
            'sa.Column("label", sa.Integer()))',
        ),
    ]


def revision(upgrade_body: str, downgrade_body: str) -> str:
    return (
        f"\n\ndef upgrade() -> None:\n    {upgrade_body}\n\n\n"
        f"def downgrade() -> None:\n    {downgrade_body}\n"
    )


def test_an_adopted_history_is_linted_after_the_revision_the_team_names(
    project_sqlite: BakedProject,
) -> None:
    project = project_sqlite
    history = add_history(project, *(body for number in range(5) for body in adopted_history(number)))
    status, output = lint(project)
    assert status == 1 and len(history) == 20, output  # drops and type changes, flagged

    ini = project.path / "alembic.ini"
    ini.write_text(ini.read_text().replace(
        "[migration_tools]\n", f"[migration_tools]\nsafety_lint_start_after = {history[-1].id}\n"
    ))
    suite = project.run("pytest", "-q", "-p", "no:cacheprovider", check=False)
    assert suite.returncode == 0, suite.stdout

    (new,) = [add_revision(project, history[-1].id, upgrade(DROP_COLUMN), number=21)]
    write_head_file(project, new)
    status, output = lint(project)
    assert status == 1
    assert rules_flagged(output, new) == {"ban-drop-column"}, output
    assert all(old.file not in output for old in history), output


@pytest.mark.parametrize("project", ["postgresql"], indirect=True)
def test_contract_step_drops_a_constraint_the_models_no_longer_declare_without_a_waiver(
    project: BakedProject,
) -> None:
    contract = '\nphase: str = "contract"\n'
    gone, kept, early = add_history(
        project,
        contract + upgrade('op.drop_constraint("ck_users_name_short", "users", type_="check")'),
        contract + upgrade('op.drop_constraint("pk_users", "users", type_="primary")'),
        upgrade('op.drop_constraint("ck_users_name_long", "users", type_="check")'),
    )
    status, output = lint(project)
    assert status == 1, output
    # What the models no longer declare goes in a contract step with no waiver; what they
    # still declare, or a drop before the deploy, stays a finding.
    assert rules_flagged(output, gone) == set(), output
    assert rules_flagged(output, kept) == {"ban-drop-constraint"}, output
    assert rules_flagged(output, early) == {"ban-drop-constraint"}, output
