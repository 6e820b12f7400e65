"""Bad answers are refused before anything is written: one line naming the field and the
fix, exit 1, and nothing created or deleted on disk. The rules are the pre-gen hook's plain
functions, tested directly too; the template's Jinja extension applies them where
cookiecutter renders the project directory's name, before it creates that directory."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter
from helpers import TEMPLATE, load_hook, replay_context, run

pre_gen = load_hook("pre_gen_project")


GOOD_ANSWERS: dict[str, object] = {
    "project_name": "Inventory",
    "project_slug": "inventory",
    "package_name": "inventory",
    "description": "Stock levels.",
    "author_name": "Jane Doe",
    "author_email": "jane@example.com",
    "python_version": "3.12",
    "database": "sqlite",
    "async": False,
}

BAD_ANSWERS = [
    ("package_name", "2fast", "not a valid Python identifier"),
    ("package_name", "my-app", "not a valid Python identifier"),
    ("package_name", "paquet_é", "not a valid Python identifier"),
    ("package_name", "class", "is a Python keyword"),
    ("package_name", "match", "is a Python keyword"),
    ("package_name", "json", "shadow the standard library"),
    ("package_name", "test", "shadow the standard library"),
    ("package_name", "alembic", "shadow the 'alembic' package"),
    ("package_name", "sqlalchemy", "shadow the 'sqlalchemy' package"),
    ("package_name", "pre_commit", "shadow the 'pre_commit' package"),
    ("package_name", "pre_commit_hooks", "shadow the 'pre_commit_hooks' package"),
    ("package_name", "mypy", "shadow the 'mypy' package"),
    ("package_name", "ruff", "shadow the 'ruff' package"),
    ("package_name", "pytest", "shadow the 'pytest' package"),
    ("package_name", "_pytest", "shadow the '_pytest' package"),
    ("package_name", "pytest_asyncio", "shadow the 'pytest_asyncio' package"),
    ("package_name", "dotenv", "shadow the 'dotenv' package"),
    ("package_name", "tests", "clash with the project's tests/"),
    ("package_name", "p" * (pre_gen.PACKAGE_NAME_MAX + 1), "use at most"),
    ("project_slug", "-bad slug-", "not a valid distribution name"),
    ("project_slug", "x/..", "not a valid distribution name"),
    ("project_slug", "s" * (pre_gen.PROJECT_SLUG_MAX + 1), "use at most"),
    ("project_slug", "sqlalchemy", "the name of a package the project installs (sqlalchemy)"),
    ("project_slug", "Pre_Commit", "the name of a package the project installs (pre-commit)"),
    ("project_slug", "python.dotenv", "the name of a package the project installs (python-dotenv)"),
    ("author_email", "jane.example.com", "not an email address"),
    ("author_email", "jane doe@example.com", "not an email address"),
    ("author_email", "jane@@example.com", "not an email address"),
    ("author_email", "jane@example..com", "not an email address"),
    ("author_email", "jané@example.com", "not an email address"),
    ("author_email", "<jane@example.com>", "not an email address"),
    ("author_email", "jane@example.com (Jane)", "not an email address"),
    ("author_email", " jane@example.com", "not an email address"),
    ("author_email", "", "not an email address"),
    ("author_name", "Jane\nDoe", "control character"),
    ("author_name", "Jane\rDoe", "control character"),
    ("author_name", "Jane\tDoe", "control character"),
    ("author_name", "Jane ", "whitespace"),
    ("project_name", "Inventory\nService", "control character"),
    ("project_name", "Inventory\u2028Service", "control character"),
    ("project_name", " ", "it is empty"),
    ("description", "Two\nlines.", "control character"),
    ("description", "Bell\x07.", "control character"),
    ("description", "    Indented.", "whitespace"),
    ("python_version", "2.7", "not supported"),
    ("python_version", 3.12, "not text"),
    ("database", "oracle", "not supported"),
    ("database", "postgres", "not supported; choose one of sqlite, postgresql, mysql."),
    ("async", "maybe", "neither yes nor no"),
    ("async", 2, "neither yes nor no"),
    ("async", None, "neither yes nor no"),
]


@pytest.mark.parametrize(("field", "value", "message"), BAD_ANSWERS)
def test_check_answers_names_the_field_and_the_fix(field: str, value: object, message: str) -> None:
    with pytest.raises(pre_gen.AnswerError) as error:
        pre_gen.check_answers({**GOOD_ANSWERS, field: value})
    text = str(error.value)
    assert text.startswith(f"{field}: ")
    assert message in text
    assert "\n" not in text


ODD_GOOD_ANSWERS = [
    ("project_name", 'O\'Brien "Data" Проект 🚀'),
    ("description", 'Quotes " and \' and a back\\slash, {{ braces }}, über-Ünïcode'),
    ("author_name", 'Seán "Shorty" O\'Brien, Jr. <and co>'),
    ("author_email", '"jane doe"@example.com'),
    ("author_email", "jane+tag@exämple.com"),
    ("author_email", "jane@localhost"),
    ("project_slug", "My.Project_x-1"),
    ("project_slug", "s" * pre_gen.PROJECT_SLUG_MAX),
    ("package_name", "p" * pre_gen.PACKAGE_NAME_MAX),
    ("package_name", "Stock_2"),
]


@pytest.mark.parametrize(("field", "value"), ODD_GOOD_ANSWERS)
def test_odd_but_valid_answers_pass(field: str, value: str) -> None:
    pre_gen.check_answers({**GOOD_ANSWERS, field: value})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        *[(word, True) for word in (True, 1, "true", "True", "yes", "Y", "1", "on", " ON ")],
        *[(word, False) for word in (False, 0, "false", "FALSE", "no", "n", "0", "off")],
    ],
)
def test_yes_no_answers_become_booleans(value: object, expected: bool) -> None:
    assert pre_gen.check_answers({**GOOD_ANSWERS, "async": value}) == {"async": expected}


def test_every_boolean_question_is_parsed() -> None:
    questions = json.loads((TEMPLATE / "cookiecutter.json").read_text())
    booleans = {name for name, default in questions.items() if isinstance(default, bool)}
    assert booleans == set(pre_gen.BOOLEAN_QUESTIONS)


def test_package_name_may_not_be_tests() -> None:
    """The baked project's tests/ is a package, imported as ``tests``."""
    with pytest.raises(pre_gen.AnswerError, match="clash with the project's tests/ package"):
        pre_gen.check_answers({**GOOD_ANSWERS, "package_name": "tests"})


def test_everything_the_project_installs_is_refused_as_a_package_name(project_venv: Path) -> None:
    """Every importable top-level name in the virtualenv that holds every combination's
    dependencies and dev tools."""
    (site_packages,) = project_venv.glob("lib/python3*/site-packages")
    names = {
        path.name.split(".")[0]
        for path in site_packages.iterdir()
        if not path.name.endswith((".dist-info", ".pth", ".libs")) and path.name != "__pycache__"
    }
    importable = sorted(name for name in names if name.isidentifier())
    assert "sqlalchemy" in importable and "pre_commit" in importable
    accepted = []
    for name in importable:
        try:
            pre_gen.check_package_name(name)
        except pre_gen.AnswerError:
            continue
        accepted.append(name)
    assert accepted == [], "add these to INSTALLED_IMPORT_NAMES in hooks/pre_gen_project.py"


def test_every_distribution_the_project_installs_is_refused_as_a_slug(project_venv: Path) -> None:
    """A project named like one of its own dependencies cannot be installed beside it."""
    (site_packages,) = project_venv.glob("lib/python3*/site-packages")
    distributions = sorted(
        pre_gen.normalized_distribution_name(path.name.split("-")[0])
        for path in site_packages.glob("*.dist-info")
    )
    assert "sqlalchemy" in distributions and "python-dotenv" in distributions
    accepted = []
    for name in distributions:
        try:
            pre_gen.check_project_slug(name)
        except pre_gen.AnswerError:
            continue
        accepted.append(name)
    assert accepted == [], "add these to INSTALLED_DISTRIBUTIONS in hooks/pre_gen_project.py"


def test_answers_so_far_are_checked_in_the_order_asked() -> None:
    """Cookiecutter asks one question at a time: what has been answered is checked, what
    has not is left for later, and the first bad answer in question order is the one named."""
    asked = {"project_name": "Inventory", "project_slug": "x y"}
    with pytest.raises(pre_gen.AnswerError, match="^project_slug: "):
        pre_gen.check_answers(asked, so_far=True)
    assert pre_gen.check_answers({"project_name": "Inventory"}, so_far=True) == {}
    with pytest.raises(KeyError):
        pre_gen.check_answers({"project_name": "Inventory"})
    both_bad = {**GOOD_ANSWERS, "package_name": "json", "author_email": "nobody"}
    with pytest.raises(pre_gen.AnswerError, match="^package_name: "):
        pre_gen.check_answers(both_bad)


def test_good_answers_pass() -> None:
    assert pre_gen.check_answers(GOOD_ANSWERS) == {"async": False}


def cookiecutter_cli(*args: str | Path, cwd: Path) -> tuple[int, list[str]]:
    """Run cookiecutter's command line; return its exit status and every line it printed."""
    result = run([sys.executable, "-m", "cookiecutter", *args], cwd=cwd, check=False)
    return result.returncode, (result.stdout + result.stderr).splitlines()


CLI_BAD_INPUT = [
    ["package_name=2fast"],
    ["python_version=2.7"],
    ["python_version=3.9"],
    ["package_name=class"],
    ["package_name=json"],
    ["package_name=alembic"],
    ["package_name=tests"],
    ["package_name=pre_commit"],
    ["author_email=nobody"],
    ["author_email=jane doe@example.com"],
    ["author_name=Jane\nDoe"],
    ["description=Two\nlines"],
    ["project_slug=x/.."],
    [f"package_name={'p' * 31}"],
    ["database=postgres"],
    ["project_slug=sqlalchemy"],
]


@pytest.mark.parametrize("answers", CLI_BAD_INPUT, ids=lambda answers: answers[0])
def test_cookiecutter_prints_one_line_and_leaves_nothing(answers: list[str], tmp_path: Path) -> None:
    status, lines = cookiecutter_cli("--no-input", TEMPLATE, "-o", tmp_path, *answers, cwd=tmp_path)
    field = answers[0].split("=")[0]
    assert status == 1
    assert len(lines) == 1 and lines[0].startswith(f"error: {field}: "), lines
    assert list(tmp_path.iterdir()) == []


def test_readme_shows_exactly_what_a_refusal_prints(tmp_path: Path) -> None:
    readme = (TEMPLATE / "README.md").read_text()
    block = readme.split("```console\n$ cookiecutter --no-input . package_name=json\n", 1)[1]
    shown = block.split("```", 1)[0].splitlines()
    status, lines = cookiecutter_cli("--no-input", TEMPLATE, "package_name=json", cwd=tmp_path)
    assert status == 1
    assert lines == shown


REFUSED_SLUGS = ["x/..", "x/../..", "..", ".", "/abs", "a/b", "a\\b", "../x", "x/", "~", ""]


def snapshot(root: Path) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*"))


def stand_in(tmp_path: Path) -> tuple[Path, Path, list[str]]:
    """A directory to run cookiecutter in, holding a sentinel file and a .git, two levels
    below a root; returns the root, the directory and what the root holds."""
    here = tmp_path / "root" / "work" / "here"
    (here / ".git").mkdir(parents=True)
    (here / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (here / "sentinel").write_text("still here\n")
    return tmp_path / "root", here, snapshot(tmp_path / "root")


@pytest.mark.parametrize("slug", REFUSED_SLUGS)
def test_refused_slug_on_the_command_line_creates_and_deletes_nothing(slug: str, tmp_path: Path) -> None:
    root, here, before = stand_in(tmp_path)
    status, lines = cookiecutter_cli("--no-input", TEMPLATE, f"project_slug={slug}", cwd=here)
    assert status == 1
    assert len(lines) == 1 and lines[0].startswith("error: project_slug: "), lines
    assert (here / "sentinel").read_text() == "still here\n"
    assert (here / ".git" / "HEAD").exists()
    assert snapshot(root) == before
    assert not Path("/abs").exists()


@pytest.mark.parametrize("slug", ["x/..", "x/../..", "/abs"])
def test_refused_slug_in_a_config_file_creates_and_deletes_nothing(slug: str, tmp_path: Path) -> None:
    root, here, before = stand_in(tmp_path)
    config = tmp_path / "config.yaml"
    config.write_text(f"default_context:\n  project_slug: {json.dumps(slug)}\n")
    status, lines = cookiecutter_cli("--no-input", "--config-file", config, TEMPLATE, cwd=here)
    assert status == 1
    assert len(lines) == 1 and lines[0].startswith("error: project_slug: "), lines
    assert snapshot(root) == before


@pytest.mark.parametrize("extensions", ["current", "older"])
@pytest.mark.parametrize("slug", ["x/..", "x/../..", "/abs"])
def test_refused_slug_in_a_replay_file_creates_and_deletes_nothing(
    slug: str, extensions: str, tmp_path: Path
) -> None:
    """Replay files recorded before the checks existed name only `local_extensions.quoted`."""
    replay = replay_context(tmp_path / "first")
    root, here, before = stand_in(tmp_path)
    replay["cookiecutter"]["project_slug"] = slug
    if extensions == "older":
        replay["cookiecutter"]["_extensions"] = ["local_extensions.quoted"]
    replay_file = tmp_path / "edited.json"
    replay_file.write_text(json.dumps(replay))
    status, lines = cookiecutter_cli("--replay-file", replay_file, TEMPLATE, cwd=here)
    assert status == 1
    assert len(lines) == 1 and lines[0].startswith("error: project_slug: "), lines
    assert snapshot(root) == before


def test_the_extension_checks_the_directory_the_template_really_has() -> None:
    spec = importlib.util.spec_from_file_location("extension", TEMPLATE / "local_extensions.py")
    assert spec is not None and spec.loader is not None
    extension = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(extension)
    assert (TEMPLATE / extension.PROJECT_DIRECTORY).is_dir()


def test_the_hook_refuses_on_its_own_too(tmp_path: Path) -> None:
    """The hook is the last line: rendered and run by hand, it applies the same rules."""
    script = (TEMPLATE / "hooks" / "pre_gen_project.py").read_text()
    main_block = script.split('if __name__ == "__main__":', 1)[0]
    call = (
        "sys.exit(main("
        + repr({**GOOD_ANSWERS, "package_name": "tests", "async": "False"})
        + "))"
    )
    hook = tmp_path / "hook.py"
    hook.write_text(f"{main_block}\n{call}\n")
    result = run([sys.executable, hook], cwd=tmp_path, check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("error: package_name: 'tests' would clash")


def interactive_bake(typed: list[str], tmp_path: Path) -> tuple[int, str, Path]:
    """Answer cookiecutter's questions one line at a time, as at a terminal."""
    config = tmp_path / "config.yaml"
    replay_dir = tmp_path / "replay"
    config.write_text(f"replay_dir: {json.dumps(str(replay_dir))}\n")
    result = subprocess.run(
        [sys.executable, "-m", "cookiecutter", "--config-file", config, "-o", tmp_path / "out", TEMPLATE],
        input="".join(f"{line}\n" for line in typed),
        capture_output=True, text=True, cwd=tmp_path, timeout=120, check=False,
    )
    return result.returncode, result.stdout + result.stderr, replay_dir


def questions_asked(output: str) -> int:
    return len(re.findall(r"\[\d/9\]", output))


@pytest.mark.parametrize(
    ("typed", "asked", "refusal"),
    [
        (["Inventory", "bad slug!"], 2, "error: project_slug: 'bad slug!' is not a valid distribution name"),
        (["Inventory", "", "json"], 3, "error: package_name: 'json' would shadow the standard library module"),
        (["", "", "", "", "", "jane at example"], 6, "error: author_email: 'jane at example' is not an email address"),
        # The answer to database is checked with the last one, async: a yes/no prompt renders nothing.
        (["", "", "", "", "", "", "", "postgres", ""], 9, "error: database: 'postgres' is not supported; choose one of"),
    ],
    ids=["slug", "package", "email", "database"],
)
def test_a_bad_answer_at_a_prompt_stops_before_the_next_question(
    typed: list[str], asked: int, refusal: str, tmp_path: Path
) -> None:
    """Reported as it is given, not after all nine questions; and cookiecutter saves no replay
    file, which would keep the bad answer for the next `--replay`."""
    status, output, replay_dir = interactive_bake(typed, tmp_path)

    assert status == 1
    assert questions_asked(output) == asked, output
    # Piped answers are not echoed: the prompts run together on one line, the refusal ends it.
    assert refusal in output.rstrip().splitlines()[-1], output
    assert not replay_dir.exists()
    assert not (tmp_path / "out").exists()


def test_good_answers_at_the_prompts_bake(tmp_path: Path) -> None:
    status, output, replay_dir = interactive_bake(["Stock Keeper", "", "", "", "", "", "3.12", "postgresql", "y"], tmp_path)

    assert status == 0, output
    assert questions_asked(output) == 9
    assert (tmp_path / "out" / "stock-keeper" / "src" / "stock_keeper" / "db.py").is_file()
    assert len(list(replay_dir.glob("*.json"))) == 1


# The `_extensions` and `_copy_without_render` that older templates wrote into replay files.
OLDER_REPLAY_SETTINGS = {
    "first": (["local_extensions.quoted"], ["*/src/*/migrations/script.py.mako"]),
    "checks": (["local_extensions.quoted", "local_extensions.CheckedAnswers"], ["*/src/*/migrations/script.py.mako"]),
    "one-extension": (["local_extensions.TemplateExtension"], ["*/src/*/migrations/script.py.mako"]),
}


@pytest.mark.parametrize("settings", OLDER_REPLAY_SETTINGS.values(), ids=OLDER_REPLAY_SETTINGS.keys())
def test_a_replay_file_from_an_older_template_bakes_what_todays_does(
    settings: tuple[list[str], list[str]], tmp_path: Path
) -> None:
    """A replay file keeps the extension names of the template that wrote it: each name an
    older template used still loads the extension (it was `AttributeError: module
    'local_extensions' has no attribute 'CheckedAnswers'`), and the project is the same."""
    replay = replay_context(tmp_path / "first")
    (today,) = (tmp_path / "first" / "out").iterdir()
    replay["cookiecutter"]["_extensions"], replay["cookiecutter"]["_copy_without_render"] = settings
    replay_file = tmp_path / "older.json"
    replay_file.write_text(json.dumps(replay))

    status, lines = cookiecutter_cli("--replay-file", replay_file, "-o", tmp_path / "out", TEMPLATE, cwd=tmp_path)

    assert status == 0, lines
    assert baked_files(tmp_path / "out" / today.name) == baked_files(today)


def baked_files(project: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(project)): path.read_bytes()
        for path in project.rglob("*")
        if path.is_file() and ".git" not in path.relative_to(project).parts
    }
