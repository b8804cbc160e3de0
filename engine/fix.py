"""Repair the flagged regions of a whole document with the loop.

``secgen fix`` and the language server's "Fix with analyzer" both come here.
A region is the innermost function (with its decorators) around a blocking
finding, or the top-level statement when there is no function; overlapping
regions merge. Each region goes through the repair loop as a chat task whose
first prompt already carries the region's findings, and is judged by
analyzing the whole document with the region replaced, counting only the
findings that land inside the region. A region is replaced only when its best
attempt has fewer blocking findings than the original. Regions are applied
bottom-up, so line numbers above stay valid. Nothing here writes files.
"""

from __future__ import annotations

import ast
import difflib
import textwrap
from dataclasses import dataclass, replace
from typing import Sequence

from secgen.analyzers import Finding, Source
from secgen.engine import prompts
from secgen.engine.backend import CancelToken, collect
from secgen.engine.loop import RepairLoop
from secgen.engine.record import LoopResult

FIX_TASK = "Here is part of a {language} file. Keep what it does, its name and its signature."


def _spans(tree: ast.AST) -> list[tuple[int, int]]:
    """0-based inclusive line spans of every function and top-level statement."""
    spans = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or node in getattr(tree, "body", []):
            first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
            spans.append((first - 1, node.end_lineno - 1))
    return spans


def flagged_regions(text: str, findings: Sequence[Finding]) -> list[tuple[int, int]]:
    """Merged 0-based inclusive line spans to repair, in document order."""
    try:
        spans = _spans(ast.parse(text))
    except (SyntaxError, ValueError):
        spans = []
    wanted = []
    for f in findings:
        around = [s for s in spans if s[0] <= f.line <= s[1]]
        wanted.append(min(around, key=lambda s: s[1] - s[0]) if around else (f.line, f.range.end.line))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(wanted):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


@dataclass(kw_only=True)
class RegionTask:
    """A region of a document, repaired through chat; findings are relative to the region."""

    lines: list[str]  # the document, keepends
    start: int
    end: int
    findings: tuple[Finding, ...]  # relative to the region
    language: str = "python"
    path: str | None = None

    @property
    def original(self) -> str:
        return "".join(self.lines[self.start:self.end + 1])

    @property
    def indent(self) -> str:
        first = self.lines[self.start]
        return first[: len(first) - len(first.lstrip(" \t"))]

    def ask(self, backend, params, cancel, previous):
        code, found = (previous.text, previous.blocking) if previous else (textwrap.dedent(self.original), self.findings)
        messages = prompts.repair_messages(FIX_TASK.format(language=self.language), code, found, self.language)
        params = replace(params, stop=params.stop or prompts.CHAT_STOPS)
        return prompts.render_messages(messages), collect(backend.chat(messages, params, cancel),
                                                          until=prompts.has_closed_block)

    def candidate(self, raw):
        code = prompts.extract_code(raw, self.language)
        if not code.strip():
            return None
        return textwrap.indent(textwrap.dedent(code), self.indent)

    def document_with(self, text: str) -> str:
        return "".join(self.lines[:self.start]) + text + "".join(self.lines[self.end + 1:])

    def check(self, text, loop: RepairLoop):
        findings, _ = loop.analyze(Source(text=self.document_with(text), language=self.language, path=self.path))
        size = text.count("\n") or 1
        return [f.moved(-self.start) for f in findings if self.start <= f.line < self.start + size]


@dataclass(frozen=True, kw_only=True)
class RegionFix:
    start: int  # 0-based inclusive lines of the original document
    end: int
    original: str
    result: LoopResult
    original_blocking: int

    @property
    def replacement(self) -> str | None:
        best = self.result.best
        if best is None or len(best.blocking) >= self.original_blocking:
            return None
        return best.text


@dataclass(frozen=True, kw_only=True)
class DocumentFix:
    original: str
    fixed: str
    regions: tuple[RegionFix, ...]

    def diff(self, path: str = "file") -> str:
        return "".join(difflib.unified_diff(self.original.splitlines(keepends=True),
                                            self.fixed.splitlines(keepends=True),
                                            fromfile=f"a/{path.lstrip('/')}", tofile=f"b/{path.lstrip('/')}"))


def fix_document(text: str, loop: RepairLoop, *, language: str = "python", path: str | None = None,
                 only: Sequence[Finding] | None = None, cancel: CancelToken | None = None) -> DocumentFix:
    """Repair the regions around ``only`` (default: every blocking finding)."""
    if only is None:
        _, only = loop.analyze(Source(text=text, language=language, path=path))
    if not text.endswith("\n"):
        text += "\n"
    lines = text.splitlines(keepends=True)
    fixes = []
    for start, end in flagged_regions(text, only):
        inside = tuple(f.moved(-start) for f in only if start <= f.line <= end)
        task = RegionTask(lines=lines, start=start, end=end, findings=inside, language=language, path=path)
        result = loop.run(task, cancel)
        fixes.append(RegionFix(start=start, end=end, original=task.original, result=result,
                               original_blocking=len(inside)))
        if cancel is not None and cancel.cancelled:
            break
    fixed_lines = list(lines)
    for fix in sorted(fixes, key=lambda f: f.start, reverse=True):
        if fix.replacement is not None:
            fixed_lines[fix.start:fix.end + 1] = fix.replacement.splitlines(keepends=True)
    return DocumentFix(original=text, fixed="".join(fixed_lines), regions=tuple(fixes))
