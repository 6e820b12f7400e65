"""db.py: the async engine and the async sessions the application uses."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from {{ cookiecutter.package_name }}.db import create_session_factory
from {{ cookiecutter.package_name }}.models import Base, User


async def test_user_round_trip_through_an_async_session(async_engine: AsyncEngine) -> None:
    async with async_engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    new_session = create_session_factory(async_engine)
    async with new_session() as session:
        user = User(name="Ada Lovelace")
        session.add(user)
        await session.commit()
        # Still readable after the commit: async code cannot reload it behind your back.
        assert user.id == 1
    async with new_session() as session:
        assert (await session.scalars(select(User.name))).all() == ["Ada Lovelace"]
