"""Keep the files the chosen options need, remove the others, make the project a git
repository with a first commit, and say what to type next.

Files that differ a lot between options come in variants, e.g. ``db.py`` (sync) next to
``db_async.py``. Which file each answer keeps is written down in VARIANT_FILES, read by
``apply_variants``; the git commands that make the first commit are in FIRST_COMMIT, read
by ``make_repository``; the commands printed at the end are in NEXT_STEPS, read by
``next_steps``. The hook does nothing else. Standard library only: hooks run in the
user's Python, where only cookiecutter is installed.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
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
    ("async", True, "tests/test_db_async.py", "tests/test_db.py"),
    # squawk, the PostgreSQL safety linter, reads its settings there.
    ("database", "postgresql", ".squawk.toml", None),
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


# The git commands that make the project a repository on main with every file in one
# commit. The commit is made as the project's author (from the answers), through the
# environment of these commands only: the user's git configuration is neither read for it
# nor changed, so it works on a machine where git knows no user. The user's commit hooks
# and signing are left out of it: the commit holds the bake as it is.
FIRST_COMMIT: list[list[str]] = [
    ["init", "--quiet"],
    # `git init -b main` needs git 2.28; this works on every git.
    ["symbolic-ref", "HEAD", "refs/heads/main"],
    ["add", "--all"],
    ["commit", "--quiet", "--no-verify", "--no-gpg-sign", "--message", "New project"],
]
# What to type to make the repository by hand, when the hook did not.
BY_HAND = 'cd {project_directory} && git init -b main && git add --all && git commit -m "New project"'

# Variables that point git at another repository than the folder's own (cookiecutter run
# from a git hook has them set): the project's commands must not write there.
GIT_LOCATION_VARIABLES = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_PREFIX",
)

# The one line printed when the project is not made a repository, by reason.
NO_REPOSITORY = {
    "no git": "note: git was not found, so the project is not a git repository; once git is installed: " + BY_HAND,
    "inside": (
        "note: the project is inside the git repository at {top}, which keeps its files, so it "
        "has no repository of its own; to make one anyway: " + BY_HAND
    ),
    "failed": "note: git failed ({error}), so the project is not a git repository; to try again: " + BY_HAND,
    "already": "note: the project was already a git repository; the bake's changes are not committed: see git status",
}


def git_environment(author_name: str, author_email: str) -> dict[str, str]:
    """The environment for the project's git commands: its own folder, the author's name."""
    env = {key: value for key, value in os.environ.items() if key not in GIT_LOCATION_VARIABLES}
    name = author_name or author_email
    env.update(
        GIT_AUTHOR_NAME=name,
        GIT_AUTHOR_EMAIL=author_email,
        GIT_COMMITTER_NAME=name,
        GIT_COMMITTER_EMAIL=author_email,
    )
    return env


def git(git_path: str, arguments: list[str], project: Path, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [git_path, *arguments],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def enclosing_repository(project: Path, git_path: str, env: Mapping[str, str]) -> str | None:
    """The git repository whose files the project already is, if any.

    A repository inside another one is invisible to it (git records it as one opaque entry),
    so a project baked into a repository is left to that repository, unless that repository
    ignores the folder (e.g. a `build/` folder): then nothing else keeps its history.
    """
    top = git(git_path, ["rev-parse", "--show-toplevel"], project, env)
    if top.returncode != 0:
        return None
    ignored = git(git_path, ["check-ignore", "--quiet", "."], project, env)
    return None if ignored.returncode == 0 else top.stdout.strip()


def make_repository(
    project: Path,
    author_name: str,
    author_email: str,
    git_path: str | None,
    table: Iterable[list[str]] = FIRST_COMMIT,
) -> tuple[str, str] | None:
    """Run the table's git commands in the project. None when they all succeeded;
    otherwise why not, as a key of NO_REPOSITORY and what to fill in, and no .git is left."""
    if git_path is None:
        return "no git", ""
    env = git_environment(author_name, author_email)
    top = enclosing_repository(project, git_path, env)
    if top is not None:
        # Baked again over itself (cookiecutter --overwrite-if-exists): its history stays as it is.
        return ("already", "") if Path(top).resolve() == project.resolve() else ("inside", top)
    for arguments in table:
        result = git(git_path, arguments, project, env)
        if result.returncode != 0:
            shutil.rmtree(project / ".git", ignore_errors=True)
            lines = (result.stderr or result.stdout).strip().splitlines() or [f"exit status {result.returncode}"]
            return "failed", f"git {arguments[0]}: {lines[-1]}"
    return None


def throwaway_bake(project: Path, output_dir: str) -> bool:
    """Whether a tool baked the project into a new temporary folder, only to compare it with
    another bake (`cruft update`, `check` and `diff` do that): no repository, nothing said.

    Cookiecutter's own command line and API record the output folder in the answers; tools
    that call its generate_files themselves do not.
    """
    return (
        not output_dir
        and project.parent.name.startswith("tmp")
        and project.parent.parent == Path(tempfile.gettempdir()).resolve()
    )


# One row per command printed after the bake: (question, answer, command, what it does).
# A row whose question is None is printed for every project; the others only when the
# question was answered `answer`. {project_directory} and {package_name} are filled in.
NextStep = tuple[str | None, object, str, str]

NEXT_STEPS: list[NextStep] = [
    (None, None, "cd {project_directory}", ""),
    (None, None, "make install", "a .venv with the project and its dev tools"),
    ("database", "postgresql", "createdb -h localhost -U postgres {package_name}", "the database of DATABASE_URL"),
    ("database", "mysql", 'mysql -h 127.0.0.1 -u root -e "CREATE DATABASE {package_name}"', "the database of DATABASE_URL"),
    (None, None, "make db-upgrade", "migrate the database to the newest revision"),
    (None, None, "make test", "the migration checks and the other tests"),
]


def next_steps(
    answers: Mapping[str, object],
    table: Iterable[NextStep] = NEXT_STEPS,
) -> str:
    """The commands to type after the bake, one a line, each with what it does."""
    rows = [
        (command.format(**answers), purpose)
        for question, answer, command, purpose in table
        if question is None or answers[question] == answer
    ]
    width = max(len(command) for command, purpose in rows if purpose)
    lines = [f"  {command:<{width}}  # {purpose}" if purpose else f"  {command}" for command, purpose in rows]
    return "\n".join(["", "Your project is ready. Next:", "", *lines, "", "README.md says more.", ""])


def show(text: str) -> None:
    """Write ``text`` to the terminal. An output closed early (`cookiecutter ... | head`) must
    not fail the hook: cookiecutter would delete the project it just made."""
    try:
        os.write(1, f"{text}\n".encode(errors="replace"))
    except OSError:
        pass


def project_directory(project: Path, start: str | None) -> str:
    """The project as `cd` reaches it from the user's shell: relative when it is below it,
    quoted for the shell when it needs to be."""
    where = str(project)
    if start:
        relative = os.path.relpath(project, start)
        if not relative.startswith(".."):
            where = relative
    return shlex.quote(where)


def main(answers: Mapping[str, object], author: tuple[str, str], output_dir: str) -> None:
    project = Path.cwd()
    apply_variants(project, answers)
    if throwaway_bake(project, output_dir):
        return
    why_not = make_repository(project, *author, shutil.which("git"))
    # The hook runs inside the project; PWD is still the directory the user's shell is in.
    where = project_directory(project, os.environ.get("PWD"))
    show(next_steps({**answers, "project_directory": where}))
    if why_not is not None:
        reason, detail = why_not
        show(NO_REPOSITORY[reason].format(project_directory=where, top=detail, error=detail))


if __name__ == "__main__":
    main(
        {
            "package_name": {{ cookiecutter.package_name | quoted }},
            "database": {{ cookiecutter.database | quoted }},
            # Read as the templates read it: true unless empty, false, 0 or none.
            "async": {{ "True" if cookiecutter["async"] else "False" }},
        },
        author=({{ cookiecutter.author_name | quoted }}, {{ cookiecutter.author_email | quoted }}),
        output_dir={{ cookiecutter.get("_output_dir", "") | quoted }},
    )
