"""A history brought from a project without a naming convention runs here as it is, and
what a server spells its own way is no difference.

The adopted revisions leave their constraints to the database and later drop one by the
name the server gave it (``orders_user_id_fkey`` on PostgreSQL, ``orders_ibfk_1`` on
MariaDB). Under the template's naming convention the drop fails, with a message that names
the convention; with the one line the lesson shows in env.py, the whole baked suite passes.
On the way, MariaDB renames the index of the foreign key it re-creates, and reads a DATETIME
default back in other words: neither is a difference.
"""

from __future__ import annotations

import pytest
from helpers import BakedProject
from test_migration_checks import (  # noqa: F401 (project: a fixture)
    add_history,
    project,
    run_migration_checks,
)

SERVERS = ["postgresql", "mysql"]
# The name each server gives the foreign key of orders.user_id.
SERVER_FOREIGN_KEY = {"postgresql": "orders_user_id_fkey", "mysql": "orders_ibfk_1"}

ORDERS_UNNAMED = """

def upgrade() -> None:
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
    )


def downgrade() -> None:
    op.drop_table("orders")
"""
# The key made again with ON DELETE CASCADE, as the old project did it: by the server's name.
CASCADE_BY_SERVER_NAME = """

def upgrade() -> None:
    op.drop_constraint("{name}", "orders", type_="foreignkey")
    op.create_foreign_key(None, "orders", "users", ["user_id"], ["id"], ondelete="CASCADE")


def downgrade() -> None:
    op.drop_constraint("{name}", "orders", type_="foreignkey")
    op.create_foreign_key(None, "orders", "users", ["user_id"], ["id"])
"""
# The first revision written here: the convention names its constraint.
FIRST_OF_OURS = """

def upgrade() -> None:
    op.add_column("orders", sa.Column("number", sa.Integer(), nullable=True))
    op.create_unique_constraint(None, "orders", ["number"])


def downgrade() -> None:
    op.drop_constraint(op.f("uq_orders_number"), "orders", type_="unique")
    op.drop_column("orders", "number")
"""
ORDER_MODEL = '''"""The ``orders`` table."""

from sqlalchemy import ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from {package}.models.base import Base


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (UniqueConstraint("number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    number: Mapped[int | None]
'''


def add_order_model(project: BakedProject) -> None:
    models = project.path / "src" / project.package / "models"
    (models / "order.py").write_text(ORDER_MODEL.format(package=project.package))
    with (models / "__init__.py").open("a") as init:
        init.write(f"from {project.package}.models.order import Order  # noqa: E402, F401\n")


@pytest.mark.parametrize("project", SERVERS, indirect=True)
def test_adopted_history_with_unnamed_keys_passes_with_the_lessons_one_line(
    project: BakedProject,
) -> None:
    cascade = CASCADE_BY_SERVER_NAME.format(name=SERVER_FOREIGN_KEY[project.database])
    _, changed, ours = add_history(project, ORDERS_UNNAMED, cascade, FIRST_OF_OURS)
    add_order_model(project)

    failed = run_migration_checks(project)
    assert f"upgrade() of {changed.file} failed at line " in failed, failed[-3000:]
    assert "named by the naming convention (models/base.py)" in failed, failed[-3000:]
    assert "naming_convention_from()" in failed, failed[-3000:]

    env = project.path / "src" / project.package / "migrations" / "env.py"
    text = env.read_text()
    one_line = "target_metadata = models.Base.metadata\n"
    assert one_line in text
    env.write_text(
        text.replace(
            one_line,
            f'target_metadata = naming_convention_from("{ours.id}", models.Base.metadata)\n',
        ).replace(
            "from alembic import context\n",
            "from alembic import context\n"
            f"from {project.package}.migration_tools.naming import naming_convention_from\n",
        )
    )
    # The safety lint starts after the adopted revisions, as the README says for a history
    # brought from elsewhere.
    ini = project.path / "alembic.ini"
    setting = "# safety_lint_start_after = <revision id>"
    assert setting in ini.read_text()
    ini.write_text(ini.read_text().replace(setting, f"safety_lint_start_after = {ours.id}"))
    output = run_migration_checks(project)
    assert "6 passed" in output, output[-4000:]
    assert "warning" not in output, output[-4000:]


CREATED_AT = """

def upgrade() -> None:
    op.add_column(
        "users", sa.Column("created", sa.DateTime(), server_default="2020-01-01", nullable=True)
    )


def downgrade() -> None:
    op.drop_column("users", "created")
"""


def add_created_column(project: BakedProject, default: str) -> None:
    model = project.path / "src" / project.package / "models" / "user.py"
    name = "    name: Mapped[str] = mapped_column(String(50))\n"
    column = f'    created: Mapped[datetime | None] = mapped_column(server_default="{default}")\n'
    text = model.read_text().replace(name, name + column)
    model.write_text("from datetime import datetime\n\n" + text)


@pytest.mark.parametrize("project", ["sqlite", *SERVERS], indirect=True)
def test_default_read_back_in_the_servers_words_matches_the_model(project: BakedProject) -> None:
    add_history(project, CREATED_AT)
    add_created_column(project, "2020-01-01")
    output = run_migration_checks(project, "-k", "models_match")
    assert "1 passed" in output, output[-3000:]


@pytest.mark.parametrize("project", ["sqlite", *SERVERS], indirect=True)
def test_a_real_default_difference_shows_both_values(project: BakedProject) -> None:
    add_history(project, CREATED_AT)
    add_created_column(project, "2021-06-30")
    output = run_migration_checks(project, "-k", "models_match")
    line = next(
        (line for line in output.splitlines() if line.startswith("  users.created: ")), output
    )
    assert "2020-01-01" in line and "2021-06-30" in line, output[-3000:]
    assert "in the migrations" in line and "in the models" in line, line
    assert "correct the side that is wrong" in output, output[-3000:]
