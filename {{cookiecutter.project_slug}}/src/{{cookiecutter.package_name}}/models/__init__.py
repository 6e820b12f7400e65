"""All models. Alembic compares the database against ``Base.metadata``.

Import every model module here: a model that is never imported is invisible to
``alembic revision --autogenerate``, which would then propose dropping its table.
``tests/test_models.py`` fails when a module under ``models/`` is missing from this list.
"""

from {{ cookiecutter.package_name }}.models.base import Base
from {{ cookiecutter.package_name }}.models.user import User

__all__ = ["Base", "User"]
