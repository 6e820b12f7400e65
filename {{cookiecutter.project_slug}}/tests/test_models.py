"""The models: every one registered with Alembic, every constraint named."""

from __future__ import annotations

import subprocess
import sys

from {{ cookiecutter.package_name }}.models import Base

# Run in a new interpreter, where only the models package's own imports have run.
IMPORT_PROBE = """
import sys
import {{ cookiecutter.package_name }}.models as models
from {{ cookiecutter.package_name }}.migrations.errors import check_models_imported
try:
    check_models_imported(models)
except Exception as error:
    sys.exit(str(error))
"""


def test_every_model_module_is_imported_by_the_models_package() -> None:
    """A module missing from models/__init__.py is invisible to autogenerate."""
    result = subprocess.run([sys.executable, "-c", IMPORT_PROBE], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_every_constraint_and_index_has_a_name() -> None:
    """Named by the naming convention, so later migrations can drop them on any database."""
    tables = Base.metadata.sorted_tables
    unnamed = [repr(item) for table in tables for item in table.constraints if not item.name]
    unnamed += [repr(item) for table in tables for item in table.indexes if not item.name]
    assert not unnamed, f"Unnamed, so no migration could drop them: {unnamed}"
