"""Measure on the real server what each corpus revision does to a table in use.

Run in a baked project, with its Python (it has the drivers) and ``PYTHONPATH=src``::

    python safety_verdicts.py DATABASE SERVER_URL REVISIONS_JSON OUTPUT_JSON

For each revision (run alone, on a fresh copy of the base tables, each with rows) it
records the facts a danger is made of; test_safety_corpus.py compares them with the
verdict the corpus claims:

- ``fails``: the revision fails on tables that have rows;
- ``compat``: afterwards the release still running fails (its SELECT and INSERT of the
  columns it knows) or reads other values than before;
- ``blocking_work``: PostgreSQL: a statement reads or rewrites a table in use while the
  revision's transaction holds a lock on it that blocks reads or writes (pg_locks,
  pg_class.relfilenode and the transaction's tuple counters); a statement that cannot run
  in a transaction (CONCURRENTLY) is run while a second session holds a write open, and a
  third session's INSERT must not wait for it;
- ``blocks_reads``: PostgreSQL: the revision holds ACCESS EXCLUSIVE on a table in use;
- ``not_online``: MariaDB/MySQL: the server refuses ``LOCK=NONE`` for a statement;
- ``retry_fails``: MariaDB/MySQL: with the last schema change held up by a second session
  until it times out, running the revision again fails;
- ``unbounded_wait``: the session's lock timeout is off after a statement.
"""

from __future__ import annotations

import importlib
import json
import re
import sqlite3
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic.operations import Operations
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, make_url

ROWS = 400
TABLES = ("users", "orders")
# What the release still running reads and writes: every column it knows.
OLD_COLUMNS = {
    "users": ["id", "name", "email", "age", "code", "status", "score", "created_at"],
    "orders": ["id", "user_id", "amount", "note"],
}
OLD_INSERT = {
    "users": (
        "INSERT INTO users (name, email, age, code, status, score, created_at) VALUES "
        f"('{'n' * 50}', 'new@example.com', 30, '0000000042', 'active', 12.5, "
        "'2020-01-01 00:00:00')"
    ),
    "orders": "INSERT INTO orders (user_id, amount, note) VALUES (1, 10.5, 'a note')",
}
# Every third user has no email; every user has an age.
BASE = {
    "postgresql": [
        "DROP SCHEMA IF EXISTS public CASCADE",
        "CREATE SCHEMA public",
        "CREATE TYPE user_status AS ENUM ('active', 'blocked')",
        "CREATE TABLE users (id SERIAL PRIMARY KEY, name VARCHAR(50) NOT NULL, "
        "email VARCHAR(100), age INTEGER, code VARCHAR(10), status user_status, "
        "score NUMERIC(8, 2), created_at TIMESTAMP WITHOUT TIME ZONE)",
        "CREATE INDEX ix_users_email ON users (email)",
        "CREATE TABLE orders (id SERIAL PRIMARY KEY, user_id INTEGER NOT NULL, "
        "amount NUMERIC(10, 2), note TEXT)",
        f"INSERT INTO users (name, email, age, code, status, score, created_at) "
        f"SELECT 'user ' || i, CASE WHEN i % 3 = 0 THEN NULL ELSE 'u' || i || '@example.com' END, "
        f"20 + i % 50, lpad(i::text, 5, '0'), 'active', i * 1.5, '2020-01-01' "
        f"FROM generate_series(1, {ROWS}) AS i",
        f"INSERT INTO orders (user_id, amount, note) SELECT i, i * 2.5, 'order ' || i "
        f"FROM generate_series(1, {ROWS}) AS i",
        "ANALYZE users",
        "ANALYZE orders",
    ],
    "mysql": [
        "CREATE TABLE users (id INTEGER NOT NULL AUTO_INCREMENT PRIMARY KEY, "
        "name VARCHAR(50) NOT NULL, email VARCHAR(100), age INTEGER, code VARCHAR(10), "
        "status ENUM('active', 'blocked'), score NUMERIC(8, 2), created_at DATETIME) "
        "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
        "CREATE INDEX ix_users_email ON users (email)",
        "CREATE TABLE orders (id INTEGER NOT NULL AUTO_INCREMENT PRIMARY KEY, "
        "user_id INTEGER NOT NULL, amount NUMERIC(10, 2), note TEXT) "
        "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
        f"INSERT INTO users (name, email, age, code, status, score, created_at) "
        f"SELECT CONCAT('user ', seq), IF(seq % 3 = 0, NULL, CONCAT('u', seq, '@example.com')), "
        f"20 + seq % 50, LPAD(seq, 5, '0'), 'active', seq * 1.5, '2020-01-01' "
        f"FROM seq_1_to_{ROWS}",
        f"INSERT INTO orders (user_id, amount, note) SELECT seq, seq * 2.5, "
        f"CONCAT('order ', seq) FROM seq_1_to_{ROWS}",
    ],
    "sqlite": [
        "CREATE TABLE users (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(50) NOT NULL, "
        "email VARCHAR(100), age INTEGER, code VARCHAR(10), status VARCHAR(7), "
        "score NUMERIC(8, 2), created_at DATETIME)",
        "CREATE INDEX ix_users_email ON users (email)",
        "CREATE TABLE orders (id INTEGER NOT NULL PRIMARY KEY, user_id INTEGER NOT NULL, "
        "amount NUMERIC(10, 2), note TEXT)",
        f"WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {ROWS}) "
        "INSERT INTO users (name, email, age, code, status, score, created_at) "
        "SELECT 'user ' || i, CASE WHEN i % 3 = 0 THEN NULL ELSE 'u' || i || '@example.com' END, "
        "20 + i % 50, substr('0000' || i, -5), 'active', i * 1.5, '2020-01-01 00:00:00' FROM s",
        f"WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {ROWS}) "
        "INSERT INTO orders (user_id, amount, note) SELECT i, i * 2.5, 'order ' || i FROM s",
    ],
}
# PostgreSQL lock modes that block writes (ROW EXCLUSIVE) of other sessions.
BLOCKS_WRITES = {"ShareLock", "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock"}


Facts = dict[str, Any]


def main() -> None:
    package, database, server, revisions_file, output = sys.argv[1:6]
    render = importlib.import_module(f"{package}.migration_tools.safety.render")
    config_module = importlib.import_module(f"{package}.migration_tools.config")
    config = config_module.read_config()
    scripts = ScriptDirectory.from_config(config)
    wanted = json.loads(Path(revisions_file).read_text())
    chosen = [scripts.get_revision(revision) for revision in wanted]
    rendered = render.render(config, chosen, database)
    measure = {"postgresql": PostgreSQL, "mysql": MariaDB, "sqlite": SQLite}[database](server)
    facts = {}
    for revision in rendered:
        facts[revision.script.revision] = measure.facts(revision)
    Path(output).write_text(json.dumps(facts, indent=1))


def shown(value: Any) -> str:
    """A value as the release reads it: its type, and its text unless DML may change it."""
    return f"{type(value).__name__}:{value}"


def changed(before: list[str] | str, after: list[str] | str, revision: Any) -> str | bool:
    """What the release still running meets after the revision: an error, values of
    another type, or (when the revision writes no rows itself) other values."""
    if isinstance(after, str):
        return after
    if after == before or isinstance(before, str):
        return False
    writes_rows = any(
        statement.sql.upper().lstrip().startswith(("UPDATE", "INSERT", "DELETE"))
        for statement in revision.statements
    )
    types = [re.sub(r":[^,)']*", "", text) for text in (repr(before), repr(after))]
    if writes_rows and types[0] == types[1]:
        return False
    return "values"


class Server:
    """What every engine measures the same way: failures and the running release."""

    dialect = ""

    def __init__(self, url: str) -> None:
        self.url = url

    def connect(self) -> Any:
        raise NotImplementedError

    def reset(self, connection: Any) -> None:
        cursor = connection.cursor()
        for statement in BASE[self.dialect]:
            cursor.execute(statement)
        self.commit(connection)

    def commit(self, connection: Any) -> None:
        connection.commit()

    def old_release(self, connection: Any) -> list[str] | str:
        """What the release still running reads, or the error it meets reading or writing."""
        cursor = connection.cursor()
        seen = []
        self.begin(cursor)
        try:
            for table in TABLES:
                columns = ", ".join(OLD_COLUMNS[table])
                cursor.execute(f"SELECT {columns} FROM {table} WHERE id <= {ROWS} ORDER BY id")
                seen.append(repr([tuple(shown(value) for value in row) for row in cursor.fetchall()]))
            for table in TABLES:
                cursor.execute(OLD_INSERT[table])
        except Exception as error:
            self.rollback(connection)
            return f"{type(error).__name__}: {error}"
        self.rollback(connection)
        return seen

    def rollback(self, connection: Any) -> None:
        connection.rollback()

    def begin(self, cursor: Any) -> None:
        """Start a transaction (the drivers of PostgreSQL and SQLite start one themselves)."""


class PostgreSQL(Server):
    dialect = "postgresql"

    def connect(self) -> Any:
        import psycopg

        url = make_url(self.url)
        return psycopg.connect(
            host=url.host, port=url.port or 5432, user=url.username, dbname=url.database,
            password=url.password or None,
        )

    def facts(self, revision: Any) -> Facts:
        facts: Facts = {"fails": None, "compat": False, "blocking_work": False,
                        "blocks_reads": False, "unbounded_wait": False}
        a = self.connect()
        a.autocommit = True
        self.reset_autocommit(a)
        tables = self.table_state(a)
        a.autocommit = False
        before = self.old_release(a)
        a.autocommit = True
        # What env.py sets first: the migration timeouts.
        a.execute("SET lock_timeout = '5s'")
        a.execute("SET statement_timeout = '300s'")
        in_transaction = False
        try:
            for statement in revision.statements:
                if statement.in_transaction and not in_transaction:
                    a.execute("BEGIN")
                    in_transaction = True
                elif not statement.in_transaction and in_transaction:
                    a.execute("COMMIT")
                    in_transaction = False
                if in_transaction:
                    self.in_transaction(a, statement.sql, tables, facts)
                else:
                    self.on_its_own(a, statement.sql, facts)
                if a.execute("SELECT current_setting('lock_timeout')").fetchone()[0] in ("0", "0ms"):
                    facts["unbounded_wait"] = True
            if in_transaction:
                a.execute("COMMIT")
        except Exception as error:
            facts["fails"] = f"{type(error).__name__}: {error}"[:200]
            if in_transaction:
                a.execute("ROLLBACK")
        if facts["fails"] is None:
            a.autocommit = False
            after = self.old_release(a)
            facts["compat"] = changed(before, after, revision)
        a.close()
        return facts

    def reset_autocommit(self, connection: Any) -> None:
        for statement in BASE[self.dialect]:
            connection.execute(statement)

    def table_state(self, connection: Any) -> dict[str, tuple[int, int]]:
        """Each table in use: its oid and its file (a rewrite gives it a new one)."""
        rows = connection.execute(
            "SELECT relname, oid::int, relfilenode::int FROM pg_class WHERE relname = ANY(%s)",
            (list(TABLES),),
        ).fetchall()
        return {name: (oid, node) for name, oid, node in rows}

    def in_transaction(self, a: Any, sql: str, tables: dict[str, tuple[int, int]], facts: Facts) -> None:
        reads = self.rows_read(a, tables)
        a.execute(sql)
        read_now = self.rows_read(a, tables)
        files = {name: node for name, (_, node) in self.table_state(a).items()}
        locks = dict(a.execute(
            "SELECT c.relname, string_agg(l.mode, ',') FROM pg_locks l JOIN pg_class c "
            "ON c.oid = l.relation WHERE l.pid = pg_backend_pid() AND l.granted "
            "AND c.relname = ANY(%s) GROUP BY c.relname",
            (list(TABLES),),
        ).fetchall())
        held = {name for name, modes in locks.items() if BLOCKS_WRITES & set(modes.split(","))}
        if any("AccessExclusiveLock" in modes for modes in locks.values()):
            facts["blocks_reads"] = True
        worked = [
            name for name in tables
            if read_now.get(name, 0) - reads.get(name, 0) >= ROWS // 2
            or (name in files and files[name] != tables[name][1])
        ]
        if worked and held:
            facts["blocking_work"] = True

    def rows_read(self, a: Any, tables: dict[str, tuple[int, int]]) -> dict[str, int]:
        rows = a.execute(
            "SELECT relname, pg_stat_get_xact_tuples_returned(oid) "
            "+ pg_stat_get_xact_tuples_fetched(oid) FROM pg_class WHERE relname = ANY(%s)",
            (list(tables),),
        ).fetchall()
        return dict(rows)

    def on_its_own(self, a: Any, sql: str, facts: Facts) -> None:
        """A statement outside the transaction (CONCURRENTLY): run while a second session
        holds a write open, and see whether a third session's INSERT waits for it."""
        if not sql.upper().lstrip().startswith(("CREATE", "DROP", "REINDEX", "ALTER TABLE")):
            a.execute(sql)
            return
        b, c = self.connect(), self.connect()
        b.execute(OLD_INSERT["users"])  # an open transaction that wrote: ROW EXCLUSIVE
        b.execute(OLD_INSERT["orders"])
        errors: list[BaseException] = []
        worker = threading.Thread(target=run_catching(a, sql, errors))
        worker.start()
        time.sleep(0.3)
        c.execute("SET lock_timeout = '300ms'")
        for table in TABLES:
            try:
                c.execute(OLD_INSERT[table])
            except Exception:
                facts["blocking_work"] = True
            c.rollback()
        b.rollback()
        worker.join()
        b.close()
        c.close()
        if errors:
            raise errors[0]


def run_catching(connection: Any, sql: str, errors: list[BaseException]) -> Callable[[], None]:
    def target() -> None:
        try:
            connection.execute(sql)
        except BaseException as error:
            errors.append(error)

    return target


class MariaDB(Server):
    dialect = "mysql"

    def connect(self) -> Any:
        import pymysql

        url = make_url(self.url)
        return pymysql.connect(
            host=url.host, port=url.port or 3306, user=url.username,
            password=url.password or "", database=url.database, autocommit=True,
        )

    def begin(self, cursor: Any) -> None:
        cursor.execute("START TRANSACTION")

    def reset(self, connection: Any) -> None:
        cursor = connection.cursor()
        cursor.execute("SET SESSION lock_wait_timeout = 5")
        cursor.execute("SET FOREIGN_KEY_CHECKS = 0")
        cursor.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()")
        for (table,) in cursor.fetchall():
            cursor.execute(f"DROP TABLE `{table}`")
        cursor.execute("SET FOREIGN_KEY_CHECKS = 1")
        for statement in BASE[self.dialect]:
            cursor.execute(statement)

    def facts(self, revision: Any) -> Facts:
        facts: Facts = {"fails": None, "compat": False, "not_online": False,
                        "retry_fails": False, "unbounded_wait": False}
        a = self.connect()
        self.reset(a)
        before = self.old_release(a)
        cursor = a.cursor()
        cursor.execute("SET SESSION lock_wait_timeout = 5")
        cursor.execute("SET SESSION innodb_lock_wait_timeout = 5")
        try:
            for statement in revision.statements:
                self.run_online(cursor, statement.sql, facts)
                cursor.execute("SELECT @@SESSION.lock_wait_timeout")
                if int(cursor.fetchone()[0]) >= 31536000:
                    facts["unbounded_wait"] = True
        except Exception as error:
            facts["fails"] = f"{type(error).__name__}: {error}"[:200]
        if facts["fails"] is None:
            after = self.old_release(a)
            facts["compat"] = changed(before, after, revision)
            facts["retry_fails"] = self.retry_fails(a, revision)
        a.close()
        return facts

    def run_online(self, cursor: Any, sql: str, facts: Facts) -> None:
        """Run ``sql``, asking for LOCK=NONE first where it changes a table in use."""
        upper = " ".join(sql.upper().split())
        online = None
        if upper.startswith("ALTER TABLE") and " LOCK" not in upper and " RENAME TO " not in upper:
            online = f"{sql.rstrip().rstrip(';')}, LOCK=NONE"
        elif upper.startswith(("CREATE INDEX", "CREATE UNIQUE INDEX", "CREATE FULLTEXT")):
            online = f"{sql.rstrip().rstrip(';')} LOCK=NONE"
        elif upper.startswith("DROP INDEX"):  # takes no LOCK clause: its ALTER TABLE form does
            index, table = sql.split()[2], sql.split()[4].rstrip(";")
            online = f"ALTER TABLE {table} DROP INDEX {index}, LOCK=NONE"
        if online is not None and any(f" {table.upper()}" in upper for table in TABLES):
            try:
                cursor.execute(online)
                return
            except Exception as error:
                if "LOCK=NONE" not in str(error) and "1846" not in str(error) and "1845" not in str(error):
                    raise
                facts["not_online"] = str(error)[:160]
        cursor.execute(sql)

    def retry_fails(self, a: Any, revision: Any) -> bool:
        """Hold up the revision's last schema change on a table in use until it times out,
        then run the revision again: does it fail?"""
        statements = [statement.sql for statement in revision.statements]
        ddl = [
            index for index, sql in enumerate(statements)
            if sql.upper().lstrip().startswith(("ALTER", "CREATE", "DROP", "RENAME"))
        ]
        in_use = [index for index in ddl[1:] if changed_table(statements[index]) in TABLES]
        if not in_use:
            return False
        last = in_use[-1]
        self.reset(a)
        cursor = a.cursor()
        for sql in statements[:last]:
            cursor.execute(sql)
        # A second session reads the tables in a transaction: the schema change waits.
        b = self.connect()
        b_cursor = b.cursor()
        b_cursor.execute("START TRANSACTION")
        for table in TABLES:
            b_cursor.execute(f"SELECT COUNT(*) FROM {table}")
        cursor.execute("SET SESSION lock_wait_timeout = 1")
        try:
            for sql in statements[last:]:
                cursor.execute(sql)
            return False  # it was not held up: nothing to retry
        except Exception:
            pass
        finally:
            b.rollback()
            b.close()
        cursor.execute("SET SESSION lock_wait_timeout = 5")
        try:
            for sql in statements:
                cursor.execute(sql)
        except Exception:
            return True
        return False


def changed_table(sql: str) -> str | None:
    """The table an ALTER TABLE, CREATE INDEX or DROP INDEX changes."""
    match = re.search(r"^\s*(?:ALTER TABLE|CREATE .*?INDEX .*? ON|DROP INDEX \S+ ON) `?(\w+)", sql, re.I)
    return match[1].lower() if match else None


class SQLite(Server):
    """SQLite runs batch operations as table copies, which need the live table: each
    revision runs through Alembic itself, on a file with rows."""

    dialect = "sqlite"

    def facts(self, revision: Any) -> Facts:
        facts: Facts = {"fails": None, "compat": False}
        path = Path(self.url)
        path.unlink(missing_ok=True)
        connection = sqlite3.connect(path)
        self.reset(connection)
        before = self.old_release(connection)
        connection.close()
        engine = create_engine(f"sqlite:///{path}")
        try:
            with engine.connect() as sa_connection:
                context = MigrationContext.configure(sa_connection, opts={"transactional_ddl": True})
                with (
                    EnvironmentContext(None, None),  # type: ignore[arg-type]
                    Operations.context(context),
                    context.begin_transaction(),
                ):
                    revision.script.module.upgrade()
        except Exception as error:
            facts["fails"] = f"{type(error).__name__}: {error}"[:200]
        engine.dispose()
        if facts["fails"] is None:
            connection = sqlite3.connect(path)
            after = self.old_release(connection)
            connection.close()
            facts["compat"] = changed(before, after, revision)
        return facts


if __name__ == "__main__":
    main()
