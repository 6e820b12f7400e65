"""The migration checks, each on a fresh database, through env.py as production runs it.

They hold for any history (Alembic's ids, branches and merges, any tables): nothing here
names a revision or a table. The machinery lives in the package, in migration_tools/;
docs/migrations.md says what each check protects against.
"""

from __future__ import annotations

import pytest
from alembic.config import Config, main
from alembic.script import ScriptDirectory
from sqlalchemy import URL

from {{ cookiecutter.package_name }}.db import create_db_engine
from {{ cookiecutter.package_name }}.migration_tools import checks, safety
from {{ cookiecutter.package_name }}.migration_tools.checks import CheckedDatabase
from {{ cookiecutter.package_name }}.migration_tools.config import alembic_ini
from {{ cookiecutter.package_name }}.migration_tools.head_file import head_problem

HEAD_FILE_FIX = "python -m {{ cookiecutter.package_name }}.migration_tools.head_file"


def fail_with(problem: str | None) -> None:
    """Fail with ``problem`` alone, without a traceback: it says all there is to say."""
    if problem:
        pytest.fail(problem, pytrace=False)


def test_there_is_exactly_one_head(scripts: ScriptDirectory) -> None:
    fail_with(head_problem(scripts, rewrite=HEAD_FILE_FIX))


def test_every_revision_upgrades_and_downgrades_cleanly(checked_database: CheckedDatabase) -> None:
    """Every downgrade() undoes its upgrade() exactly (schema and rows), every upgrade() runs
    again the same, and the sample rows (tests/sample_rows.py) survive."""
    fail_with(checked_database.failure)


def test_models_match_migrations(checked_database: CheckedDatabase, alembic_config: Config) -> None:
    """At head, `alembic check` finds nothing to autogenerate."""
    if checked_database.failure:
        fail_with(
            "The migrations do not run cleanly: see "
            "test_every_revision_upgrades_and_downgrades_cleanly."
        )
    fail_with(
        checks.with_connection(
            create_db_engine(checked_database.url),
            lambda connection: checks.models_differences(connection, alembic_config),
        )
    )


def test_every_revision_is_safe_on_a_live_database(checked_database: CheckedDatabase) -> None:
    """No upgrade() locks a busy table for long or breaks the release still running, unless
    a waiver in its revision says why it is safe (migration_tools/safety/)."""
    problems = safety.problems()
    unread = all("cannot be rendered as SQL" in problem for problem in problems)
    if problems and unread and checked_database.failure:  # most likely one mistake: said once
        fail_with(
            "The migrations do not run cleanly: see "
            "test_every_revision_upgrades_and_downgrades_cleanly."
        )
    fail_with("\n".join(problems))


def test_offline_mode_renders_sql(
    checked_database: CheckedDatabase, alembic_config: Config, scripts: ScriptDirectory
) -> None:
    """`alembic upgrade head --sql` writes the SQL of every revision, without a database."""
    problem = checks.offline_problem(alembic_config, scripts)
    if problem and checked_database.failure:  # most likely the same mistake: said once
        fail_with(
            "The migrations do not run cleanly: see "
            "test_every_revision_upgrades_and_downgrades_cleanly."
        )
    fail_with(problem)


def test_command_line_migrates_database_url(
    database_url: URL, alembic_config: Config, scripts: ScriptDirectory
) -> None:
    """`alembic upgrade` from the command line connects to DATABASE_URL on its own."""
    first = next(iter(scripts.get_bases()), "heads")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATABASE_URL", database_url.render_as_string(hide_password=False))
        main(["-c", str(alembic_ini()), "-q", "upgrade", first])
    heads = checks.with_connection(
        create_db_engine(database_url),
        lambda connection: checks.current_heads(alembic_config, connection),
    )
    assert heads == (() if first == "heads" else (first,))
