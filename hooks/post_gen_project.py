"""Keep the files the chosen options need; remove the others.

Files that differ a lot between options come in variants, e.g. ``db.py`` (sync) next to
``db_async.py``. Which file each answer keeps is written down in VARIANT_FILES, read by
``apply_variants``; the hook does nothing else. Standard library only: hooks run in the
user's Python, where only cookiecutter is installed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

PACKAGE = "src/{package_name}"

# One row per variant file: (question, answer, variant, replaces).
# When the question was answered `answer`, the variant takes the place of `replaces`
# (or just stays, when `replaces` is None); otherwise the variant is deleted.
# Paths are relative to the project; {package_name} is filled in from the answers.
VariantFile = tuple[str, object, str, str | None]

VARIANT_FILES: list[VariantFile] = [
    ("async", True, f"{PACKAGE}/db_async.py", f"{PACKAGE}/db.py"),
    ("async", True, f"{PACKAGE}/migrations/env_async.py", f"{PACKAGE}/migrations/env.py"),
    ("async", True, "tests/conftest_async.py", "tests/conftest.py"),
    ("async", True, "tests/test_db_async.py", "tests/test_db.py"),
]


def apply_variants(
    project: Path,
    answers: Mapping[str, object],
    table: Iterable[VariantFile] = VARIANT_FILES,
) -> None:
    """Move each chosen variant into place and delete the variants not chosen."""
    for question, answer, variant, replaces in table:
        source = project / variant.format(**answers)
        if answers[question] != answer:
            source.unlink()
        elif replaces is not None:
            source.replace(project / replaces.format(**answers))


if __name__ == "__main__":
    apply_variants(
        Path.cwd(),
        {
            "package_name": {{ cookiecutter.package_name | quoted }},
            # Read as the templates read it: true unless empty, false, 0 or none.
            "async": {{ "True" if cookiecutter["async"] else "False" }},
        },
    )
