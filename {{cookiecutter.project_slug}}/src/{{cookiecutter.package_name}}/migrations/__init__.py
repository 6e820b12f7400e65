"""Alembic migrations, shipped inside the package: commands.py migrates without alembic.ini."""
