"""Repair the flagged regions of a whole document, cheapest tier first.

``secgen fix`` and the language server's "Fix with analyzer" both come here.

1. **Mechanical fixes** (:mod:`secgen.engine.fixes`) on the whole document,
   for the findings asked about (default: every blocking finding): instant,
   no model, judged by re-analyzing the document and by the function guard.
   Imports a fix adds go with the file's other imports.
2. **Model repair** for what is left (only when ``use_model``): a region is the
   innermost function (with its decorators) around a remaining finding, or the
   top-level statement when there is no function; overlapping regions merge.
   Each region goes through the repair loop as a task that starts from the
   region's own code (no model call for the first attempt), so the loop's
   mechanical tier and guard apply to every model answer too. A region is
   judged by analyzing the whole document with the region replaced, counting
   only findings inside it, and replaced only when its best attempt has fewer
   blocking findings than before. Imports at the top of a model's region are
   moved to the file's imports. Regions are applied bottom-up.

:attr:`DocumentFix.functions` says, per flagged function of the original
text, which tier fixed it. Nothing here writes files.
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
from secgen.engine.fixes import FixOutcome, mechanical_fix
from secgen.engine.fixes.base import Document, apply_edits
from secgen.engine.guard import function_guard
from secgen.engine.loop import RepairLoop, guided_prefill, redecode_chat
from secgen.engine.record import FIRST, FIX, LoopResult

FIX_TASK = "Here is part of a {language} file. Keep what it does, its name and its signature."


def _spans(tree: ast.AST) -> list[tuple[int, int, str]]:
    """0-based inclusive line spans of every function and top-level statement, with a name for each."""
    spans = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or node in getattr(tree, "body", []):
            first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
            name = getattr(node, "name", None) or f"line {node.lineno}"
            spans.append((first - 1, node.end_lineno - 1, name))
    return spans


def flagged_regions(text: str, findings: Sequence[Finding]) -> list[tuple[int, int, str]]:
    """Merged 0-based inclusive line spans to repair, in document order, each with the name of what it holds."""
    try:
        spans = _spans(ast.parse(text))
    except (SyntaxError, ValueError):
        spans = []
    wanted = []
    for f in findings:
        around = [s for s in spans if s[0] <= f.line <= s[1]]
        wanted.append(min(around, key=lambda s: s[1] - s[0]) if around
                      else (f.line, f.range.end.line, f"line {f.line + 1}"))
    merged: list[tuple[int, int, str]] = []
    for start, end, name in sorted(wanted):
        if merged and start <= merged[-1][1]:
            first, last, names = merged[-1]
            merged[-1] = (first, max(end, last), names if name in names.split(", ") else f"{names}, {name}")
        else:
            merged.append((start, end, name))
    return merged


@dataclass(kw_only=True)
class RegionTask:
    """A region of a document: its own code is the first attempt; repairs come through chat."""

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

    def initial(self):
        return self.original

    def whole(self, text):
        return self.document_with(text)

    def mechanical(self, text, findings, loop):
        """The mechanical tier on the document with ``text`` in place, kept only when it edits inside the region."""
        before = self.document_with(text)
        size = len(text.splitlines())

        def region_of(document: str) -> str | None:
            lines = document.splitlines(keepends=True)
            head, tail = self.lines[:self.start], self.lines[self.end + 1:]
            if lines[:len(head)] != head or (tail and lines[len(lines) - len(tail):] != tail):
                return None
            return "".join(lines[len(head):len(lines) - len(tail)])

        def guard(a: str, b: str) -> str | None:
            return "the fix edits outside the region" if region_of(b) is None else function_guard(
                a, b, language=self.language)

        def check(document: str) -> list[Finding]:
            return [f.moved(self.start) for f in self.check(region_of(document), loop)]

        outcome = mechanical_fix(before, [f.moved(self.start) for f in findings], check=check,
                                 policy=loop.config.policy, guard=guard, language=self.language)
        if not outcome.changed or size == 0:
            return None
        return replace(outcome, text=region_of(outcome.text), findings=tuple(f.moved(-self.start) for f in outcome.findings))

    def redecode(self, backend, params, cancel, attempt, finding):
        """The region's repair conversation, with the attempt's lines before the flagged one as the answer so far."""
        if (plan := guided_prefill(textwrap.dedent(attempt.text), finding, self.language)) is None:
            return None
        kept, prefill = plan
        conversation = prompts.repair_messages(FIX_TASK.format(language=self.language),
                                               textwrap.dedent(self.original), self.findings, self.language)
        prompt, answer = redecode_chat(backend, conversation, prefill, params, cancel, finding)
        return prompt, self.candidate(f"```{self.language}\n{kept}{answer.text.split('```')[0]}```"), answer

    def ask(self, backend, params, cancel, previous, wording=None):
        code, found = (textwrap.dedent(previous.text), previous.blocking) if previous else \
            (textwrap.dedent(self.original), self.findings)
        messages = prompts.repair_messages(FIX_TASK.format(language=self.language), code, found, self.language,
                                           wording=wording)
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
    """A region the model tier worked on (positions in the text after the mechanical fixes)."""

    start: int  # 0-based inclusive lines
    end: int
    name: str
    original: str
    result: LoopResult
    original_blocking: int

    @property
    def replacement(self) -> str | None:
        best = self.result.best
        if best is None or best.origin == FIRST or len(best.blocking) >= self.original_blocking:
            return None  # the region's own code (round 0's first attempt) is no replacement
        return best.text


@dataclass(frozen=True, kw_only=True)
class FunctionFix:
    """What happened to one flagged function (or top-level statement) of the original text."""

    name: str
    start: int  # 0-based inclusive lines of the original text
    end: int
    blocking: int  # the findings asked about, inside it, before
    left: int  # ... after both tiers
    fixes: tuple[str, ...] = ()  # mechanical fixes applied inside it
    model: RegionFix | None = None  # the model tier's work on it, if any

    @property
    def tier(self) -> str | None:
        """``fix`` (mechanical only), ``repair`` or ``guided`` (the model's tier), or ``None`` when nothing changed."""
        if self.model is not None and self.model.replacement is not None:
            return self.model.result.best.origin if self.model.result.best.origin != FIX or not self.fixes else FIX
        return FIX if self.fixes else None

    def describe(self) -> str:
        """One line for ``secgen fix``: ``run_command (lines 8-10): 1 blocking -> fixed by ... (mechanical, no model)``."""
        lines = f"line {self.start + 1}" if self.start == self.end else f"lines {self.start + 1}-{self.end + 1}"
        where = lines if self.name.startswith("line ") else f"{self.name} ({lines})"
        mechanical = f"{', '.join(dict.fromkeys(self.fixes))} (mechanical, no model)" if self.fixes else ""
        head = f"{where}: {self.blocking} blocking -> "
        if self.model is not None and self.model.replacement is not None:
            result = self.model.result
            how = "repaired" if self.left == 0 else f"{self.left} left after"
            then = f"fixed by {mechanical}, then " if mechanical else ""
            tier = "a guided re-decode" if result.best.origin == "guided" else f"repair round {result.best.round}"
            return (f"{head}{then}{how} by the model ({tier}, {len(result.attempts)} attempts, {result.stop_reason})")
        if self.fixes:
            return f"{head}fixed by {mechanical}" if self.left == 0 else f"{head}{self.left} left after {mechanical}"
        result = self.model.result if self.model else None
        detail = f" ({len(result.attempts)} attempts, {result.stop_reason}" + (
            f": {result.model_error})" if result.model_error else ")") if result else ""
        return f"{head}not repaired{detail}"


@dataclass(frozen=True, kw_only=True)
class DocumentFix:
    original: str
    fixed: str
    mechanical: FixOutcome
    regions: tuple[RegionFix, ...]  # the model tier's regions
    functions: tuple[FunctionFix, ...]  # per flagged function of the original
    remaining: tuple[Finding, ...]  # the findings asked about that are still there (positions in ``fixed``)

    def diff(self, path: str = "file") -> str:
        return "".join(difflib.unified_diff(self.original.splitlines(keepends=True),
                                            self.fixed.splitlines(keepends=True),
                                            fromfile=f"a/{path.lstrip('/')}", tofile=f"b/{path.lstrip('/')}"))


def _key(f: Finding) -> tuple[str, str]:
    return (f.analyzer, f.rule_id)


def fix_document(text: str, loop: RepairLoop, *, language: str = "python", path: str | None = None,
                 only: Sequence[Finding] | None = None, cancel: CancelToken | None = None,
                 use_model: bool = True) -> DocumentFix:
    """Repair the findings ``only`` (default: every blocking finding): mechanical fixes, then the model."""
    if not text.endswith("\n"):
        text += "\n"
    findings, blocking = loop.analyze(Source(text=text, language=language, path=path))
    targets = list(blocking if only is None else only)
    keys = {_key(f) for f in targets}
    outcome = mechanical_fix(text, findings, targets=targets, check=lambda t: loop.analyze(
        Source(text=t, language=language, path=path))[0], policy=loop.config.policy, language=language,
        guard=lambda a, b: function_guard(a, b, language=language)) if "fix" in loop.config.tiers else \
        FixOutcome(text=text, findings=tuple(findings))
    current = outcome.text
    left = [f for f in outcome.findings if _key(f) in keys and (only is not None or loop.config.policy.is_blocking(f))]
    regions: list[RegionFix] = []
    if use_model and left:
        current, regions = _model_tier(current, left, loop, language=language, path=path, cancel=cancel)
        left = [f for f in loop.analyze(Source(text=current, language=language, path=path))[0] if _key(f) in keys
                and (only is not None or loop.config.policy.is_blocking(f))]
    functions = _functions(text, targets, outcome, current, left, regions)
    return DocumentFix(original=text, fixed=current, mechanical=outcome, regions=tuple(regions),
                       functions=functions, remaining=tuple(left))


def _model_tier(text: str, targets: Sequence[Finding], loop: RepairLoop, *, language: str, path: str | None,
                cancel: CancelToken | None) -> tuple[str, list[RegionFix]]:
    lines = text.splitlines(keepends=True)
    fixes = []
    for start, end, name in flagged_regions(text, targets):
        inside = tuple(f.moved(-start) for f in targets if start <= f.line <= end)
        task = RegionTask(lines=lines, start=start, end=end, findings=inside, language=language, path=path)
        result = loop.run(task, cancel)
        fixes.append(RegionFix(start=start, end=end, name=name, original=task.original, result=result,
                               original_blocking=len(result.attempts[0].blocking) if result.attempts else len(inside)))
        if cancel is not None and cancel.cancelled:
            break
    fixed_lines = list(lines)
    hoisted: list[str] = []
    for fix in sorted(fixes, key=lambda f: f.start, reverse=True):
        if fix.replacement is not None:
            body, imports = _split_imports(fix.replacement) if not fix.original[:1].isspace() else (fix.replacement, [])
            hoisted.extend(imports)
            fixed_lines[fix.start:fix.end + 1] = body.splitlines(keepends=True)
    fixed = "".join(fixed_lines)
    for statement in dict.fromkeys(hoisted):
        edit = Document(fixed).ensure_import(statement)
        if edit is not None:
            fixed = apply_edits(fixed, [edit])
    return fixed, fixes


def _split_imports(code: str) -> tuple[str, list[str]]:
    """A model's region without the import lines it put first, and those imports (``import json`` mid-file)."""
    lines = code.splitlines(keepends=True)
    imports = []
    while lines and (lines[0].startswith(("import ", "from ")) or not lines[0].strip()):
        if lines[0].strip():
            try:
                ast.parse(lines[0])
            except SyntaxError:
                break
            imports.append(lines[0].strip())
        lines.pop(0)
    if not imports or not "".join(lines).strip():
        return code, []
    return "".join(lines), imports


def _functions(original: str, targets: Sequence[Finding], outcome: FixOutcome, fixed: str, left: Sequence[Finding],
               regions: Sequence[RegionFix]) -> tuple[FunctionFix, ...]:
    """Per flagged function of the original: what each tier did (matched by name across the edits)."""
    try:
        spans_after = _spans(ast.parse(fixed))
    except (SyntaxError, ValueError):
        spans_after = []
    functions = []
    for start, end, name in flagged_regions(original, targets):
        before = sum(1 for f in targets if start <= f.line <= end)
        fixes = tuple(n for n, f in zip(outcome.applied, outcome.fixed) if start <= f.line <= end)
        span = next(((s, e) for s, e, n in spans_after if n == name), None)
        left_here = sum(1 for f in left if span[0] <= f.line <= span[1]) if span else (before if left else 0)
        model = next((r for r in regions if name in r.name.split(", ")), None)
        functions.append(FunctionFix(name=name, start=start, end=end, blocking=before, left=left_here,
                                     fixes=fixes, model=model))
    return tuple(functions)
