"""The MySQL and MariaDB rules: what InnoDB cannot do online, and revisions that cannot be
run again once half of them ran.

InnoDB does most schema changes online: INSTANT (a new column, a dropped index, a longer
VARCHAR within its length bytes, an ENUM member appended) or INPLACE with ``LOCK=NONE``
(a new index, NULL allowed), while reads and writes go on. The rest copies the table,
and writes wait until the copy is done: a foreign key or a CHECK constraint added, a
column type changed, a stored generated or AUTO_INCREMENT column added, a FULLTEXT index,
the primary key dropped, a new engine or character set, and anything asked for with
``ALGORITHM=COPY`` or a ``LOCK`` stronger than NONE (the "Online DDL Operations" tables of
the MySQL 8 and MariaDB manuals). Column changes are read in rules.py.

MySQL commits each schema change at once: a revision whose second ALTER fails (a lock
timeout) leaves the first applied, and running it again fails on it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..timeouts import MYSQL_MAX_LOCK_WAIT
from .findings import Finding
from .render import Statement
from .rules import Parts
from .sql import ALTER_TABLE, CREATE_INDEX, clauses, is_ddl, setting

# ALTER TABLE clauses that copy the table, with why.
COPIES = [
    (re.compile(r"^ADD (?:CONSTRAINT [\w$]+ )?FOREIGN KEY"), "adding-foreign-key-constraint", ""),
    (re.compile(r"^ADD (?:CONSTRAINT [\w$]+ )?CHECK\b"), "table-copy", "adding a CHECK constraint"),
    (
        re.compile(r"^ADD (?:COLUMN )?.*\bAUTO_INCREMENT\b"),
        "table-copy",
        "an AUTO_INCREMENT column",
    ),
    (
        re.compile(r"^ADD (?:COLUMN )?.*\b(?:STORED|PERSISTENT)\b"),
        "table-copy",
        "a stored generated column",
    ),
    (re.compile(r"^ADD (?:FULLTEXT|SPATIAL)\b"), "table-copy", "a FULLTEXT or SPATIAL index"),
    (re.compile(r"^ALGORITHM\s*=?\s*COPY"), "table-copy", "ALGORITHM=COPY"),
    (re.compile(r"^LOCK\s*=?\s*(?:SHARED|EXCLUSIVE)"), "table-copy", "a LOCK stronger than NONE"),
    (
        re.compile(r"^(?:ENGINE(?!\s*=?\s*INNODB\b)|ORDER BY|PARTITION BY|REMOVE PARTITIONING)"),
        "table-copy",
        "a new engine, order or partitioning",
    ),
    (
        re.compile(r"^(?:CONVERT TO )?(?:DEFAULT )?(?:CHARACTER SET|CHARSET|COLLATE)\b"),
        "table-copy",
        "a new character set",
    ),
]
# Schema changes that a second run makes again without an error: a column restated.
IDEMPOTENT = re.compile(
    r"^ALTER TABLE [\w$.]+ (?:MODIFY|ALTER (?:COLUMN )?[\w$]+ (?:SET|DROP) DEFAULT)\b(?!.*,)"
)
FOREIGN_KEY_SAFE_WAY = (
    'check the rows with a query first, then add the key after op.execute("SET '
    'foreign_key_checks = 0"): InnoDB then adds it in place, without a copy'
)
COPY_SAFE_WAY = (
    "on a big table, run it with an online schema change tool (gh-ost, "
    "pt-online-schema-change), or when the table is quiet; say so in a waiver"
)


def find_dangers(parts: Parts) -> Iterator[Finding]:
    earlier_ddl = None
    checks_foreign_keys = True
    for statement, sql in parts.statements:
        value = setting(sql)
        if value and value[0] == "lock_wait_timeout" and float(value[1]) >= MYSQL_MAX_LOCK_WAIT:
            yield parts.finding(statement, "lock-timeout-disabled", sql)
        if value and value[0] == "foreign_key_checks":
            checks_foreign_keys = value[1].upper() not in ("0", "OFF")
        if not is_ddl(sql):
            continue
        if earlier_ddl is not None and parts.existing(sql):
            yield parts.finding(
                statement,
                "multiple-ddl-statements",
                sql,
                why=(
                    "MySQL commits each schema change at once: if this one fails (a lock "
                    f"timeout), {quoted(parts.text.get(earlier_ddl, earlier_ddl))} stays "
                    "applied, and running the revision again fails on it"
                ),
            )
        if not IDEMPOTENT.match(sql):
            earlier_ddl = earlier_ddl or sql
        if not parts.existing(sql):
            continue
        index = CREATE_INDEX.match(sql)
        if index and index[1] and index[1].strip() in ("FULLTEXT", "SPATIAL"):
            yield copy_finding(parts, statement, sql, "a FULLTEXT or SPATIAL index")
        match = ALTER_TABLE.match(sql)
        actions = list(clauses(match[2])) if match else []
        new_key = any(action.startswith("ADD PRIMARY KEY") for action in actions)
        if "DROP PRIMARY KEY" in actions and not new_key:
            yield copy_finding(parts, statement, sql, "the primary key dropped, and no new one")
        for clause in actions:
            for pattern, rule, what in COPIES:
                unchecked_key = rule == "adding-foreign-key-constraint" and not checks_foreign_keys
                if pattern.match(clause) and not unchecked_key:
                    yield copy_finding(parts, statement, sql, what, rule)


def copy_finding(
    parts: Parts, statement: Statement, sql: str, what: str, rule: str = "table-copy"
) -> Finding:
    why = (
        f"InnoDB cannot do this online ({what or 'a foreign key checks every row'}): it copies "
        "the table, and writes to it wait until the copy is done"
    )
    safe_way = FOREIGN_KEY_SAFE_WAY if rule == "adding-foreign-key-constraint" else COPY_SAFE_WAY
    return parts.finding(statement, rule, sql, why=why, safe_way=safe_way)


def quoted(sql: str) -> str:
    return f"`{sql[:60]}{'...' if len(sql) > 60 else ''}`"
