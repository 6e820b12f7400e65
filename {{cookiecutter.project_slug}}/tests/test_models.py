"""The models: every one registered with Alembic, every constraint named."""

from __future__ import annotations

from {{ cookiecutter.package_name }}.models import Base


def test_every_model_module_is_imported_by_the_models_package(
    model_modules_left_out: list[str],
) -> None:
    """A module missing from models/__init__.py is invisible to autogenerate."""
    assert not model_modules_left_out, (
        f"Not imported by models/__init__.py, so autogenerate cannot see their tables: "
        f"{', '.join(model_modules_left_out)}. Import their model classes there."
    )


def test_every_constraint_and_index_has_a_name() -> None:
    """Named by the naming convention, so later migrations can drop them on any database."""
    tables = Base.metadata.sorted_tables
    unnamed = [repr(item) for table in tables for item in table.constraints if not item.name]
    unnamed += [repr(item) for table in tables for item in table.indexes if not item.name]
    assert not unnamed, f"Unnamed, so no migration could drop them: {unnamed}"
