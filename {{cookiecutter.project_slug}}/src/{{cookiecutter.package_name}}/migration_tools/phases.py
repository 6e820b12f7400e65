"""The two phases of a deploy: what runs before the new code ships, and what waits until
it is live.

While a deploy runs, the release it replaces still serves traffic. A revision that adds
(a table, a nullable column, an index) is harmless to it: it *expands* the schema, and runs
before the new code ships. A revision that drops or renames what that release still uses
*contracts* the schema, and must wait until the new code is live. Each revision says which
it is, in a line of its own (a revision without one expands)::

    phase: str = "contract"

A deploy is then two commands (``make db-expand``, then ``make db-contract``)::

    python -m <package>.migration_tools.phases expand   # before the new code ships
    alembic upgrade head                                # once it is live: the rest

``expand`` applies the pending revisions up to the first contract step, and stops there.
The history is one chain: a revision after a contract step waits for it, even one that
only adds. ``alembic upgrade head`` runs everything, as always.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from logging.config import fileConfig
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from alembic import command
from alembic.operations import ops
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from alembic.util import CommandError

from .config import read_config

if TYPE_CHECKING:
    from alembic.config import Config

    from .commands import Connectable

T = TypeVar("T")

EXPAND = "expand"
CONTRACT = "contract"


class RevisionLike(Protocol):
    """A revision file and its module: Alembic's Script, or the safety lint's own reading."""

    @property
    def module(self) -> ModuleType: ...

    @property
    def path(self) -> str: ...


# What autogenerate writes for a change that only removes.
DROPS = (ops.DropTableOp, ops.DropColumnOp, ops.DropIndexOp, ops.DropConstraintOp)


def phase_of(script: RevisionLike) -> str:
    """The phase of the revision ``script``: its ``phase`` line, or "expand" without one."""
    phase = getattr(script.module, "phase", EXPAND)
    if phase not in (EXPAND, CONTRACT):
        raise CommandError(
            f"{file_name(script)}: phase = {phase!r} is not a phase: write "
            f'phase = "{EXPAND}" (runs before the new code ships) or phase = "{CONTRACT}" '
            "(runs once it is live)"
        )
    return str(phase)


def is_contract_step(script: RevisionLike) -> bool:
    """Whether the revision ``script`` runs only once the new code is live."""
    return phase_of(script) == CONTRACT


@dataclass(frozen=True)
class ExpandPlan:
    """What ``expand`` does to a database: upgrade to each of ``targets``; ``waiting`` are
    the pending revisions left for ``alembic upgrade head``, in the order they run."""

    targets: tuple[str, ...]
    waiting: tuple[Script, ...]

    def report(self) -> str | None:
        """What waits for the new code, if anything does: one line, and one more for the
        revisions that only expand but wait behind a contract step all the same."""
        if not self.waiting:
            return None
        first, *after = self.waiting
        those = (
            "it runs" if not after else f"it and the {plural(len(after), 'revision')} after it run"
        )
        lines = [
            f"Stopped before {file_name(first)}, a contract step: {those} once the new code "
            "is live (alembic upgrade head, or make db-contract)."
        ]
        held = [file_name(script) for script in after if not is_contract_step(script)]
        if held:
            lines.append(
                f"Waiting behind it, though they only expand: {', '.join(held)}. The new code "
                "starts without them: ship such revisions in an earlier release."
            )
        return "\n".join(lines)


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def file_name(script: RevisionLike) -> str:
    return Path(str(script.path)).name


def expand_plan(scripts: ScriptDirectory, applied: Iterable[str]) -> ExpandPlan:
    """Which revisions run before the new code ships, on a database whose newest applied
    revisions are ``applied``: the pending ones up to the first contract step."""
    everything = list(reversed(list(scripts.walk_revisions())))  # oldest first
    parents = {script.revision: parents_of(script, scripts) for script in everything}
    done = ancestors(applied, parents)
    pending = [script for script in everything if script.revision not in done]
    waiting: set[str] = set()
    for script in in_upgrade_order(pending, parents):
        if is_contract_step(script) or waiting & parents[script.revision]:
            waiting.add(script.revision)
    ready = {script.revision for script in pending} - waiting
    needed = {parent for revision in ready for parent in parents[revision]}
    return ExpandPlan(
        targets=tuple(script.revision for script in pending if script.revision in ready - needed),
        waiting=tuple(
            script for script in in_upgrade_order(pending, parents) if script.revision in waiting
        ),
    )


def parents_of(script: Script, scripts: ScriptDirectory) -> frozenset[str]:
    """The revisions that run before ``script``: those it follows and those it depends on."""
    parents = set(as_tuple(script.down_revision))
    for dependency in as_tuple(script.dependencies):
        parents.update(found.revision for found in scripts.get_revisions(dependency) if found)
    return frozenset(parents)


def as_tuple(value: str | Iterable[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def ancestors(revisions: Iterable[str], parents: dict[str, frozenset[str]]) -> set[str]:
    """``revisions`` and every revision that runs before them."""
    found: set[str] = set()
    stack = list(revisions)
    while stack:
        revision = stack.pop()
        if revision not in found:
            found.add(revision)
            stack.extend(parents.get(revision, ()))
    return found


def in_upgrade_order(scripts: list[Script], parents: dict[str, frozenset[str]]) -> list[Script]:
    """``scripts`` with each one after those it needs; otherwise in the order given."""
    left = {script.revision: script for script in scripts}
    ordered: list[Script] = []
    while left:
        ready = [script for revision, script in left.items() if not parents[revision] & left.keys()]
        for script in ready:
            del left[script.revision]
        ordered.extend(ready)
    return ordered


def database_heads(config: Config, scripts: ScriptDirectory) -> tuple[str, ...]:
    """The revisions the database is at, read through env.py (its options apply)."""
    return through_env(config, scripts, MigrationContext.get_current_heads)


def through_env(
    config: Config, scripts: ScriptDirectory, read: Callable[[MigrationContext], T]
) -> T:
    """What ``read`` finds in the migration context env.py configures, without migrating:
    a command that only reads, as ``alembic current`` is."""
    found: list[T] = []

    def run(_revision: object, migration_context: MigrationContext) -> list[Any]:
        found.append(read(migration_context))
        return []

    with EnvironmentContext(config, scripts, fn=run, dont_mutate=True):
        scripts.run_env()
    return found[0]


def expand(connection: Connectable | None = None) -> ExpandPlan:
    """Before the new code ships: upgrade the database of ``connection`` (or of
    ``DATABASE_URL``) up to its first pending contract step."""
    config = read_config(connection)
    plan = pending_plan(config)
    for target in plan.targets:
        command.upgrade(config, target)
    return plan


def pending_plan(config: Config) -> ExpandPlan:
    """The ``ExpandPlan`` of the database ``config`` names."""
    scripts = ScriptDirectory.from_config(config)
    return expand_plan(scripts, database_heads(config, scripts))


def mark_contract_step(migration_context: MigrationContext, script: ops.MigrationScript) -> None:
    """For env.py's ``process_revision_directives``: a revision that autogenerate writes
    and that only drops (tables, columns, indexes, constraints) is a contract step."""
    upgrades = [op for operations in script.upgrade_ops_list for op in leaves(operations)]
    template_args = migration_context.opts.get("template_args")
    if template_args is not None and upgrades and all(isinstance(op, DROPS) for op in upgrades):
        template_args["phase"] = CONTRACT  # script.py.mako writes the phase line from it


def leaves(container: ops.OpContainer) -> list[ops.MigrateOperation]:
    """The operations of ``container``, with those of each table's group."""
    found: list[ops.MigrateOperation] = []
    for op in container.ops:
        found.extend(leaves(op) if isinstance(op, ops.OpContainer) else [op])
    return found


def main(arguments: list[str]) -> int:
    if arguments != ["expand"]:
        print("usage: python -m <package>.migration_tools.phases expand", file=sys.stderr)
        return 2
    config = read_config()
    try:
        plan = pending_plan(config)
        # Set up after reading, so that Alembic's banner shows once, as `alembic upgrade` does.
        if config.config_file_name:
            fileConfig(config.config_file_name, disable_existing_loggers=False)
        for target in plan.targets:
            command.upgrade(config, target)
    except CommandError as error:
        print(f"FAILED: {error}", file=sys.stderr)
        return 1
    report = plan.report()
    if report:
        print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
