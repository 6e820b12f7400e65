"""The safety lint's corpus: schema changes, each with what it does on a database in use,
on each engine, as the real server shows it (safety_verdicts.py measures it).

Drawn from squawk's rules, strong_migrations' checks, django-pg-zero-downtime-migrations,
Atlas's analyzers and the online DDL tables of the MySQL 8 and MariaDB manuals. Every
case runs on the base tables of safety_verdicts.py (``users``: id, name VARCHAR(50) NOT
NULL, email VARCHAR(100) with NULLs, age INTEGER, code VARCHAR(10) of digits, status
ENUM('active', 'blocked'), score NUMERIC(8, 2), created_at; ``orders``: id, user_id, amount
NUMERIC(10, 2), note TEXT; an index ix_users_email), each with rows.

A verdict is ``SAFE`` or the danger the server shows (see safety_verdicts.py): FAILS,
COMPAT (the running release breaks), BLOCKING_WORK, BLOCKS_READS, NOT_ONLINE,
RETRY_FAILS, UNBOUNDED_WAIT. To grow the corpus, add a Case: the test measures it on
each engine it names, and fails if the server disagrees with the verdict.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SAFE = "safe"
FAILS = "fails"
COMPAT = "compat"
BLOCKING_WORK = "blocking_work"
BLOCKS_READS = "blocks_reads"
NOT_ONLINE = "not_online"
RETRY_FAILS = "retry_fails"
UNBOUNDED_WAIT = "unbounded_wait"
DANGERS = (FAILS, COMPAT, BLOCKING_WORK, BLOCKS_READS, NOT_ONLINE, RETRY_FAILS, UNBOUNDED_WAIT)
ENGINES = ("postgresql", "mysql", "sqlite")


@dataclass(frozen=True)
class Case:
    """A revision's upgrade() body, and its verdict on each engine it applies to."""

    name: str
    body: str
    verdicts: dict[str, str]
    # A body for one engine where it is written differently there (SQLite's batch mode).
    bodies: dict[str, str] = field(default_factory=dict)

    def body_for(self, engine: str) -> str:
        return self.bodies.get(engine, self.body)


def batch(table: str, *operations: str) -> str:
    """``operations`` inside ``op.batch_alter_table(table)``, as SQLite needs them."""
    lines = "\n".join(f"    batch_op.{operation}" for operation in operations)
    return f'with op.batch_alter_table("{table}") as batch_op:\n{lines}'


def everywhere(verdict: str) -> dict[str, str]:
    return dict.fromkeys(ENGINES, verdict)


def verdicts(postgresql: str | None, mysql: str | None, sqlite: str | None) -> dict[str, str]:
    found = {"postgresql": postgresql, "mysql": mysql, "sqlite": sqlite}
    return {engine: verdict for engine, verdict in found.items() if verdict is not None}


DROP_AGE_SQL = "ALTER TABLE users DROP COLUMN age"

CASES: list[Case] = [
    # The running release: columns and tables it uses, gone or renamed, or required.
    Case("add a required column", 'op.add_column("users", sa.Column("level", sa.Integer(), nullable=False))',
         verdicts(FAILS, COMPAT, FAILS)),
    Case("add a required string column", 'op.add_column("orders", sa.Column("ref", sa.String(20), nullable=False))',
         verdicts(FAILS, COMPAT, FAILS)),
    Case("drop a column", 'op.drop_column("users", "age")', everywhere(COMPAT),
         bodies={"sqlite": batch("users", 'drop_column("age")')}),
    Case("drop a text column", 'op.drop_column("orders", "note")', everywhere(COMPAT),
         bodies={"sqlite": batch("orders", 'drop_column("note")')}),
    Case("drop a column in SQL", f'op.execute("{DROP_AGE_SQL}")', everywhere(COMPAT)),
    Case("drop a column in a SQL constant", f'DROP = "{DROP_AGE_SQL}"\nop.execute(DROP)', everywhere(COMPAT)),
    Case("drop a column in a helper", 'def drop(table: str, column: str) -> None:\n'
         '    op.drop_column(table, column)\n\ndrop("users", "code")', verdicts(COMPAT, COMPAT, None)),
    Case("drop a table", 'op.drop_table("orders")', everywhere(COMPAT)),
    Case("drop a table in SQL", 'op.execute("DROP TABLE orders")', everywhere(COMPAT)),
    Case("truncate a table", 'op.execute("TRUNCATE TABLE orders")', verdicts(COMPAT, COMPAT, None)),
    Case("rename a column", 'op.alter_column("users", "email", new_column_name="mail", '
         "existing_type=sa.String(100))", everywhere(COMPAT),
         bodies={"sqlite": batch("users", 'alter_column("email", new_column_name="mail")')}),
    Case("rename a column in SQL", 'op.execute("ALTER TABLE orders RENAME COLUMN note TO remark")',
         everywhere(COMPAT)),
    Case("rename a column with CHANGE", 'op.execute("ALTER TABLE users CHANGE email mail VARCHAR(100) NULL")',
         verdicts(None, COMPAT, None)),
    Case("rename a table", 'op.rename_table("orders", "purchases")', everywhere(COMPAT)),
    Case("rename a table in SQL", 'op.execute("ALTER TABLE orders RENAME TO purchases")', everywhere(COMPAT)),
    Case("rename a table with RENAME TABLE", 'op.execute("RENAME TABLE orders TO purchases")',
         verdicts(None, COMPAT, None)),
    Case("make a column with NULLs NOT NULL", 'op.alter_column("users", "email", nullable=False, '
         "existing_type=sa.String(100))", everywhere(FAILS),
         bodies={"sqlite": batch("users", 'alter_column("email", nullable=False, existing_type=sa.String(100))')}),
    # New columns.
    Case("add a nullable column", 'op.add_column("users", sa.Column("nickname", sa.String(30)))',
         everywhere(SAFE)),
    Case("add a column with a constant default", 'op.add_column("users", sa.Column("points", sa.Integer(), '
         'nullable=False, server_default="0"))', everywhere(SAFE)),
    Case("add a text column with a default", 'op.add_column("orders", sa.Column("state", sa.String(10), '
         "nullable=False, server_default=\"new\"))", everywhere(SAFE)),
    Case("add a boolean column with a default", 'op.add_column("users", sa.Column("admin", sa.Boolean(), '
         'nullable=False, server_default=sa.false()))', everywhere(SAFE)),
    Case("add a column with a volatile default", 'op.add_column("users", sa.Column("seen_at", sa.DateTime(), '
         'server_default=sa.text("clock_timestamp()")))', verdicts(BLOCKING_WORK, None, None)),
    Case("add a serial column", 'op.execute("ALTER TABLE orders ADD COLUMN seq SERIAL")',
         verdicts(BLOCKING_WORK, None, None)),
    Case("add an identity column", 'op.execute("ALTER TABLE orders ADD COLUMN seq INTEGER GENERATED BY DEFAULT AS IDENTITY")',
         verdicts(BLOCKING_WORK, None, None)),
    Case("widen an AUTO_INCREMENT key", 'op.execute("ALTER TABLE orders MODIFY id BIGINT NOT NULL AUTO_INCREMENT")',
         verdicts(None, NOT_ONLINE, None)),
    Case("add a stored generated column", 'op.add_column("users", sa.Column("age2", sa.Integer(), '
         'sa.Computed("age * 2", persisted=True)))', verdicts(BLOCKING_WORK, NOT_ONLINE, None)),
    Case("add a virtual generated column", 'op.add_column("users", sa.Column("age2", sa.Integer(), '
         'sa.Computed("age * 2", persisted=False)))', verdicts(None, SAFE, SAFE)),
    Case("add a column first", 'op.execute("ALTER TABLE users ADD COLUMN tag VARCHAR(10) NULL FIRST")',
         verdicts(None, SAFE, None)),
    Case("add two columns in one ALTER", 'op.execute("ALTER TABLE users ADD COLUMN a INTEGER NULL, '
         'ADD COLUMN b INTEGER NULL")', verdicts(SAFE, SAFE, None)),
    Case("add a new table", 'op.create_table("pets", sa.Column("id", sa.Integer(), primary_key=True), '
         'sa.Column("name", sa.String(30), nullable=False), sa.Column("born", sa.DateTime()))', everywhere(SAFE)),
    Case("add a new table with a CHAR column", 'op.create_table("codes", sa.Column("id", sa.Integer(), '
         'primary_key=True), sa.Column("iso", sa.CHAR(2), nullable=False))', everywhere(SAFE)),
    Case("add a new table and its index", 'op.create_table("pets", sa.Column("id", sa.Integer(), '
         'primary_key=True), sa.Column("name", sa.String(30)))\nop.create_index("ix_pets_name", "pets", ["name"])',
         everywhere(SAFE)),
    Case("add a new table and a required column to it", 'op.create_table("pets", sa.Column("id", sa.Integer(), '
         'primary_key=True))\nop.add_column("pets", sa.Column("kind", sa.String(20), nullable=False))',
         everywhere(SAFE)),
    Case("add a new table, then a column elsewhere", 'op.create_table("pets", sa.Column("id", sa.Integer(), '
         'primary_key=True))\nop.add_column("users", sa.Column("pet_id", sa.Integer()))',
         verdicts(SAFE, RETRY_FAILS, SAFE)),
    Case("add two columns, one ALTER each", 'op.add_column("users", sa.Column("a", sa.Integer()))\n'
         'op.add_column("users", sa.Column("b", sa.Integer()))', verdicts(SAFE, RETRY_FAILS, SAFE)),
    Case("add a column and an index", 'op.add_column("orders", sa.Column("ref", sa.String(20)))\n'
         'op.create_index("ix_orders_ref", "orders", ["ref"])', verdicts(None, RETRY_FAILS, SAFE)),
    Case("add a column to each table", 'op.add_column("users", sa.Column("a", sa.Integer()))\n'
         'op.add_column("orders", sa.Column("b", sa.Integer()))', verdicts(SAFE, RETRY_FAILS, SAFE)),
    # Indexes.
    Case("add an index", 'op.create_index("ix_users_name", "users", ["name"])',
         verdicts(BLOCKING_WORK, SAFE, SAFE)),
    Case("add an index on two columns", 'op.create_index("ix_orders_user", "orders", ["user_id", "amount"])',
         verdicts(BLOCKING_WORK, SAFE, SAFE)),
    Case("add a unique index", 'op.create_index("ix_users_name", "users", ["name"], unique=True)',
         verdicts(BLOCKING_WORK, SAFE, SAFE)),
    Case("add an index concurrently", "with op.get_context().autocommit_block():\n"
         '    op.create_index("ix_users_name", "users", ["name"], postgresql_concurrently=True)',
         everywhere(SAFE)),
    Case("add a unique index concurrently", "with op.get_context().autocommit_block():\n"
         '    op.create_index("ux_users_name", "users", ["name"], unique=True, postgresql_concurrently=True)',
         everywhere(SAFE)),
    Case("add an expression index", 'op.execute("CREATE INDEX ix_users_lower ON users (lower(name))")',
         verdicts(BLOCKING_WORK, None, SAFE)),
    Case("add an index in SQL, concurrently", "with op.get_context().autocommit_block():\n"
         '    op.execute("CREATE INDEX CONCURRENTLY ix_orders_amount ON orders (amount)")',
         verdicts(SAFE, None, None)),
    Case("drop an index", 'op.drop_index("ix_users_email", table_name="users")',
         verdicts(BLOCKS_READS, SAFE, SAFE)),
    Case("drop an index concurrently", "with op.get_context().autocommit_block():\n"
         '    op.drop_index("ix_users_email", table_name="users", postgresql_concurrently=True)',
         everywhere(SAFE)),
    Case("rename an index", 'op.execute("ALTER INDEX ix_users_email RENAME TO ix_users_mail")',
         verdicts(SAFE, None, None)),
    Case("rename an index on MySQL", 'op.execute("ALTER TABLE users RENAME INDEX ix_users_email TO ix_users_mail")',
         verdicts(None, SAFE, None)),
    Case("add a FULLTEXT index", 'op.create_index("ft_orders_note", "orders", ["note"], mysql_prefix="FULLTEXT")',
         verdicts(None, NOT_ONLINE, None)),
    # Constraints.
    Case("add a foreign key", 'op.create_foreign_key("fk_orders_user_id_users", "orders", "users", '
         '["user_id"], ["id"])', verdicts(BLOCKING_WORK, NOT_ONLINE, SAFE),
         bodies={"sqlite": batch("orders", 'create_foreign_key("fk_orders_user_id_users", "users", ["user_id"], ["id"])')}),
    Case("add a foreign key without checks", 'op.execute("SET foreign_key_checks = 0")\n'
         'op.create_foreign_key("fk_orders_user_id_users", "orders", "users", ["user_id"], ["id"])\n'
         'op.execute("SET foreign_key_checks = 1")', verdicts(None, SAFE, None)),
    Case("add a foreign key NOT VALID, then validate", 'op.create_foreign_key("fk_orders_user_id_users", '
         '"orders", "users", ["user_id"], ["id"], postgresql_not_valid=True)\n'
         "with op.get_context().autocommit_block():\n"
         '    op.execute("ALTER TABLE orders VALIDATE CONSTRAINT fk_orders_user_id_users")',
         verdicts(SAFE, None, None)),
    Case("add a column with a foreign key", 'op.add_column("orders", sa.Column("buyer_id", sa.Integer(), '
         'sa.ForeignKey("users.id")))', verdicts(BLOCKING_WORK, NOT_ONLINE, None)),
    Case("add a CHECK constraint", 'op.create_check_constraint("ck_users_age", "users", "age >= 0")',
         verdicts(BLOCKING_WORK, NOT_ONLINE, SAFE),
         bodies={"sqlite": batch("users", 'create_check_constraint("ck_users_age", "age >= 0")')}),
    Case("add a CHECK constraint in SQL", 'op.execute("ALTER TABLE orders ADD CONSTRAINT ck_amount CHECK (amount >= 0)")',
         verdicts(BLOCKING_WORK, NOT_ONLINE, None)),
    Case("add a CHECK NOT VALID, then validate", 'op.create_check_constraint("ck_users_age", "users", '
         '"age >= 0", postgresql_not_valid=True)\nwith op.get_context().autocommit_block():\n'
         '    op.execute("ALTER TABLE users VALIDATE CONSTRAINT ck_users_age")', verdicts(SAFE, None, None)),
    Case("add a UNIQUE constraint", 'op.create_unique_constraint("uq_users_name", "users", ["name"])',
         verdicts(BLOCKING_WORK, SAFE, SAFE),
         bodies={"sqlite": batch("users", 'create_unique_constraint("uq_users_name", ["name"])')}),
    Case("add a UNIQUE constraint on an index built concurrently", "with op.get_context().autocommit_block():\n"
         '    op.create_index("uq_users_name", "users", ["name"], unique=True, postgresql_concurrently=True)\n'
         'op.execute("ALTER TABLE users ADD CONSTRAINT uq_users_name UNIQUE USING INDEX uq_users_name")',
         verdicts(SAFE, None, None)),
    Case("make NOT NULL through a valid CHECK", 'op.create_check_constraint("ck_age_not_null", "users", '
         '"age IS NOT NULL", postgresql_not_valid=True)\nwith op.get_context().autocommit_block():\n'
         '    op.execute("ALTER TABLE users VALIDATE CONSTRAINT ck_age_not_null")\n'
         'op.alter_column("users", "age", nullable=False, existing_type=sa.Integer())',
         verdicts(SAFE, None, None)),
    Case("make a full column NOT NULL", 'op.alter_column("users", "age", nullable=False, '
         "existing_type=sa.Integer())", verdicts(BLOCKING_WORK, None, None)),
    Case("drop NOT NULL", 'op.alter_column("users", "name", nullable=True, existing_type=sa.String(50))',
         everywhere(SAFE), bodies={"sqlite": batch("users", 'alter_column("name", nullable=True, existing_type=sa.String(50))')}),
    Case("set a column default", 'op.alter_column("users", "age", server_default="18", existing_type=sa.Integer())',
         verdicts(SAFE, SAFE, None)),
    # Data.
    Case("backfill after a schema change, same transaction", 'op.add_column("users", sa.Column("years", '
         'sa.Integer()))\nop.execute("UPDATE users SET years = age")', verdicts(BLOCKING_WORK, SAFE, SAFE)),
    Case("backfill a table altered before, same transaction", 'op.add_column("orders", sa.Column("tax", '
         'sa.Numeric(10, 2)))\nop.execute("UPDATE users SET age = age + 1")', verdicts(BLOCKING_WORK, SAFE, SAFE)),
    Case("backfill in its own transaction", 'op.add_column("users", sa.Column("years", sa.Integer()))\n'
         "with op.get_context().autocommit_block():\n"
         '    op.execute("UPDATE users SET years = age")', verdicts(SAFE, None, SAFE)),
    Case("a data migration alone", 'op.execute("UPDATE users SET age = age + 1 WHERE age < 30")', everywhere(SAFE)),
    Case("seed rows", 'orders = sa.table("orders", sa.column("user_id", sa.Integer), sa.column("note", sa.Text))\n'
         'op.bulk_insert(orders, [{"user_id": 1, "note": "seed"}, {"user_id": 2, "note": "seed"}])',
         everywhere(SAFE)),
    Case("append an enum value", "with op.get_context().autocommit_block():\n"
         "    op.execute(\"ALTER TYPE user_status ADD VALUE 'deleted'\")", verdicts(SAFE, None, None)),
    Case("append an ENUM member", 'op.alter_column("users", "status", existing_type=sa.Enum("active", "blocked"), '
         'type_=sa.Enum("active", "blocked", "deleted"))', verdicts(None, SAFE, None)),
    Case("insert an ENUM member", 'op.alter_column("users", "status", existing_type=sa.Enum("active", "blocked"), '
         'type_=sa.Enum("active", "deleted", "blocked"))', verdicts(None, NOT_ONLINE, None)),
    # Timeouts.
    Case("no lock timeout", "with timeouts(table_lock=0):\n"
         '    op.add_column("users", sa.Column("nickname", sa.String(30)))', verdicts(UNBOUNDED_WAIT, UNBOUNDED_WAIT, None)),
    Case("no lock timeout, in SQL", 'op.execute("SET lock_timeout = 0")\n'
         'op.add_column("users", sa.Column("nickname", sa.String(30)))', verdicts(UNBOUNDED_WAIT, None, None)),
    Case("no statement timeout for a long step", "with timeouts(statement=0):\n"
         '    op.create_index("ix_users_name", "users", ["name"])', verdicts(None, SAFE, None)),
    Case("no statement timeout for a concurrent build", "with op.get_context().autocommit_block(), timeouts(statement=0):\n"
         '    op.create_index("ix_users_name", "users", ["name"], postgresql_concurrently=True)', verdicts(SAFE, None, None)),
    # MySQL and MariaDB table options.
    Case("convert the character set", 'op.execute("ALTER TABLE orders CONVERT TO CHARACTER SET latin1")',
         verdicts(None, NOT_ONLINE, None)),
    Case("ask for ALGORITHM=COPY", 'op.execute("ALTER TABLE users ADD COLUMN tag INTEGER NULL, ALGORITHM=COPY")',
         verdicts(None, NOT_ONLINE, None)),
    Case("rebuild the table online", 'op.execute("ALTER TABLE orders FORCE")', verdicts(None, SAFE, None)),
    Case("change the engine", 'op.execute("ALTER TABLE orders ENGINE=Aria")', verdicts(None, NOT_ONLINE, None)),
    Case("rebuild on the same engine", 'op.execute("ALTER TABLE orders ENGINE=InnoDB")', verdicts(None, SAFE, None)),
    Case("replace the primary key", 'op.execute("ALTER TABLE orders DROP PRIMARY KEY, ADD PRIMARY KEY (id, user_id)")',
         verdicts(None, SAFE, None)),
]

# Column type changes: (column, old type, new type, verdicts).
TYPE_CHANGES = [
    ("code", "sa.String(10)", "sa.String(20)", verdicts(SAFE, SAFE, SAFE)),
    ("code", "sa.String(10)", "sa.String(63)", verdicts(SAFE, SAFE, SAFE)),
    ("code", "sa.String(10)", "sa.Text()", verdicts(SAFE, NOT_ONLINE, SAFE)),
    ("code", "sa.String(10)", "sa.String(5)", verdicts(COMPAT, COMPAT, SAFE)),
    ("code", "sa.String(10)", "sa.Integer()", verdicts(FAILS, COMPAT, COMPAT)),
    ("code", "sa.String(10)", "sa.Numeric(10, 0)", verdicts(FAILS, COMPAT, COMPAT)),
    ("name", "sa.String(50)", "sa.String(100)", verdicts(SAFE, NOT_ONLINE, SAFE)),
    ("name", "sa.String(50)", "sa.String(60)", verdicts(SAFE, SAFE, SAFE)),
    ("name", "sa.String(50)", "sa.Text()", verdicts(SAFE, NOT_ONLINE, SAFE)),
    ("name", "sa.String(50)", "sa.String(40)", verdicts(COMPAT, COMPAT, SAFE)),
    ("email", "sa.String(100)", "sa.String(200)", verdicts(SAFE, SAFE, SAFE)),
    ("email", "sa.String(100)", "sa.Text()", verdicts(SAFE, NOT_ONLINE, SAFE)),
    ("age", "sa.Integer()", "sa.BigInteger()", verdicts(BLOCKING_WORK, NOT_ONLINE, SAFE)),
    ("age", "sa.Integer()", "sa.SmallInteger()", verdicts(BLOCKING_WORK, NOT_ONLINE, SAFE)),
    ("age", "sa.Integer()", "sa.Numeric(12, 2)", verdicts(BLOCKING_WORK, COMPAT, SAFE)),
    ("age", "sa.Integer()", "sa.String(20)", verdicts(BLOCKING_WORK, NOT_ONLINE, COMPAT)),
    ("age", "sa.Integer()", "sa.Float()", verdicts(BLOCKING_WORK, COMPAT, COMPAT)),
    ("score", "sa.Numeric(8, 2)", "sa.Numeric(12, 2)", verdicts(SAFE, NOT_ONLINE, SAFE)),
    ("score", "sa.Numeric(8, 2)", "sa.Numeric(8, 4)", verdicts(BLOCKING_WORK, COMPAT, SAFE)),
    ("score", "sa.Numeric(8, 2)", "sa.Numeric(12, 4)", verdicts(BLOCKING_WORK, COMPAT, SAFE)),
    ("score", "sa.Numeric(8, 2)", "sa.Integer()", verdicts(BLOCKING_WORK, COMPAT, COMPAT)),
    ("score", "sa.Numeric(8, 2)", "sa.Float()", verdicts(BLOCKING_WORK, COMPAT, COMPAT)),
    ("created_at", "sa.DateTime()", "sa.Date()", verdicts(BLOCKING_WORK, COMPAT, COMPAT)),
]
for column, old, new, expected in TYPE_CHANGES:
    change = f'"{column}", type_={new}, existing_type={old}'
    CASES.append(
        Case(
            f"change {column} from {old} to {new}",
            f'op.alter_column("users", {change})',
            expected,
            bodies={"sqlite": batch("users", f"alter_column({change})")},
        )
    )


def dangerous(case: Case, engine: str) -> bool:
    return case.verdicts[engine] != SAFE
