"""Alembic migrations, shipped inside the package: commands.py migrates without alembic.ini."""


class IrreversibleMigration(NotImplementedError):
    """Raised by the ``downgrade()`` of a revision that cannot be undone.

    The migration tests go down no further than such a revision, and say so (a plain
    ``NotImplementedError`` counts too). docs/migrations.md shows when to use it.
    """
