"""Drops in a contract step need no waiver.

A contract step runs once the new code is live (phases.py): the release running then is
the new code, so a table, a column or a constraint its models no longer map can go. What the release
before it still reads is the previous-release check's business (previous_release.py),
which fails a drop that runs before the deploy. A drop before the deploy stays a finding,
and its advice names the contract step.
"""

from __future__ import annotations

import re
from functools import cached_property

from ..phases import is_contract_step
from ..previous_release import current_metadata, current_model_tables
from .findings import Finding
from .render import RevisionScript

# The findings a contract step is spared, when the new code maps nothing of what goes.
SPARED = {"ban-drop-column", "ban-drop-table", "ban-drop-constraint"}
NAME = r"[`\"]?([^`\"\s;,()]+)[`\"]?"
DROP_TABLE = re.compile(rf"DROP TABLE (?:IF EXISTS )?{NAME}", re.IGNORECASE)
DROP_CONSTRAINT = re.compile(
    rf"ALTER TABLE (?:ONLY )?{NAME} .*?DROP (?:CONSTRAINT|CHECK|FOREIGN KEY) (?:IF EXISTS )?{NAME}",
    re.IGNORECASE,
)
DROP_COLUMN = re.compile(
    rf"ALTER TABLE (?:ONLY )?{NAME} .*?DROP (?:COLUMN )?(?:IF EXISTS )?{NAME}", re.IGNORECASE
)


class ContractSteps:
    """Which findings of a revision still stand once its phase is known."""

    def still_unsafe(self, script: RevisionScript, findings: list[Finding]) -> list[Finding]:
        """``findings`` less the drops a contract step makes of what the new code no
        longer maps."""
        spared = [found for found in findings if found.rule in SPARED]
        if not spared or not is_contract_step(script):
            return findings
        return [found for found in findings if found not in spared or self.still_mapped(found)]

    @cached_property
    def mapped(self) -> dict[str, frozenset[str]]:
        """The tables and columns the new code's models map (read once, when needed)."""
        return current_model_tables()

    @cached_property
    def constraints(self) -> frozenset[str]:
        """The names of the constraints and indexes the new code's models declare."""
        tables = current_metadata().tables.values()
        named = [
            *(c.name for t in tables for c in t.constraints),
            *(i.name for t in tables for i in t.indexes),
        ]
        return frozenset(str(name) for name in named if name)

    def still_mapped(self, found: Finding) -> bool:
        """Whether what ``found`` drops is still used by the new code (or cannot be told)."""
        if constraint := DROP_CONSTRAINT.search(found.operation):
            return constraint[1] not in self.mapped or constraint[2] in self.constraints
        if column := DROP_COLUMN.search(found.operation):
            table, name = column[1], column[2]
            return table not in self.mapped or name in self.mapped[table]
        if table := DROP_TABLE.search(found.operation):
            return table[1] in self.mapped
        return True
