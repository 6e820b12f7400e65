"""db.py: the engine and the sessions the application uses."""

from __future__ import annotations

from sqlalchemy import Engine, select

from {{ cookiecutter.package_name }}.db import create_session_factory
from {{ cookiecutter.package_name }}.models import Base, User


def test_user_round_trip(engine: Engine) -> None:
    Base.metadata.create_all(engine)
    new_session = create_session_factory(engine)
    with new_session() as session:
        session.add(User(name="Ada Lovelace"))
        session.commit()
    with new_session() as session:
        assert session.scalars(select(User.name)).all() == ["Ada Lovelace"]
