"""Waivers: a finding is accepted only by a comment in its revision that names the rule
and says why it is safe there, so the reason is reviewed with the code::

    # migration-safety: allow ban-drop-column -- no release reads users.nickname since 1.4
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from .findings import Finding, shown_path

MARK = "migration-safety:"
WAIVER = re.compile(
    r"#\s*migration-safety:\s*allow\s+(?P<rule>[a-z0-9-]+)\s*(?:--(?P<reason>.*))?$"
)
FORM = "# migration-safety: allow <rule> -- <why it is safe here>"


def waived(path: Path, findings: Iterable[Finding]) -> tuple[list[Finding], list[str]]:
    """The findings of the revision at ``path`` that no waiver accepts, and what is wrong
    with its waivers: one without a reason, or one for a rule the revision does not break."""
    findings = list(findings)
    rules: set[str] = set()
    problems = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if MARK not in line:
            continue
        where = f"{shown_path(path)}, line {number}"
        waiver = WAIVER.search(line)
        if waiver is None:
            problems.append(f"{where}: not a waiver: write {FORM}")
        elif not (waiver["reason"] or "").strip():
            problems.append(
                f"{where}: the waiver of {waiver['rule']} gives no reason: say why it is "
                f"safe here, after ' -- '"
            )
        elif not any(found.rule == waiver["rule"] for found in findings):
            problems.append(
                f"{where}: waives {waiver['rule']}, which this revision does not break: "
                "remove the waiver"
            )
        else:
            rules.add(waiver["rule"])
    return [found for found in findings if found.rule not in rules], problems
