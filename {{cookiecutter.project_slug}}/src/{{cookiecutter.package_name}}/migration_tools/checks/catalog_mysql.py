"""MySQL's and MariaDB's tables, read from ``SHOW CREATE TABLE``: the server's own words.

Each line of a table's CREATE statement describes one column, key or constraint, under its
name, so the order of columns (a column added back at the end) is no difference. Two
things the server changes by itself are left out: the table's next AUTO_INCREMENT value
(it grows with the rows), and the name of the index InnoDB makes for a foreign key, which
it renames when another key takes the index over.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, bindparam, text

TABLES = text(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() "
    "AND table_type = 'BASE TABLE' AND (:every OR table_name IN :names)"
).bindparams(bindparam("names", expanding=True))
NAME = r"`((?:[^`]|``)+)`"
COLUMN = re.compile(rf"{NAME} (.*)")
KEY = re.compile(rf"(UNIQUE |FULLTEXT |SPATIAL )?KEY {NAME} \((.*?)\)(.*)")
CONSTRAINT = re.compile(rf"CONSTRAINT {NAME} (FOREIGN KEY|CHECK) (.*)")
REFERENCES = re.compile(rf"REFERENCES {NAME}")
NEXT_AUTO_INCREMENT = re.compile(r" AUTO_INCREMENT=\d+")
# What each kind of key is called in a message.
KEYS = {"": "index", "UNIQUE ": "unique index", "FULLTEXT ": "fulltext index"}


def read_tables(connection: Connection, names: Iterable[str] | None) -> dict[str, Any]:
    """(description, related names) of each table among ``names`` (every table for None)."""
    wanted = sorted(names) if names is not None else [""]
    found = connection.execute(TABLES, {"every": names is None, "names": wanted or [""]})
    tables = {}
    for (name,) in found:
        quoted = "`{}`".format(name.replace("`", "``"))
        create = connection.exec_driver_sql(f"SHOW CREATE TABLE {quoted}").one()[1]
        tables[name] = describe(name, create)
    return tables


def describe(table: str, create: str) -> tuple[dict[str, Any], frozenset[str]]:
    """The parts of ``create``, a CREATE TABLE statement, by kind and name."""
    body, _, options = create.rpartition("\n)")
    description: dict[str, Any] = {
        **{part: {} for part in ("column", "primary key", "foreign key", "check constraint")},
        **{part: {} for part in KEYS.values()},
        "options": NEXT_AUTO_INCREMENT.sub("", options),
    }
    related: set[str] = set()
    foreign_keys: dict[str, str] = {}
    keys: list[tuple[str, str, str, str]] = []  # (kind, name, columns, rest)
    for line in body.splitlines()[1:]:
        line = line.strip().removesuffix(",")
        if match := CONSTRAINT.fullmatch(line):
            name, kind, definition = unquote(match[1]), match[2], match[3]
            part = "foreign key" if kind == "FOREIGN KEY" else "check constraint"
            description.setdefault(part, {})[name] = f"{kind} {definition}"
            related.add(name)
            if kind == "FOREIGN KEY":
                foreign_keys[name] = definition
                related.update(unquote(found) for found in REFERENCES.findall(definition))
        elif match := KEY.fullmatch(line):
            keys.append((match[1] or "", unquote(match[2]), match[3], match[4]))
        elif line.startswith("PRIMARY KEY"):
            description["primary key"] = {"PRIMARY": line}
        elif match := COLUMN.fullmatch(line):
            description["column"][unquote(match[1])] = readable(match[2])
    automatic = re.compile(rf"{re.escape(table)}_ibfk_\d+")
    for kind, name, columns, rest in keys:
        first = re.match(NAME, columns)
        first_column = unquote(first[1]) if first else None
        related.add(name)
        if not kind and (name in foreign_keys or name == first_column or automatic.fullmatch(name)):
            name = f"(of a foreign key on {columns})"  # InnoDB's own, renamed at will
        description.setdefault(KEYS.get(kind, kind.strip().lower()), {})[name] = (
            f"({columns}){rest}"
        )
    return description, frozenset(related)


def readable(column: str) -> str:
    """``varchar(50) DEFAULT NULL`` as ``VARCHAR(50) NULL``: the type's name in capitals,
    and the nullability said as on the other engines."""
    name = re.match(r"[a-z]*", column)
    length = name.end() if name else 0
    column = column[:length].upper() + column[length:]
    if " NOT NULL" in column:
        return column
    if " DEFAULT NULL" in column:
        return column.replace(" DEFAULT NULL", " NULL", 1)
    return f"{column} NULL"


def unquote(name: str) -> str:
    return name.replace("``", "`")


# What autogenerate cannot see, each as "<kind> <name>": views, triggers, stored
# procedures and functions, scheduled events.
OTHER_OBJECTS = """
    SELECT CONCAT('view ', table_name) FROM information_schema.views
      WHERE table_schema = DATABASE()
    UNION ALL
    SELECT CONCAT('trigger ', trigger_name, ' on ', event_object_table)
      FROM information_schema.triggers WHERE trigger_schema = DATABASE()
    UNION ALL
    SELECT CONCAT(LOWER(routine_type), ' ', routine_name) FROM information_schema.routines
      WHERE routine_schema = DATABASE()
    UNION ALL
    SELECT CONCAT('event ', event_name) FROM information_schema.events
      WHERE event_schema = DATABASE()
"""


def read_other_objects(connection: Connection) -> list[str]:
    """What autogenerate cannot see in the schema (OTHER_OBJECTS), sorted."""
    return sorted(str(name) for name in connection.exec_driver_sql(OTHER_OBJECTS).scalars())
