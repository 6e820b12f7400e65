"""A model change to make in a baked project: what a developer does before autogenerating.

Adds a unique, indexed `email` column to User and a new `posts` table with a foreign key
and a CHECK constraint, so the migration written from it creates and drops named
constraints and indexes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

POST_MODEL = '''"""The ``posts`` table."""

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from {package}.models.base import Base


class Post(Base):
    __tablename__ = "posts"
    __table_args__ = (CheckConstraint("title <> ''", name="title_not_empty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
'''


def add_email_and_posts(project: Path, package: str) -> None:
    models = project / "src" / package / "models"
    user = models / "user.py"
    user.write_text(
        user.read_text().replace(
            "    name: Mapped[str] = mapped_column(String(50))\n",
            "    name: Mapped[str] = mapped_column(String(50))\n"
            "    email: Mapped[str | None] = mapped_column(String(120), unique=True)\n",
        )
    )
    (models / "post.py").write_text(POST_MODEL.format(package=package))
    init = models / "__init__.py"
    init.write_text(
        init.read_text()
        .replace(
            f"from {package}.models.base import Base\n",
            f"from {package}.models.base import Base\nfrom {package}.models.post import Post\n",
        )
        .replace('__all__ = ["Base", "User"]', '__all__ = ["Base", "Post", "User"]')
    )


@contextmanager
def title_check_dropped(project: Path, package: str) -> Iterator[None]:
    """The CHECK constraint of ``posts`` removed from its model (not from the database)."""
    post = project / "src" / package / "models" / "post.py"
    original = post.read_text()
    check = """    __table_args__ = (CheckConstraint("title <> ''", name="title_not_empty"),)\n"""
    post.write_text(original.replace(check, ""))
    try:
        yield
    finally:
        post.write_text(original)
