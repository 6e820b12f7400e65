"""env.py from async code: connections from run_sync, async engines, running event loops.

tests/test_env.py checks the rest of the contract on the async driver as well: its
command-line tests (a failed migration, concurrent deploys, error messages) let env.py
build its own async engine from DATABASE_URL.
"""

from __future__ import annotations

import pytest
from alembic import command
from alembic.config import Config
from alembic.util import CommandError
from sqlalchemy import URL, Connection, Engine, inspect
from sqlalchemy.ext.asyncio import AsyncEngine

from test_env import table_names


def upgrade(connection: Connection, config: Config, revision: str) -> None:
    """Migrate on ``connection``: what async code runs through ``run_sync``."""
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def test_connection_from_run_sync_gets_its_migrations_committed(
    alembic_config: Config, async_engine: AsyncEngine, engine: Engine
) -> None:
    async with async_engine.connect() as connection:
        await connection.run_sync(upgrade, alembic_config, "head")
    assert "users" in table_names(engine)


async def test_transaction_from_run_sync_is_left_to_its_owner(
    alembic_config: Config, async_engine: AsyncEngine, engine: Engine
) -> None:
    async with async_engine.connect() as connection:
        transaction = await connection.begin()
        await connection.run_sync(upgrade, alembic_config, "head")
        await transaction.rollback()
    # MySQL commits every DDL statement at once, so only there the table outlives the rollback.
    ddl_is_transactional = engine.dialect.name not in ("mysql", "mariadb")
    assert ("users" in table_names(engine)) is not ddl_is_transactional


async def test_handed_in_async_connection_is_refused_with_the_way_out(
    alembic_config: Config, async_engine: AsyncEngine
) -> None:
    async with async_engine.connect() as connection:
        alembic_config.attributes["connection"] = connection
        with pytest.raises(CommandError, match=r"run_sync"):
            command.upgrade(alembic_config, "head")


def test_handed_in_async_engine_is_used(
    alembic_config: Config, async_engine: AsyncEngine, engine: Engine
) -> None:
    alembic_config.attributes["connection"] = async_engine
    command.upgrade(alembic_config, "head")
    assert "users" in table_names(engine)


async def test_handed_in_async_engine_still_serves_its_own_event_loop(
    alembic_config: Config, async_engine: AsyncEngine
) -> None:
    """env.py migrates on a loop of its own; the engine must not keep that loop's connection."""
    alembic_config.attributes["connection"] = async_engine
    command.upgrade(alembic_config, "head")
    async with async_engine.connect() as connection:
        tables = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
    assert "users" in tables


async def test_upgrade_and_downgrade_inside_a_running_event_loop(
    alembic_config: Config, database_url: URL, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An application migrating at startup: ``asyncio.run`` cannot start here (#1353)."""
    monkeypatch.setenv("DATABASE_URL", database_url.render_as_string(hide_password=False))
    command.upgrade(alembic_config, "head")
    assert "users" in table_names(engine)

    command.downgrade(alembic_config, "base")
    assert table_names(engine) == ["alembic_version"]
