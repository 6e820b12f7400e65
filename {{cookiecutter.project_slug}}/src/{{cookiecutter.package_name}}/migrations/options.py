"""How Alembic compares models with the database: shared by env.py and the tests."""

from __future__ import annotations

from typing import Any

from {{ cookiecutter.package_name }}.models import Base


def context_options(dialect_name: str) -> dict[str, Any]:
    """Options for ``context.configure`` / ``MigrationContext.configure`` on a dialect."""
    options: dict[str, Any] = {
        "target_metadata": Base.metadata,
        # Catch changed column types and server defaults too, not only new columns.
        "compare_type": True,
        "compare_server_default": True,
    }
    if dialect_name == "sqlite":
        # SQLite cannot ALTER most things: autogenerate writes "batch" operations that
        # copy the table instead. Its DDL is transactional (see db.py), so say so.
        options["render_as_batch"] = True
        options["transactional_ddl"] = True
    return options
