"""Waivers: a finding is accepted only by a comment on the operation it is about, that names
the rule and says why it is safe there, so the reason is reviewed with the code::

    # migration-safety: allow ban-drop-column -- no release reads users.nickname since 1.4
    op.drop_column("users", "nickname")

A waiver covers the statement on the line below it (all of it: a ``with`` block and the
operations inside), or the statement it ends, written after the code on the same line.
Only real comments count: the words in a docstring or in a string of SQL are no waiver.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .findings import Finding, shown_path

MARK = "migration-safety:"
WAIVER = re.compile(
    r"#\s*migration-safety:\s*allow\s+(?P<rule>[a-z0-9-]+)\s*(?:--(?P<reason>.*))?$"
)
FORM = "# migration-safety: allow <rule> -- <why it is safe here>"
# A reason says something: two words at least.
WORD = re.compile(r"[^\W\d_]{2,}")


@dataclass(frozen=True)
class Waiver:
    line: int
    text: str
    first: int  # the lines of the statement it covers; 0: it sits on no statement
    last: int
    # The first lines of the `with` blocks around it: a batch runs its operations as its
    # block ends, and their statements carry the block's line.
    blocks: frozenset[int] = frozenset()

    def covers(self, line: int) -> bool:
        return bool(self.first) and (self.first <= line <= self.last or line in self.blocks)


def waived(path: Path, findings: Iterable[Finding]) -> tuple[list[Finding], list[str]]:
    """The findings of the revision at ``path`` that no waiver accepts, and what is wrong
    with its waivers: not one in form, without a reason, on no operation, or for a rule
    the operation it sits on does not break."""
    findings = list(findings)
    source = path.read_text(encoding="utf-8")
    if MARK not in source:  # the quick way for most revisions
        return findings, []
    accepted: set[Finding] = set()
    problems = []
    for waiver in waivers(source):
        where = f"{shown_path(path)}, line {waiver.line}"
        match = WAIVER.search(waiver.text)
        if match is None:
            problems.append(f"{where}: not a waiver: write {FORM}")
            continue
        rule, reason = match["rule"], match["reason"] or ""
        covered = [found for found in findings if found.rule == rule and waiver.covers(found.line)]
        if len(WORD.findall(reason)) < 2:
            problems.append(
                f"{where}: the waiver of {rule} gives no reason: say why it is safe here, in "
                "words, after ' -- '"
            )
        elif not waiver.first:
            problems.append(
                f"{where}: the waiver of {rule} sits on no operation: put it on the line above "
                "the operation it accepts, inside upgrade()"
            )
        elif covered:
            accepted.update(covered)
        elif any(found.rule == rule for found in findings):
            problems.append(
                f"{where}: waives {rule}, which the operation below it does not break: put it "
                "on the line above the operation that does"
            )
        else:
            problems.append(
                f"{where}: waives {rule}, which this revision does not break: remove the waiver"
            )
    return [found for found in findings if found not in accepted], problems


def waivers(source: str) -> list[Waiver]:
    """The comments of ``source`` that carry the mark, with the statement each sits on."""
    comments = []
    code_lines: set[int] = set()  # lines with code before a comment
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT and MARK in token.string:
            comments.append(token)
        elif token.type not in (
            tokenize.COMMENT,
            tokenize.NL,
            tokenize.NEWLINE,
            tokenize.INDENT,
            tokenize.DEDENT,
        ):
            code_lines.update(range(token.start[0], token.end[0] + 1))
    if not comments:
        return []
    statements = [node for node in ast.walk(ast.parse(source)) if isinstance(node, ast.stmt)]
    found = []
    for comment in comments:
        line = comment.start[0]
        first, last = covered_lines(statements, line, trailing=line in code_lines)
        blocks = frozenset(
            node.lineno
            for node in statements
            if isinstance(node, ast.With) and node.lineno < line <= (node.end_lineno or 0)
        )
        found.append(Waiver(line, comment.string, first, last, blocks))
    return found


def covered_lines(statements: list[ast.stmt], line: int, *, trailing: bool) -> tuple[int, int]:
    """The lines of the statement a waiver at ``line`` covers: the innermost one it ends
    (``trailing``), else the widest one that starts first below it; (0, 0) for none, or
    for a function or class (a waiver covers an operation, not all of upgrade())."""
    if trailing:
        around = [node for node in statements if node.lineno <= line <= (node.end_lineno or 0)]
        node = min(around, key=lambda node: (node.end_lineno or 0) - node.lineno, default=None)
    else:
        below = [node for node in statements if node.lineno > line]
        start = min((node.lineno for node in below), default=0)
        starting = [node for node in below if node.lineno == start]
        node = max(starting, key=lambda node: node.end_lineno or 0, default=None)
    if node is None or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return 0, 0
    return node.lineno, node.end_lineno or node.lineno
