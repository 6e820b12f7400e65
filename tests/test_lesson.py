"""The lesson, docs/migrations.md, runs step by step in a freshly baked project, so it cannot rot.

How the lesson marks its steps (HTML comments, invisible on GitHub):

* Every ```console block runs, in order. A line starting with "$ " is a command, run by bash
  in the project's root with the project's virtualenv on PATH. The lines after it, up to the
  next command, are what it prints (stdout and stderr together, as in a terminal), and it
  must print exactly that: "..." stands for any text within a line, a line of only "..." for
  any number of lines, and runs of spaces compare equal. A command shown without output must
  print nothing. Every command must succeed, unless its block is marked <!-- lesson: fails -->,
  and then every command in it must fail.
* <!-- lesson: skip REASON --> before a console block: shown to the reader, not run
  (installing packages, a server the test does not have).
* <!-- lesson: write PATH --> before a block: the reader creates PATH with the block's text.
* <!-- lesson: replace PATH --> before a block: the block's first line appears once in PATH;
  it and everything after it are replaced by the block.
* <!-- lesson: patch PATH --> before a ```diff block: in each hunk ("@@" lines separate hunks),
  the lines marked "-" are replaced by the lines marked "+"; lines marked " " are context, and
  the hunk must match the file in exactly one place.
* In a replace or patch PATH, a "*" stands for the random part of a file's name (a revision
  file's date and id); it must match exactly one file.

The project starts as baked: a git repository with one commit on main (the bake makes it),
and git set up for the run (an author, no editor, no user or system configuration). Some
runs first do what the README's set-up does (`make db-upgrade`), as a reader who followed it
would: the lesson must hold both ways.

Any other "lesson:" comment, or a shell block that is not ```console, fails the test, so a typo
cannot quietly skip a step.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from conftest import scratch_database, server_url
from helpers import BakedProject

LESSON = Path("docs") / "migrations.md"
FENCE = re.compile(r"^```(\S*)\s*$")
MARKER = re.compile(r"^<!--\s*lesson:\s*(\w+)\s*(.*?)\s*-->\s*$")
SHELL_LANGUAGES = {"bash", "sh", "shell", "shell-session", "zsh"}
EDITS = {"write", "replace", "patch"}


@dataclass
class Step:
    """One block of the lesson: commands to run, or an edit to make."""

    line: int
    kind: str  # "run", "fails", "skip" or one of EDITS
    argument: str = ""
    body: list[str] = field(default_factory=list)


@dataclass
class Command:
    line: int
    text: str
    expected: list[str] = field(default_factory=list)


def parse_lesson(text: str) -> list[Step]:
    """The lesson's steps, in order: console blocks and marked edits."""
    steps: list[Step] = []
    lines = text.splitlines()
    marker: tuple[int, str, str] | None = None
    index = 0
    while index < len(lines):
        line = lines[index]
        found = MARKER.match(line)
        if "lesson:" in line and not found:
            raise AssertionError(f"{LESSON}:{index + 1}: malformed marker {line!r}")
        if found:
            kind, argument = found.groups()
            if kind not in {"skip", "fails", *EDITS}:
                raise AssertionError(f"{LESSON}:{index + 1}: unknown marker {kind!r}")
            if marker is not None:
                raise AssertionError(f"{LESSON}:{marker[0]}: marker without a block")
            marker = (index + 1, kind, argument)
        fence = FENCE.match(line)
        if fence:
            language = fence.group(1)
            end = next(i for i in range(index + 1, len(lines)) if lines[i].startswith("```"))
            body = lines[index + 1 : end]
            if language in SHELL_LANGUAGES:
                raise AssertionError(f"{LESSON}:{index + 1}: use ```console for shell blocks")
            if marker is not None:
                _, kind, argument = marker
                if kind in EDITS and not argument:
                    raise AssertionError(f"{LESSON}:{index + 1}: {kind} needs a path")
                if kind in {"skip", "fails"} and language != "console":
                    raise AssertionError(f"{LESSON}:{index + 1}: {kind} marks a console block")
                steps.append(Step(index + 2, kind, argument, body))
            elif language == "console":
                steps.append(Step(index + 2, "run", "", body))
            marker = None
            index = end
        elif found is None and line.strip() and marker is not None:
            raise AssertionError(f"{LESSON}:{marker[0]}: marker not followed by a block")
        index += 1
    return steps


def commands(step: Step) -> Iterator[Command]:
    """The commands of a console block, each with the output the lesson shows for it."""
    command: Command | None = None
    for offset, line in enumerate(step.body):
        if line.startswith("$ "):
            if command is not None:
                yield command
            command = Command(step.line + offset, line[2:])
        elif command is None:
            raise AssertionError(f"{LESSON}:{step.line + offset}: output before any command")
        else:
            command.expected.append(line)
    if command is not None:
        yield command


def normalize(lines: list[str]) -> list[str]:
    """Lines with runs of spaces made one, trailing spaces and trailing blank lines gone."""
    result = [re.sub(r"\s+", " ", line).rstrip() for line in lines]
    while result and not result[-1]:
        result.pop()
    return result


def output_matches(expected: list[str], actual: str) -> bool:
    """Whether ``actual`` is what the lesson shows, "..." standing for anything."""
    parts = []
    for line in normalize(expected):
        if line.strip() == "...":
            parts.append(r"(?:[^\n]*\n)*?")
        else:
            parts.append("[^\n]*".join(map(re.escape, line.split("..."))) + r"\n")
    actual_lines = normalize(actual.splitlines())
    text = "".join(f"{line}\n" for line in actual_lines)
    return re.fullmatch("".join(parts), text) is not None


def apply_edit(root: Path, step: Step) -> None:
    path = root / step.argument
    block = "".join(f"{line}\n" for line in step.body)
    where = f"{LESSON}:{step.line} ({step.kind} {step.argument})"
    if step.kind == "write":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(block)
        return
    if "*" in step.argument:
        found = sorted(root.glob(step.argument))
        assert len(found) == 1, f"{where}: {len(found)} files match, not one: {found}"
        (path,) = found
    text = path.read_text()
    if step.kind == "replace":
        first = f"\n{step.body[0]}\n"
        assert ("\n" + text).count(first) == 1, f"{where}: first line not found once"
        start = ("\n" + text).index(first)
        path.write_text(text[:start] + block)
        return
    for hunk in split_hunks(step.body):
        old = "".join(f"{line[1:]}\n" for line in hunk if line[:1] in " -")
        new = "".join(f"{line[1:]}\n" for line in hunk if line[:1] in " +")
        assert ("\n" + text).count("\n" + old) == 1, f"{where}: hunk not found once:\n{old}"
        start = ("\n" + text).index("\n" + old)
        text = text[:start] + new + text[start + len(old) :]
    path.write_text(text)


def split_hunks(body: list[str]) -> list[list[str]]:
    hunks: list[list[str]] = [[]]
    for line in body:
        if line.startswith("@@"):
            hunks.append([])
        else:
            # An empty line is blank context (editors strip the space a diff puts there).
            hunks[-1].append(line or " ")
    return [hunk for hunk in hunks if hunk]


def run_lesson(project: BakedProject, env: dict[str, str]) -> list[tuple[float, str]]:
    """Run every step; return how long each command took."""
    text = (project.path / LESSON).read_text()
    assert "{{" not in text and "{%" not in text, "unrendered Jinja in the lesson"
    timings: list[tuple[float, str]] = []
    for step in parse_lesson(text):
        if step.kind in EDITS:
            apply_edit(project.path, step)
            continue
        if step.kind == "skip":
            continue
        for command in commands(step):
            started = time.monotonic()
            result = subprocess.run(
                ["bash", "-c", command.text],
                check=False,
                cwd=project.path,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                text=True,
                timeout=300,
            )
            timings.append((time.monotonic() - started, command.text))
            where = f"{LESSON}:{command.line}: $ {command.text}"
            if (result.returncode != 0) != (step.kind == "fails"):
                pytest.fail(
                    f"{where}\nexited {result.returncode}, printing:\n{result.stdout}",
                    pytrace=False,
                )
            if not output_matches(command.expected, result.stdout):
                shown = "\n".join(command.expected)
                pytest.fail(
                    f"{where}\n--- the lesson shows:\n{shown}\n--- but it printed:\n{result.stdout}",
                    pytrace=False,
                )
    return timings


# The reader's git, the same on every machine, whatever this machine's git configuration says.
GIT_ENVIRONMENT = {
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Lesson",
    "GIT_AUTHOR_EMAIL": "lesson@example.invalid",
    "GIT_COMMITTER_NAME": "Lesson",
    "GIT_COMMITTER_EMAIL": "lesson@example.invalid",
    "GIT_EDITOR": "true",
}


def check_fresh_repository(project: Path, env: dict[str, str]) -> None:
    """The bake is what the reader starts from: a repository with one commit on main, and
    nothing left out of it."""
    def git(*arguments: str) -> str:
        return subprocess.run(["git", *arguments], cwd=project, env=env, check=True, capture_output=True, text=True).stdout

    assert git("branch", "--show-current") == "main\n"
    assert git("log", "--format=%s") == "New project\n"
    # Here .venv is a link to the shared virtualenv, which .gitignore's ".venv/" misses.
    with (project / ".git" / "info" / "exclude").open("a") as exclude:
        exclude.write(".venv\n")
    assert git("status", "--porcelain") == ""


# Which runs start as a reader who followed the README's set-up, with the database migrated.
README_FIRST = {"sqlite": True, "postgresql": False, "mysql": True}


@pytest.mark.parametrize("database", ["sqlite", "postgresql", "mysql"])
def test_lesson_runs_as_written(
    database: str, cookies: Any, project_venv: Path, tmp_path: Path
) -> None:
    server = server_url(database)
    result = cookies.bake(extra_context={"database": database})
    assert result.exit_code == 0, result.exception
    project = BakedProject(result.project_path, project_venv, {"database": database})
    # The reader's `make install` makes .venv; here it is the shared virtualenv.
    (project.path / ".venv").symlink_to(project_venv, target_is_directory=True)
    with scratch_database(project, tmp_path) as database_url:
        extra = {"PYTHONUNBUFFERED": "1", "NO_COLOR": "1", "COLUMNS": "80", **GIT_ENVIRONMENT}
        if server is not None:
            # What the reader puts in .env: their database, and a server for the tests.
            extra.update(DATABASE_URL=database_url, TEST_DATABASE_URL=server)
        env = project.env(**extra)
        check_fresh_repository(project.path, env)
        if README_FIRST[database]:
            subprocess.run(["make", "db-upgrade"], cwd=project.path, env=env, check=True, capture_output=True)
        timings = run_lesson(project, env)
    assert len(timings) >= 20, "the lesson lost its commands: is the parser still right?"
    total = sum(seconds for seconds, _ in timings)
    slowest = ", ".join(f"{text} {seconds:.1f}s" for seconds, text in sorted(timings)[-3:])
    print(f"\n{database}: {len(timings)} commands in {total:.1f}s; slowest: {slowest}")


@pytest.mark.parametrize(
    ("expected", "actual", "matches"),
    [
        (["0001 (head)"], "0001 (head)\n", True),
        (["0001 (head)"], "0002 (head)\n", False),
        ([], "", True),
        ([], "something\n", False),
        (["Generating .../0002_x.py ...  done"], "Generating /tmp/a/0002_x.py ... done\n", True),
        (["INFO a", "...", "done"], "INFO a\nb\nc\ndone\n", True),
        (["INFO a", "...", "done"], "INFO a\ndone\n", True),
        (["INFO a", "done"], "INFO a\nextra\ndone\n", False),
        (["... passed in ...s"], "7 passed in 0.33s\n", True),
        (["... passed in ...s"], "6 passed, 1 skipped in 0.33s\n", False),
    ],
)
def test_shown_output_is_compared_strictly(expected: list[str], actual: str, matches: bool) -> None:
    assert output_matches(expected, actual) is matches


def test_a_typo_in_a_marker_is_refused() -> None:
    with pytest.raises(AssertionError, match="unknown marker"):
        parse_lesson("<!-- lesson: skp reason -->\n```console\n$ true\n```\n")
    with pytest.raises(AssertionError, match="use ```console"):
        parse_lesson("```bash\n$ true\n```\n")


def test_an_edit_that_no_longer_applies_is_refused(tmp_path: Path) -> None:
    (tmp_path / "user.py").write_text("class User:\n    name = 1\n")
    patch = Step(1, "patch", "user.py", ["-    name = 2", "+    name = 3"])
    with pytest.raises(AssertionError, match="hunk not found once"):
        apply_edit(tmp_path, patch)
    replace = Step(1, "replace", "user.py", ["class Account:", "    pass"])
    with pytest.raises(AssertionError, match="first line not found once"):
        apply_edit(tmp_path, replace)


def test_edits_change_only_what_they_show(tmp_path: Path) -> None:
    (tmp_path / "user.py").write_text("a = 1\n\n\nclass User:\n    name = 1\n    age = 2\n")
    apply_edit(
        tmp_path, Step(1, "patch", "user.py", ["     name = 1", "-    age = 2", "+    age = 3"])
    )
    apply_edit(tmp_path, Step(1, "replace", "user.py", ["class User:", "    pass"]))
    assert (tmp_path / "user.py").read_text() == "a = 1\n\n\nclass User:\n    pass\n"
    apply_edit(tmp_path, Step(1, "write", "tests/new.py", ["x = 1"]))
    assert (tmp_path / "tests" / "new.py").read_text() == "x = 1\n"


def test_a_star_in_an_edited_path_names_one_file(tmp_path: Path) -> None:
    (tmp_path / "2026_01_01-ab12_add_email.py").write_text("a = 1\n")
    apply_edit(tmp_path, Step(1, "patch", "*_add_email.py", ["-a = 1", "+a = 2"]))
    assert (tmp_path / "2026_01_01-ab12_add_email.py").read_text() == "a = 2\n"
    (tmp_path / "2026_01_02-cd34_add_email.py").write_text("a = 1\n")
    with pytest.raises(AssertionError, match="2 files match, not one"):
        apply_edit(tmp_path, Step(1, "patch", "*_add_email.py", ["-a = 1", "+a = 2"]))
