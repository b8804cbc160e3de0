"""Mechanical fixes: the repair loop's first tier, source transforms with no model.

For a finding whose remedy is mechanical (``yaml.load`` -> ``yaml.safe_load``,
``shell=True`` with a string -> an argument list, SQL formatted with the
value -> a parameterized query, an undefined ``math`` -> ``import math``...)
rewriting the source is instant and cannot drift from the task the way a
small model's rewrite can. :func:`mechanical_fix` applies every fix that
matches a blocking finding, re-analyzes once, and keeps the result only if

* it removes findings it targets, adds no blocking finding (no blocking rule id
  appears more often than before; Bandit's low-severity notes on every
  argument-list ``subprocess`` call, B603/B607/B404, do not veto a fix),
* and the function guard (:mod:`secgen.engine.guard`) passes: names and
  signatures kept, no new syntax error or undefined name, the sink's purpose
  kept.

When the fixes together fail that test, each is tried alone and kept only if
it passes on its own. Fixes live one family per module (:data:`MODULES`),
each module exporting ``FIXES``; a fix names the rules it removes, and its
worked examples (:class:`~secgen.engine.fixes.base.Example`) are data beside
the code, ``examples/<fix name>.yaml``, which the tests run through the real
analyzers. Which fix covers which rule, and where
each comes from, is in ``docs/analyzers.md``. Python only: other languages
go straight to the model tiers.
"""

from __future__ import annotations

import importlib
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Sequence

from secgen.analyzers import Finding, SeverityPolicy
from secgen.engine.fixes.base import Document, Edit, Example, Fix, apply_edits

MODULES = ("commands", "sql", "apis", "arithmetic", "xml", "crypto", "randomness", "imports", "paths", "flows")
LANGUAGES = ("python",)


@lru_cache(maxsize=1)
def all_fixes() -> tuple[Fix, ...]:
    found: list[Fix] = []
    for name in MODULES:
        try:
            module = importlib.import_module(f"secgen.engine.fixes.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"secgen.engine.fixes.{name}":
                raise
            continue
        found.extend(module.FIXES)
    names = Counter(f.name for f in found)
    if duplicated := [n for n, c in names.items() if c > 1]:
        raise RuntimeError(f"two fixes share the name(s) {', '.join(duplicated)}")
    return tuple(found)


def fixes_for(rule_id: str) -> list[Fix]:
    return [f for f in all_fixes() if rule_id in f.rules]


@dataclass(frozen=True, kw_only=True)
class FixOutcome:
    """What the mechanical tier made of a text."""

    text: str  # the fixed text (the input when nothing was kept)
    findings: tuple[Finding, ...]  # of ``text``
    applied: tuple[str, ...] = ()  # names of the fixes kept
    fixed: tuple[Finding, ...] = ()  # the finding each kept fix was applied to (positions in the input text)
    rejected: dict[str, str] = field(default_factory=dict)  # fix name -> why it was not kept
    tried: bool = False  # some fix matched a finding

    @property
    def changed(self) -> bool:
        return bool(self.applied)


Check = Callable[[str], Sequence[Finding]]
Guard = Callable[[str, str], str | None]  # (before, after) -> why the after breaks the before, or None


def _keys(findings: Sequence[Finding]) -> Counter:
    return Counter((f.analyzer, f.rule_id) for f in findings)


def _shift(finding: Finding, doc: Document, edits: Sequence[Edit]) -> Finding:
    """``finding`` moved by the lines ``edits`` add or remove above its line."""
    at = doc.line_offset(finding.line)
    delta = sum(e.new.count("\n") - doc.text[e.start:e.end].count("\n") for e in edits if e.end <= at)
    return finding.moved(delta) if delta else finding


def propose(text: str, findings: Sequence[Finding], *, context: str = "",
            only: Callable[[Fix], bool] | None = None) -> tuple[str, list[tuple[str, Finding]], dict[str, str]]:
    """Every matching fix applied in turn, bottom-up, without judging them.

    Returns (text, (fix name, the finding it was applied to, as given) for each applied, errors by fix name).
    """
    applied: list[tuple[str, Finding]] = []
    errors: dict[str, str] = {}
    pending = [(f, f) for f in sorted(findings, key=lambda f: (f.line, f.range.start.column), reverse=True)]
    while pending:
        original, finding = pending.pop(0)
        doc = Document(text, context=context)
        if doc.tree is None:
            break
        for fix in fixes_for(finding.rule_id):
            if only is not None and not only(fix):
                continue
            try:
                edits = fix.apply(doc, finding)
                if not edits:
                    continue
                new = apply_edits(text, edits)
            except (ValueError, KeyError, IndexError, AttributeError, TypeError) as exc:  # a fix's bug: skip it
                errors[fix.name] = f"{type(exc).__name__}: {exc}"
                continue
            if new == text:
                continue
            text = new
            applied.append((fix.name, original))
            pending = [(o, _shift(f, doc, edits)) for o, f in pending]
            break
    return text, applied, errors


def mechanical_fix(text: str, findings: Sequence[Finding], *, check: Check, policy: SeverityPolicy,
                   guard: Guard | None = None, context: str = "", language: str = "python",
                   targets: Sequence[Finding] | None = None) -> FixOutcome:
    """Fix ``targets`` (default: the blocking ``findings``) of ``text`` where a fix exists.

    ``findings`` are all of ``text``'s findings; ``check`` analyzes a candidate text the same way.
    """
    targets = policy.blocking(findings) if targets is None else list(targets)
    unchanged = FixOutcome(text=text, findings=tuple(findings))
    if language not in LANGUAGES or not targets or not any(fixes_for(f.rule_id) for f in targets):
        return unchanged
    new, applied, errors = propose(text, targets, context=context)
    if not applied:
        return FixOutcome(text=text, findings=tuple(findings), rejected=errors, tried=True)
    wanted = _keys(targets)
    verdict = _judge(text, findings, new, check, wanted, guard, policy)
    if isinstance(verdict, tuple):
        return FixOutcome(text=new, findings=verdict, applied=tuple(n for n, _ in applied),
                          fixed=tuple(f for _, f in applied), rejected=errors, tried=True)
    # Together they fail: keep each fix that passes on its own, one after another.
    rejected = dict(errors)
    current, current_findings, kept = text, tuple(findings), []
    for name, target in applied:  # bottom-up: the findings above a target have not moved among their kind
        moved = _same_finding(target, findings, current_findings)
        if moved is None:
            continue
        candidate, done, _ = propose(current, [moved], context=context, only=lambda fix, name=name: fix.name == name)
        if not done:
            continue
        verdict = _judge(current, current_findings, candidate, check, wanted, guard, policy)
        if isinstance(verdict, tuple):
            current, current_findings = candidate, verdict
            kept.append((name, target))
        else:
            rejected[name] = verdict
    return FixOutcome(text=current, findings=current_findings, applied=tuple(n for n, _ in kept),
                      fixed=tuple(f for _, f in kept), rejected=rejected, tried=True)


def _same_finding(target: Finding, originally: Sequence[Finding], now: Sequence[Finding]) -> Finding | None:
    """``target`` (one of ``originally``) among ``now``: the same rule, the same rank from the top among its kind."""
    def kind(findings):
        return sorted((f for f in findings if _keys([f]) == _keys([target])), key=lambda f: (f.line, f.range.start.column))
    before = kind(originally)
    rank = next((i for i, f in enumerate(before) if f is target or f == target), None)
    after = kind(now)
    return after[rank] if rank is not None and rank < len(after) else None


def _judge(before: str, before_findings: Sequence[Finding], after: str, check: Check, wanted: Counter,
           guard: Guard | None, policy: SeverityPolicy) -> tuple[Finding, ...] | str:
    """The findings of ``after`` when it is a good fix of ``before``; else why not."""
    if guard is not None and (why := guard(before, after)):
        return f"guard: {why}"
    found = tuple(check(after))
    added = _keys(policy.blocking(found)) - _keys(policy.blocking(before_findings))
    if added:
        return "adds " + ", ".join(sorted(rule for _, rule in added))
    removed = _keys(before_findings) - _keys(found)
    if not any(key in wanted for key in removed):
        return "removes none of the findings it targets"
    return found


__all__ = ["Document", "Edit", "Example", "Fix", "FixOutcome", "MODULES", "all_fixes", "fixes_for",
           "mechanical_fix", "propose"]
