"""Alembic migrations, shipped inside the package: commands.py migrates without alembic.ini."""


class IrreversibleMigration(NotImplementedError):
    """Raised by the ``downgrade()`` of a revision that cannot be undone.

    The migration tests go down no further than such a revision, and say so. They find it
    by the name ``IrreversibleMigration`` (or ``NotImplementedError``) in the body of
    ``downgrade()``: raise it there, not from a helper. docs/migrations.md shows when.
    """
