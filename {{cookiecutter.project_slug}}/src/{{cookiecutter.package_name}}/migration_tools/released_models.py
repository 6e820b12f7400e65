"""What in a database would break a release, told by that release's own models.

previous_release.py runs this file in a process of its own, with the previous release's
``src/`` on the path, so that the models it imports are that release's, not today's; it
imports nothing of this package (that release may have another copy of it, or none)::

    python released_models.py package.models:Base.metadata /tmp/.../src

It imports the MetaData, then reads a JSON request on stdin, ``{"url": "sqlite:///..."}``
(or ``null``), and prints a JSON answer: the tables and columns the release maps and, given
a database, what Alembic's ``compare_metadata()`` finds there that breaks the release: a
table or column it maps is gone, a column's type no longer takes what it writes, a column
it does not know is NOT NULL without a default.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, MetaData, NullPool, create_engine, types
from sqlalchemy.engine import Dialect

# The size in bytes of each integer type, by the names the databases reflect.
INTEGER_BYTES = {"TINYINT": 1, "SMALLINT": 2, "MEDIUMINT": 3, "INTEGER": 4, "INT": 4, "BIGINT": 8}


def main(metadata_path: str, source: str) -> int:
    try:
        metadata = imported_metadata(metadata_path, Path(source))
    except Exception as error:  # the release's own code failed: say how, in one line
        print(f"{type(error).__name__}: {' '.join(str(error).split())}", file=sys.stderr)
        return 1
    request = json.load(sys.stdin)  # sent once the database is ready
    answer: dict[str, Any] = {
        "tables": {name: [c.name for c in table.columns] for name, table in metadata.tables.items()}
    }
    if request.get("url"):
        answer["breaks"] = breaks(metadata, request["url"])
    print(json.dumps(answer))
    return 0


def imported_metadata(spec: str, source: Path) -> MetaData:
    """The MetaData that ``spec`` ("module:attribute.path") names, imported from ``source``."""
    module_name, _, path = spec.partition(":")
    module = importlib.import_module(module_name)
    where = Path(str(getattr(module, "__file__", "")))
    if source.resolve() not in where.resolve().parents:
        raise ImportError(f"{module_name} was imported from {where}, not from {source}")
    found: Any = module
    for attribute in path.split(".") if path else []:
        found = getattr(found, attribute)
    if not isinstance(found, MetaData):
        raise TypeError(f"{spec} is a {type(found).__name__}, not a MetaData")
    return found


def breaks(metadata: MetaData, url: str) -> list[dict[str, str | None]]:
    """What in the database at ``url`` breaks code written for ``metadata``."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, metadata)
            dialect = connection.dialect
    finally:
        engine.dispose()
    found = []
    for difference in flatten(differences):
        kind = difference[0]
        if kind == "add_table":  # in the models, not in the database
            found.append(a_break("table_gone", difference[1].name))
        elif kind == "add_column":
            _, _, table, column = difference
            found.append(a_break("column_gone", table, column.name))
        elif kind == "remove_column" and required(difference[3]):  # unknown to the models
            _, _, table, column = difference
            found.append(a_break("required_column", table, column.name))
        elif kind == "modify_type":
            _, _, table, column, _, database_type, model_type = difference
            if not holds(database_type, model_type):
                was, now = sql(model_type, dialect), sql(database_type, dialect)
                found.append(a_break("type_narrowed", table, column, was=was, now=now))
    return found


def a_break(kind: str, table: str, column: str | None = None, **more: str) -> dict[str, Any]:
    return {"kind": kind, "table": table, "column": column, **more}


def flatten(differences: list[Any]) -> list[tuple[Any, ...]]:
    """Alembic lists a column's changes together, in a list of their own."""
    flat: list[tuple[Any, ...]] = []
    for difference in differences:
        flat.extend(difference if isinstance(difference, list) else [difference])
    return flat


def required(column: Column[Any]) -> bool:
    """Whether an INSERT that leaves ``column`` out fails: NOT NULL, and no value from
    the database (a server default, an identity, a computed or auto-increment value)."""
    given = (
        column.server_default is not None
        or column.identity is not None
        or column.computed is not None
        or column.autoincrement is True
    )
    return not column.nullable and not given


def holds(database: types.TypeEngine[Any], model: types.TypeEngine[Any]) -> bool:
    """Whether a column of type ``database`` takes every value the models' ``model`` type
    writes, and gives back the same kind of value: a type made wider holds."""
    database, model = plain(database), plain(model)
    if isinstance(model, types.Enum):
        if isinstance(database, types.Enum):
            return set(model.enums) <= set(database.enums)
        longest = max((len(label) for label in model.enums), default=0)
        length = getattr(database, "length", None)
        return isinstance(database, types.String) and (length is None or length >= longest)
    if python_type(database) is not python_type(model):
        return False
    if isinstance(model, types.Integer):
        return integer_bytes(database) >= integer_bytes(model)
    if isinstance(model, (types.DateTime, types.Time)):
        return getattr(model, "timezone", False) == getattr(database, "timezone", False)
    exact = isinstance(model, types.Numeric) and not isinstance(model, types.Float)
    if exact and digits_before_point(database) < digits_before_point(model):
        return False
    for size in ("length", "precision", "scale"):
        was, now = getattr(model, size, None), getattr(database, size, None)
        if now is not None and (was is None or now < was):
            return False
    return True


def plain(type_: types.TypeEngine[Any]) -> types.TypeEngine[Any]:
    """The type the database stores for ``type_`` (a TypeDecorator stores its ``impl``)."""
    while isinstance(type_, types.TypeDecorator):
        type_ = type_.impl_instance
    return type_


def python_type(type_: types.TypeEngine[Any]) -> object:
    try:
        return type_.python_type
    except NotImplementedError:
        return type(type_)


def integer_bytes(type_: types.TypeEngine[Any]) -> int:
    if isinstance(type_, types.BigInteger):
        return 8
    if isinstance(type_, types.SmallInteger):
        return 2
    return INTEGER_BYTES.get(type(type_).__name__.upper(), 4)


def digits_before_point(type_: types.TypeEngine[Any]) -> float:
    precision = getattr(type_, "precision", None)
    return float("inf") if precision is None else precision - (getattr(type_, "scale", 0) or 0)


def sql(type_: types.TypeEngine[Any], dialect: Dialect) -> str:
    """``type_`` as the database writes it."""
    try:
        return str(type_.compile(dialect=dialect))
    except Exception:  # a type the dialect cannot render: its Python spelling
        return repr(type_)


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
