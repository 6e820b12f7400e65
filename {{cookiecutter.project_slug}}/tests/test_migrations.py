"""The migration checks: run on every commit, on a fresh database each.

See docs/migrations.md for what each one protects against.
"""

from __future__ import annotations

import io

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, inspect, text

from {{ cookiecutter.package_name }}.migrations.checks import (
    check_revision_ids,
    several_heads_message,
)
from {{ cookiecutter.package_name }}.migrations.options import context_options
from {{ cookiecutter.package_name }}.models import Base

from migration_steps import RevisionStepper, climb_stairway
from schema_snapshot import same_as_models


def test_there_is_exactly_one_head(scripts: ScriptDirectory) -> None:
    # After merging two branches that each added a revision, two files claim the same id;
    # this raises with the renumbering to do.
    check_revision_ids(scripts)
    assert len(scripts.get_heads()) == 1, several_heads_message(scripts)


def test_upgrade_head_then_downgrade_base_leaves_no_tables(
    alembic_config: Config, connection: Connection, scripts: ScriptDirectory
) -> None:
    """`alembic upgrade head` through env.py, then every downgrade() in turn."""
    alembic_config.attributes["connection"] = connection
    command.upgrade(alembic_config, "head")
    assert "users" in inspect(connection).get_table_names()

    # `alembic downgrade base` walks every older revision at each step, which is slow
    # over a long history; the stepper runs the same downgrade() functions without it.
    stepper = RevisionStepper(connection, scripts)
    for revision in reversed(stepper.revisions()):
        stepper.downgrade(revision)
    assert inspect(connection).get_table_names() == ["alembic_version"]
    assert stepper.current() == ()


def test_every_revision_downgrades_without_trace(
    connection: Connection, scripts: ScriptDirectory
) -> None:
    """The stairway: up to each revision, down one, compare the schema, up again."""
    left_behind = climb_stairway(connection, scripts)
    assert left_behind is None, left_behind


def test_models_match_migrations(connection: Connection, scripts: ScriptDirectory) -> None:
    stepper = RevisionStepper(connection, scripts)
    for revision in stepper.revisions():
        stepper.upgrade(revision)
    if same_as_models(connection, Base.metadata):
        return  # the very statements the models would write: nothing for autogenerate to find
    context = MigrationContext.configure(connection, opts=context_options(connection.dialect.name))
    drift = compare_metadata(context, Base.metadata)
    assert not drift, (
        "The models and the migrations differ; run "
        f'`alembic revision --autogenerate -m "describe the change"`. Differences: {drift}'
    )


def test_offline_mode_renders_sql(alembic_config: Config) -> None:
    """`alembic upgrade head --sql` writes SQL to review, without touching a database."""
    output = io.StringIO()
    alembic_config.output_buffer = output
    try:
        command.upgrade(alembic_config, "head", sql=True)
    except CommandError as error:
        if "batch mode with dialect sqlite requires a live database" not in str(error):
            raise
        pytest.skip("SQLite cannot copy a table offline; see docs/migrations.md, section 5")
    sql = output.getvalue()
    assert "CREATE TABLE users" in sql
    assert "INSERT INTO alembic_version" in sql


def test_rows_survive_upgrade_and_downgrade(
    connection: Connection, scripts: ScriptDirectory
) -> None:
    """Rows written at the first revision are intact at head and after coming back.

    The rows fit the users table of 0001: should a later revision rename or drop one of
    its columns, read them back the way that revision leaves them.
    """
    stepper = RevisionStepper(connection, scripts)
    first, *later = stepper.revisions()
    stepper.upgrade(first)
    connection.execute(text("INSERT INTO users (id, name) VALUES (1, 'Ada'), (2, 'Grace')"))

    for revision in later:
        stepper.upgrade(revision)
    assert users(connection) == [(1, "Ada"), (2, "Grace")]

    for revision in reversed(later):
        stepper.downgrade(revision)
    assert users(connection) == [(1, "Ada"), (2, "Grace")]


def users(connection: Connection) -> list[tuple[int, str]]:
    rows = connection.execute(text("SELECT id, name FROM users ORDER BY id"))
    return [(row.id, row.name) for row in rows]
