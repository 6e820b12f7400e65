"""The models: every one registered with Alembic, every constraint named."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import {{ cookiecutter.package_name }}.models as models_package
from {{ cookiecutter.package_name }}.models import Base


def test_every_model_module_is_imported_by_the_models_package() -> None:
    """A module missing from models/__init__.py is invisible to autogenerate."""
    package = models_package.__name__
    wanted = {
        f"{package}.{module.name}" for module in pkgutil.iter_modules(models_package.__path__)
    }
    probe = f"import sys, {package}; print(*sorted(sys.modules))"
    loaded = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True
    ).stdout.split()
    missing = sorted(wanted - set(loaded))
    assert not missing, (
        f"{', '.join(missing)} not imported by {package}/__init__.py, so Alembic cannot "
        "see its tables: import its model classes there."
    )


def test_every_constraint_and_index_has_a_name() -> None:
    """Named by the naming convention, so later migrations can drop them on any database."""
    tables = Base.metadata.sorted_tables
    unnamed = [repr(item) for table in tables for item in table.constraints if not item.name]
    unnamed += [repr(item) for table in tables for item in table.indexes if not item.name]
    assert not unnamed, f"Unnamed, so no migration could drop them: {unnamed}"
