"""Autogenerate compares server defaults by what they mean, not by how they are spelled.

A server reads a default back in its own words: MariaDB gives ``'2020-01-01 00:00:00'``
for a DATETIME default written ``'2020-01-01'``. env.py hands ``server_defaults_differ`` to
Alembic's ``compare_server_default``: when two constant defaults are written differently,
the server itself says whether they are the same value of the column's type.
"""

from __future__ import annotations

import warnings
from typing import Any

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, ColumnElement, cast, literal, literal_column, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.schema import DefaultClause


def server_defaults_differ(
    context: MigrationContext,
    inspected_column: Column[Any],
    metadata_column: Column[Any],
    inspected_default: str | None,
    metadata_default: object,
    rendered_metadata_default: str | None,
) -> bool | None:
    """False when the database's default and the model's mean the same value; None leaves
    the comparison to Alembic (different functions, SQLite's untyped text, ...)."""
    connection = context.connection
    if (
        connection is None
        or connection.dialect.name == "sqlite"  # SQLite keeps a default as the text written
        or inspected_default is None
        or rendered_metadata_default is None
        or not is_constant(inspected_default)
    ):
        return None
    model: ColumnElement[Any]
    if isinstance(metadata_default, DefaultClause) and isinstance(metadata_default.arg, str):
        model = literal(metadata_default.arg)  # server_default="2020-01-01": a value
    elif is_constant(rendered_metadata_default):
        model = literal_column(rendered_metadata_default)  # text("'2020-01-01'"): SQL
    else:
        return None
    type_ = metadata_column.type
    query = select(cast(literal_column(inspected_default), type_) == cast(model, type_))
    try:
        with warnings.catch_warnings(), connection.begin_nested():
            warnings.simplefilter("ignore")  # a type the server cannot CAST to is compared as is
            same = connection.scalar(query)
    except SQLAlchemyError:
        return None
    return None if same is None else not same


def is_constant(default: str) -> bool:
    """A literal or a cast of one (``'a'::text``): no function call, nothing evaluated twice
    differently, no sequence advanced."""
    return "(" not in default and ";" not in default
