"""A picture of the database schema, table by table, kept current as migration steps run.

It covers the tables of the default schema: their columns (type, nullability, default,
identity, comment; not their order, which a downgrade that adds back a dropped column
cannot restore), primary keys, foreign keys, indexes, unique and check constraints, and
comments, in the server's own words: PostgreSQL's catalog (catalog_postgresql.py, with
triggers, enum types and sequences), MySQL's SHOW CREATE TABLE (catalog_mysql.py), SQLite's
sqlite_master (with triggers and views). It does not see views on PostgreSQL and MySQL,
other schemas, or, on SQLite, what SQLAlchemy cannot read back from a table (a column's
collation, an index on an expression). What autogenerate cannot see (views, triggers,
functions, procedures, extensions...) is listed apart, on every engine, by
``unseen_by_autogenerate``: a squash stops on it (migration_tools/squash/).

The migration checks compare the schema before and after every revision. Reading all of it each
time would make the check slow on a long history (with 1000 tables, every step would read
1000 tables), but a statement changes only what it names. So the snapshot notes the words
of every statement the connection sends, and re-reads just the tables they name, with the
tables related to them (an index named in DROP INDEX, a table whose foreign key points at
a renamed one). On SQLite it finds those tables' CREATE statements in sqlite_master by
their row ids, and new ones above the highest id at its last read. After a statement that can
change what it does not name (``DROP ... CASCADE``, ``ALTER TYPE``, a ``DO`` block, ...),
it re-reads everything.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, create_engine, event, inspect
from sqlalchemy.dialects.postgresql.base import PGInspector
from sqlalchemy.engine.reflection import Inspector

from . import catalog_mysql, catalog_postgresql

# The words of a statement: quoted names ("users", `users`, [users]) and bare words.
# String literals ('...') are matched too, so that their contents are not taken for words.
WORD = re.compile(r"""'(?:[^']|'')*'|"([^"]+)"|`([^`]+)`|\[([^\]]+)\]|([A-Za-z_][\w$]*)""")
# Statements that can change tables without naming them: DROP ... CASCADE (not a foreign
# key's ON DELETE CASCADE), changes to types and extensions, DO blocks, procedures.
CHANGES_UNNAMED = re.compile(
    r"(?<!DELETE )(?<!UPDATE )\bCASCADE\b|\bALTER\s+(TYPE|DOMAIN)\b|\bEXTENSION\b"
    r"|^\s*(DO|CALL)\b",
    re.IGNORECASE,
)

# SQLite keeps the CREATE statement of every table, index and trigger in sqlite_master,
# one row each; a table's statements describe it. SQLite's own tables are left out:
# sqlite_sequence, made for the first AUTOINCREMENT table, stays for good.
SQLITE_ROWS = r"""
    SELECT rowid, tbl_name, name, sql FROM sqlite_master
    WHERE sql IS NOT NULL AND tbl_name NOT LIKE 'sqlite\_%' ESCAPE '\'
"""
SQLITE_TOP_ROWID = "SELECT max(rowid) FROM sqlite_master"
SqliteRow = tuple[int, str, str, str]  # rowid, tbl_name, name, sql
REFERENCES = re.compile(r"\bREFERENCES\s+", re.IGNORECASE)
TABLE_OR_INDEX = re.compile(r"\s*CREATE\s+(UNIQUE\s+)?(TABLE|INDEX)\b", re.IGNORECASE)
AUTOINCREMENT = re.compile(r"\bAUTOINCREMENT\b", re.IGNORECASE)

# PostgreSQL's enum types and sequences: read again after a statement that says TYPE or
# SEQUENCE. A sequence that belongs to a column (SERIAL, IDENTITY) is left to its table,
# where it shows in the column's default or identity.
ENUM_TYPES, SEQUENCES = "<enum types>", "<sequences>"  # not names a table would take
PG_SEQUENCES = """
    SELECT c.relname FROM pg_class c
    WHERE c.relkind = 'S' AND c.relnamespace = current_schema()::regnamespace
    AND NOT EXISTS (
        SELECT FROM pg_depend d
        WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i')
    )
    ORDER BY c.relname
"""

Changes = dict[str, tuple[Any, Any]]


@dataclass(frozen=True)
class Entry:
    """How one table looks (or on PostgreSQL, the enum types or the sequences)."""

    description: Any
    # The names of its indexes and constraints, and the tables its foreign keys point
    # at: a statement that names one of them can change this table.
    related: frozenset[str] = frozenset()
    # On SQLite, the ids of its rows in sqlite_master.
    rowids: frozenset[int] = field(default=frozenset(), compare=False)


class SchemaSnapshot:
    """The schema, followed statement by statement while the context manager is open.

    ``catch_up`` re-reads what changed since it was last called, and says how.
    """

    def __init__(
        self,
        connection: Connection,
        *,
        read_everything: bool = False,
        version_table: str = "alembic_version",
    ) -> None:
        self.connection = connection
        self.read_everything = read_everything
        # Alembic's own table (``version_table`` in env.py), which is not part of the schema.
        self.version_table = version_table
        self.entries: dict[str, Entry] = {}
        self.top_rowid = 0  # on SQLite: the highest row id in sqlite_master when last read
        self.related: dict[str, set[str]] = {}  # a name -> the tables related to it
        self.words: set[str] = set()
        self.everything_changed = False
        self.touched: set[str] | None = None
        # The tables the statements since the last catch_up named, whatever the mode.
        self.named: set[str] = set()
        self.reading = False  # while it reads the schema, its own queries are not noted
        self.remember(self.read(None))

    def __enter__(self) -> SchemaSnapshot:
        event.listen(self.connection, "before_cursor_execute", self.note_statement)
        return self

    def __exit__(self, *_exception: object) -> None:
        event.remove(self.connection, "before_cursor_execute", self.note_statement)

    def note_statement(self, _connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        # Its own queries, and Alembic's bookkeeping on alembic_version, change no schema.
        if self.reading or self.version_table in statement:
            return
        if CHANGES_UNNAMED.search(statement):
            self.everything_changed = True
        self.words |= words_of(statement)

    def catch_up(self) -> Changes:
        """Re-read what the statements since the last call named; return (before, after)
        for each entry that changed."""
        if self.read_everything or self.everything_changed:
            current = self.read(None)
            keys = self.entries.keys() | current.keys()
        else:
            named = self.words | self.related_to(self.words)
            current = self.read(named)
            keys = (named & self.entries.keys()) | current.keys()
        # The tables the statements since the last call named; None: any table.
        self.touched = None if self.read_everything or self.everything_changed else named
        self.named = self.words & (self.entries.keys() | current.keys())
        self.words, self.everything_changed = set(), False
        changes = compare(self.entries, current, keys)
        for key in keys - current.keys():
            del self.entries[key]
        self.remember(current)
        return changes

    def tables(self) -> set[str]:
        """The names of the tables, without PostgreSQL's enum types and sequences."""
        return self.entries.keys() - {ENUM_TYPES, SEQUENCES}

    def related_to(self, names: set[str]) -> set[str]:
        """The tables that own one of ``names`` (an index, a constraint) or refer to it."""
        return {table for name in names for table in self.related.get(name, ())}

    def unnoticed_changes(self) -> Changes:
        """How the snapshot differs from the whole schema read afresh: not at all, unless
        a statement changed a table in a way the snapshot did not foresee."""
        if self.read_everything:
            return {}
        current = self.read(None)
        return compare(self.entries, current, self.entries.keys() | current.keys())

    @contextmanager
    def unnoted(self) -> Iterator[None]:
        """Run queries that change no schema without noting their words (reads, inserts)."""
        self.reading = True
        try:
            yield
        finally:
            self.reading = False

    def read(self, names: set[str] | None) -> dict[str, Entry]:
        """The entries among ``names`` (all, for None), less Alembic's version table."""
        with self.unnoted():
            if self.connection.dialect.name == "sqlite":
                entries = read_sqlite(self.sqlite_rows(names))
            else:
                entries = read_server(self.connection, names)
        entries.pop(self.version_table, None)
        return entries

    def sqlite_rows(self, names: set[str] | None) -> list[SqliteRow]:
        """The rows in sqlite_master of the known tables among ``names``, and every row
        added since the last read (all rows, for None).

        SQLite numbers a new row one past the highest row id at the time, so a row added
        since the last read has a higher id than any row then; or else it takes the id of
        a row dropped since, which belonged to a table a statement named.
        """
        if names is None:
            rows, self.top_rowid = sqlite_master(self.connection)
            return rows
        known = names & self.entries.keys()
        rowids = [rowid for table in known for rowid in self.entries[table].rowids]
        listed = ", ".join("?" * len(rowids))
        rows, self.top_rowid = sqlite_master(
            self.connection, f"rowid > ? OR rowid IN ({listed})", (self.top_rowid, *rowids)
        )
        return rows

    def remember(self, entries: dict[str, Entry]) -> None:
        self.entries.update(entries)
        for key, entry in entries.items():
            for name in entry.related:
                self.related.setdefault(name, set()).add(key)

    def differences(self, changes: Changes) -> Changes:
        """The changes that alter what the schema means.

        On SQLite, a table's statements can differ in words and still mean the same: a
        table that Alembic copied in batch mode is written anew. They are compared by
        what they mean instead (see ``sqlite_meaning``).
        """
        if not changes or self.connection.dialect.name != "sqlite":
            return changes
        before = sqlite_meaning({table: old or () for table, (old, _) in changes.items()})
        after = sqlite_meaning({table: new or () for table, (_, new) in changes.items()})
        return {
            table: (before.get(table), after.get(table))
            for table in sorted(before.keys() | after.keys())
            if before.get(table) != after.get(table)
        }


def compare(before: dict[str, Entry], after: dict[str, Entry], keys: Iterable[str]) -> Changes:
    """(before, after) descriptions of the entries among ``keys`` that differ."""
    return {
        key: (describe_entry(before.get(key)), describe_entry(after.get(key)))
        for key in keys
        if before.get(key) != after.get(key)
    }


def describe_entry(entry: Entry | None) -> Any:
    return None if entry is None else entry.description


def words_of(statement: str) -> set[str]:
    """Every word of a statement, as written and in lower case (unquoted names fold)."""
    # No name is longer than 64 characters (PostgreSQL: 63, MySQL: 64).
    words = {"".join(groups) for groups in WORD.findall(statement)} - {""}
    words = {word for word in words if len(word) <= 64}
    return words | {word.lower() for word in words}


def sqlite_master(
    connection: Connection, condition: str = "1", parameters: tuple[int, ...] = ()
) -> tuple[list[SqliteRow], int]:
    """The rows of sqlite_master that meet ``condition``, and its highest row id.

    Read through the driver's own cursor: these two small queries run after every step,
    and through SQLAlchemy they took twice as long.
    """
    cursor = connection.connection.cursor()
    try:
        cursor.execute(f"{SQLITE_ROWS} AND ({condition})", parameters)
        rows: list[SqliteRow] = list(cursor.fetchall())
        cursor.execute(SQLITE_TOP_ROWID)
        ((top,),) = cursor.fetchall()
    finally:
        cursor.close()
    return rows, top or 0


def read_sqlite(rows: Iterable[SqliteRow]) -> dict[str, Entry]:
    """SQLite's tables, from their rows in sqlite_master."""
    tables: dict[str, list[SqliteRow]] = {}
    for row in rows:
        tables.setdefault(row[1], []).append(row)
    return {
        table: Entry(
            tuple(sorted(sql for _, _, _, sql in rows)),
            related=frozenset(
                ({name for _, _, name, _ in rows} - {table})
                | {name for _, _, _, sql in rows for name in referenced_tables(sql)}
            ),
            rowids=frozenset(rowid for rowid, _, _, _ in rows),
        )
        for table, rows in tables.items()
    }


def referenced_tables(sql: str) -> Iterator[str]:
    """The tables that the ``REFERENCES`` clauses of a statement point at."""
    for found in REFERENCES.finditer(sql):
        word = WORD.match(sql, found.end())
        if word:
            yield "".join(group or "" for group in word.groups())


def read_server(connection: Connection, names: set[str] | None) -> dict[str, Entry]:
    """The entries among ``names`` (all of them for None), read from the database."""
    postgresql = connection.dialect.name == "postgresql"
    entries = {}
    if names is None or names:  # a step that sent no statement (a merge) names nothing
        catalog = catalog_postgresql if postgresql else catalog_mysql
        for table, (description, related) in catalog.read_tables(connection, names).items():
            entries[table] = Entry(description, related)
    if postgresql:
        if names is None or "type" in names:
            inspector = inspect(connection)
            assert isinstance(inspector, PGInspector)
            entries[ENUM_TYPES] = Entry({"enum type": by_name(inspector.get_enums(schema="*"))})
        if names is None or "sequence" in names:
            sequences = connection.exec_driver_sql(PG_SEQUENCES).scalars()
            entries[SEQUENCES] = Entry({"sequence": {name: name for name in sequences}})
    return entries


# SQLite's views and triggers, which autogenerate cannot see.
SQLITE_OTHER_OBJECTS = """
    SELECT type || ' ' || name || CASE type WHEN 'trigger' THEN ' on ' || tbl_name ELSE '' END
    FROM sqlite_master WHERE type IN ('view', 'trigger') ORDER BY 1
"""


def unseen_by_autogenerate(connection: Connection) -> list[str]:
    """What the schema holds that autogenerate cannot see, and so cannot write a revision
    for, each as ``<kind> <name>``: views and triggers on every engine, functions,
    procedures, standalone sequences and extensions on PostgreSQL, routines and events on
    MySQL."""
    dialect = connection.dialect.name
    if dialect == "sqlite":
        found = connection.exec_driver_sql(SQLITE_OTHER_OBJECTS).scalars()
        return [str(name) for name in found]
    if dialect == "postgresql":
        return catalog_postgresql.read_other_objects(connection)
    return catalog_mysql.read_other_objects(connection)


def describe(inspector: Inspector) -> dict[str, Any]:
    """Every table in detail, as SQLAlchemy reflects it (SQLite's scratch copies)."""
    columns = inspector.get_multi_columns()
    primary_keys = inspector.get_multi_pk_constraint()
    foreign_keys = inspector.get_multi_foreign_keys()
    indexes = inspector.get_multi_indexes()
    unique_constraints = inspector.get_multi_unique_constraints()
    check_constraints = inspector.get_multi_check_constraints()
    return {
        key[1]: {  # key: (schema name, table name)
            "column": {column["name"]: describe_column(column) for column in table_columns},
            "primary key": by_name([primary_keys[key]]),
            "foreign key": by_name(foreign_keys[key]),
            "index": by_name(indexes[key]),
            "unique constraint": by_name(unique_constraints[key]),
            "check constraint": by_name(check_constraints[key]),
        }
        for key, table_columns in columns.items()
    }


def by_name(items: Iterable[Any]) -> dict[str, str]:
    """Reflected indexes or constraints, each described under its name (or, unnamed,
    under its description)."""
    described = {repr(item): item.get("name") for item in items if item}
    return {str(name or text): text for text, name in described.items()}


def describe_column(column: Any) -> str:
    """A column's type, nullability and default, and whatever else is reflected of it
    (identity, comment, a computed expression), when it has it: a message then shows
    ``VARCHAR(50) NOT NULL``, not ``comment=None autoincrement=False`` too."""
    details = [str(column["type"]), "NULL" if column["nullable"] else "NOT NULL"]
    if column["default"] is not None:
        details.append(f"DEFAULT {column['default']}")
    extras = ("identity", "comment", "computed", "autoincrement")
    details += [f"{extra}={column[extra]!r}" for extra in extras if column.get(extra)]
    return " ".join(details)


def sqlite_meaning(tables: dict[str, Iterable[str]]) -> dict[str, Any]:
    """What the SQLite statements of some tables mean, table by table.

    Tables and indexes are described by SQLAlchemy's reflection, after their statements
    ran in a scratch database; with what reflection leaves out: AUTOINCREMENT, and the
    text of triggers and views.
    """
    statements = {table: list(sqls) for table, sqls in tables.items()}
    all_statements = [sql for sqls in statements.values() for sql in sqls]
    described = replay(sql for sql in all_statements if TABLE_OR_INDEX.match(sql))
    meaning = {}
    for table, sqls in statements.items():
        others = sorted(sql for sql in sqls if not TABLE_OR_INDEX.match(sql))
        if table in described or others:
            meaning[table] = {
                **described.get(table, {}),
                "autoincrement": any(AUTOINCREMENT.search(sql) for sql in sqls),
                "trigger or view": {sql: sql for sql in others},
            }
    return meaning


def replay(statements: Iterable[str]) -> dict[str, Any]:
    """Describe a SQLite schema by running its CREATE statements in a scratch database."""
    engine = create_engine("sqlite://")
    try:
        with engine.connect() as connection:
            for sql in sorted(statements, key=lambda sql: not sql.startswith("CREATE TABLE")):
                connection.exec_driver_sql(sql)
            return describe(inspect(connection))
    finally:
        engine.dispose()


def explain(key: str, expected: Any, actual: Any) -> list[str]:
    """What differs in one table (or PostgreSQL's enum types or sequences), item by item:
    ``users.email: left behind``, ``index ix_users_name: missing``."""
    if expected is None or actual is None:
        return [f"table {key}: {'left behind' if expected is None else 'missing'}"]
    lines = []
    for part in sorted(expected.keys() | actual.keys()):
        was, now = expected.get(part), actual.get(part)
        if was == now:
            continue
        if not (isinstance(was, dict) and isinstance(now, dict)):
            lines.append(f"{key} {part}: was {was!r}, now {now!r}")
            continue
        for name in sorted(was.keys() | now.keys()):
            label = f"{key}.{name}" if part == "column" else f"{part} {name}"
            if name not in was:
                lines.append(f"{label}: left behind")
            elif name not in now:
                lines.append(f"{label}: missing")
            elif was[name] != now[name]:
                lines.append(f"{label}: was {was[name]}, now {now[name]}")
    return lines
