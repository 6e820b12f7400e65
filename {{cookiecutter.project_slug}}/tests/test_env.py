"""How env.py behaves: the contract for callers, failures, concurrency and error messages."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from alembic.util import CommandError
from sqlalchemy import URL, Engine, inspect, text

import {{ cookiecutter.package_name }}.migrations as migrations_package
import {{ cookiecutter.package_name }}.models as models_package
from {{ cookiecutter.package_name }}.migrations.commands import downgrade, upgrade
from {{ cookiecutter.package_name }}.migrations.lock import migration_lock

from conftest import PROJECT_ROOT


def test_handed_in_connection_gets_its_migrations_committed(
    alembic_config: Config, engine: Engine
) -> None:
    with engine.connect() as connection:
        alembic_config.attributes["connection"] = connection
        command.upgrade(alembic_config, "head")
    assert "users" in table_names(engine)


def test_handed_in_transaction_is_left_to_its_owner(alembic_config: Config, engine: Engine) -> None:
    with engine.connect() as connection:
        transaction = connection.begin()
        alembic_config.attributes["connection"] = connection
        command.upgrade(alembic_config, "head")
        transaction.rollback()
    # MySQL commits every DDL statement at once, so only there the table outlives the rollback.
    ddl_is_transactional = engine.dialect.name not in ("mysql", "mariadb")
    assert ("users" in table_names(engine)) is not ddl_is_transactional


def test_handed_in_engine_is_used(alembic_config: Config, engine: Engine) -> None:
    alembic_config.attributes["connection"] = engine
    command.upgrade(alembic_config, "head")
    assert "users" in table_names(engine)


def test_command_line_connects_to_database_url(
    alembic_config: Config, database_url: URL, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url.render_as_string(hide_password=False))
    command.upgrade(alembic_config, "head")
    assert "users" in table_names(engine)


def test_installed_package_migrates_without_alembic_ini(
    database_url: URL, engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no alembic.ini here
    monkeypatch.setenv("DATABASE_URL", database_url.render_as_string(hide_password=False))
    upgrade()
    assert "users" in table_names(engine)
    downgrade("base")
    assert table_names(engine) == ["alembic_version"]


def test_failed_migration_leaves_the_database_as_it_was(
    tmp_path: Path, database_url: URL, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = config_with_extra_revision(
        tmp_path,
        """
    op.create_table("half_done", sa.Column("id", sa.Integer(), primary_key=True))
    op.execute("SELECT * FROM no_such_table")
""",
    )
    monkeypatch.setenv("DATABASE_URL", database_url.render_as_string(hide_password=False))
    command.upgrade(config, "9999-1")
    before = current_revision(engine)

    with pytest.raises(Exception, match="no_such_table"):
        command.upgrade(config, "head")

    assert current_revision(engine) == before
    if engine.dialect.name in ("mysql", "mariadb"):
        # MySQL cannot roll back DDL: the statements before the failure stay applied.
        assert "half_done" in table_names(engine)
    else:
        assert "half_done" not in table_names(engine)


def test_concurrent_deploys_migrate_once(tmp_path: Path, database_url: URL, engine: Engine) -> None:
    config = config_with_extra_revision(
        tmp_path, "\n    op.execute(\"INSERT INTO users (name) VALUES ('migrated once')\")\n"
    )
    env = {**os.environ, "DATABASE_URL": database_url.render_as_string(hide_password=False)}
    deploys = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "alembic",
                "-c",
                str(config.config_file_name),
                "upgrade",
                "head",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(8)
    ]
    outputs = [deploy.communicate(timeout=120)[0] for deploy in deploys]

    assert [deploy.returncode for deploy in deploys] == [0] * 8, "\n".join(outputs)
    assert current_revision(engine) == "9999"
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM users")) == 1


def test_waiting_too_long_for_another_deploy_is_explained(
    alembic_config: Config, database_url: URL, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url.render_as_string(hide_password=False))
    monkeypatch.setenv("MIGRATION_LOCK_TIMEOUT", "1")
    with (
        another_deploy_migrating(engine),
        pytest.raises(CommandError, match="raise MIGRATION_LOCK_TIMEOUT"),
    ):
        command.upgrade(alembic_config, "head")


@contextmanager
def another_deploy_migrating(engine: Engine) -> Iterator[None]:
    """Hold what a migration run holds: the migration lock, or on SQLite the write lock."""
    with engine.connect() as connection, connection.begin(), migration_lock(engine, timeout=5):
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("CREATE TABLE another_deploy (id INTEGER)")
        yield


def test_malformed_database_url_is_explained(
    alembic_config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "localhost:5432/app")
    with pytest.raises(CommandError, match="DATABASE_URL is not a database URL"):
        command.upgrade(alembic_config, "head")


def test_database_url_whose_driver_is_missing_is_explained(
    alembic_config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pg8000 is a PostgreSQL driver this project does not install.
    monkeypatch.setenv("DATABASE_URL", "postgresql+pg8000://app@localhost:5432/app")
    with pytest.raises(CommandError, match="needs the 'pg8000' module, which is not installed"):
        command.upgrade(alembic_config, "head")


@pytest.mark.parametrize("timeout", ["soon", "0", "-1", "inf"])
def test_malformed_lock_timeout_is_explained(
    alembic_config: Config, database_url: URL, timeout: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url.render_as_string(hide_password=False))
    monkeypatch.setenv("MIGRATION_LOCK_TIMEOUT", timeout)
    message = f"MIGRATION_LOCK_TIMEOUT must be a number of seconds above 0, not '{timeout}'"
    with pytest.raises(CommandError, match=message):
        command.upgrade(alembic_config, "head")
    if database_url.get_backend_name() == "sqlite":
        assert not Path(str(database_url.database)).exists(), "stopped too late: file created"

{%- if cookiecutter.database == "sqlite" %}


def test_unreachable_database_is_explained(
    alembic_config: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/missing/dir/app.db")
{%- else %}


def test_unreachable_database_is_explained(
    alembic_config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nothing listens on port 1, so the connection is refused at once.
    monkeypatch.setenv("DATABASE_URL", "{{ cookiecutter.database }}://root@127.0.0.1:1/app")
{%- endif %}
    message = r"(?s)Cannot connect to the database .*DATABASE_URL right"
    with pytest.raises(CommandError, match=message):
        command.upgrade(alembic_config, "head")


def test_two_revisions_with_one_id_are_explained(
    tmp_path: Path, database_url: URL, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two branches each numbered their new revision one past the head, and were merged."""
    config, versions = copy_of_migrations(tmp_path)
    head = head_of(versions)
    mine = f"{int(head) + 1:04d}"
    write_revision(versions, f"{mine}_mine", revision=mine, down_revision=head)
    write_revision(versions, f"{mine}_theirs", revision=mine, down_revision=head)
    monkeypatch.setenv("DATABASE_URL", database_url.render_as_string(hide_password=False))

    following = f"{int(mine) + 1:04d}"
    with pytest.raises(
        CommandError,
        match=rf"claim id {mine}: .*\nRenumber .* rename it to {following}_\.\.\., and in it "
        rf'set revision = "{following}" and down_revision = "{mine}"',
    ):
        command.upgrade(config, "head")


def test_revision_following_a_missing_id_is_explained(
    tmp_path: Path, database_url: URL, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A typo in down_revision, made while renumbering a revision after a merge."""
    config, versions = copy_of_migrations(tmp_path)
    head = head_of(versions)
    mine = f"{int(head) + 1:04d}"
    write_revision(versions, f"{mine}_mine", revision=mine, down_revision="0999")
    monkeypatch.setenv("DATABASE_URL", database_url.render_as_string(hide_password=False))

    with pytest.raises(
        CommandError,
        match=rf'{mine}_mine.py sets down_revision = "0999", but no revision file has that id: '
        rf".* \(the newest other one is {head}\)",
    ):
        command.upgrade(config, "head")


def test_several_heads_are_explained_and_the_advice_works(
    tmp_path: Path, database_url: URL, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, versions = copy_of_migrations(tmp_path)
    head = head_of(versions)
    first, second = f"{int(head) + 1:04d}", f"{int(head) + 2:04d}"
    write_revision(versions, f"{first}_one", revision=first, down_revision=head)
    write_revision(versions, f"{second}_other", revision=second, down_revision=head)
    monkeypatch.setenv("DATABASE_URL", database_url.render_as_string(hide_password=False))

    merge = f"{int(second) + 1:04d}"
    with pytest.raises(
        CommandError,
        match=rf"2 heads \({first}, {second}\)\..* alembic merge heads --rev-id {merge} -m ",
    ):
        command.upgrade(config, "head")

    command.merge(config, "heads", message="merge heads", rev_id=merge)
    command.upgrade(config, "head")
    assert current_revision(engine) == merge


def test_model_missing_from_the_models_package_is_explained(
    tmp_path: Path, database_url: URL, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A model module that models/__init__.py does not import is invisible to autogenerate."""
    unimported = tmp_path / "more_models"
    unimported.mkdir()
    (unimported / "forgotten.py").write_text('"""A model module nobody imports."""\n')
    monkeypatch.setattr(models_package, "__path__", [*models_package.__path__, str(unimported)])
    monkeypatch.setenv("DATABASE_URL", database_url.render_as_string(hide_password=False))
    config, _ = copy_of_migrations(tmp_path)
    command.upgrade(config, "head")

    with pytest.raises(
        CommandError, match=r"models\.forgotten is not imported by .*models/__init__\.py"
    ):
        command.check(config)


def config_with_extra_revision(tmp_path: Path, upgrade_body: str) -> Config:
    """A copy of the migrations with one more revision, 9999, whose upgrade runs the body."""
    config, versions = copy_of_migrations(tmp_path)
    write_revision(
        versions, "9999_extra", revision="9999", down_revision=head_of(versions), body=upgrade_body
    )
    return config


def copy_of_migrations(tmp_path: Path) -> tuple[Config, Path]:
    """A copy of the migrations and of alembic.ini using it; tests add revisions to the copy."""
    scripts = tmp_path / "migrations"
    shutil.copytree(Path(migrations_package.__file__).parent, scripts)
    location = Config(PROJECT_ROOT / "alembic.ini").get_main_option("script_location")
    ini = (PROJECT_ROOT / "alembic.ini").read_text()
    ini = ini.replace(f"script_location = {location}", f"script_location = {scripts}")
    (tmp_path / "alembic.ini").write_text(ini)
    config = Config(tmp_path / "alembic.ini")
    config.attributes["configure_logger"] = False
    return config, scripts / "versions"


def head_of(versions: Path) -> str:
    """The highest revision id among the numbered revision files."""
    return max(path.name[:4] for path in versions.glob("[0-9]*.py"))


def write_revision(
    versions: Path,
    name: str,
    *,
    revision: str,
    down_revision: str,
    body: str = "\n    pass\n",
) -> None:
    """A revision file whose upgrade runs ``body``, and whose downgrade does nothing."""
    (versions / f"{name}.py").write_text(
        f'''"""{name}"""

import sqlalchemy as sa
from alembic import op

revision = "{revision}"
down_revision = "{down_revision}"


def upgrade() -> None:{body}

def downgrade() -> None:
    pass
'''
    )


def table_names(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return inspect(connection).get_table_names()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        version: str | None = connection.scalar(text("SELECT version_num FROM alembic_version"))
        return version
