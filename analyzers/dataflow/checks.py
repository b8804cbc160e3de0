"""Sinks, summaries and pattern rules: where the scope walker reports findings.

:class:`Checks` (a mixin of the scope walker) holds what happens at a call or
a ``return`` once its values' taints are known:

* :meth:`Checks.check_sinks` matches the call against the flow rules' sinks
  (name, ``exclude``, ``receiver``, ``when``/``unless`` conditions), picks
  the values that matter (``args``, ``keywords``, ``list_head``), and
  :meth:`Checks.flow` reports the strongest taint the rule accepts: the
  rule's sources, not cleared for its category, the sink's ``require`` and,
  for parameter sources, the rule's ``parameters`` policy. A trusted
  parameter's taint is not reported; it is recorded in the function's
  summary, and checked again at each call of the function;
* :meth:`Checks.apply_summary` passes a call's argument taints through a
  same-file function's summary (composing what the function did to them)
  and reports arguments that reach a sink inside it, located at that sink
  (where the fix belongs) and naming the caller's source;
* the pattern rules' matchers: calls, assignments, bindings, string literals.

Severity and confidence come from the rule, lowered for parameter sources
(``parameters.severity`` / ``confidence``, at most medium confidence) and
capped by the source kind (``environment`` and ``argv`` never block).
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass, field

from secgen.analyzers.dataflow import predicates
from secgen.analyzers.finding import Confidence, Severity
from secgen.analyzers.dataflow.ruleset import NamePatterns, Rule, Sink
from secgen.analyzers.dataflow.values import EMPTY, Taint, compose, walk


@dataclass(frozen=True, kw_only=True)
class RawFinding:
    rule: Rule
    node: ast.AST
    message: str
    severity: Severity
    confidence: Confidence
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class ParamSink:
    """A parameter's taint reaching a sink inside a function (reported where a caller passes it data)."""

    index: int
    rule: Rule
    sink: Sink
    label: str
    taint: Taint
    node: ast.AST  # the sink: findings are located there, where the fix belongs
    var: str  # the variable at the sink


@dataclass(frozen=True, kw_only=True)
class Summary:
    name: str
    params: tuple[str, ...]
    offset: int  # 1 for a method called through self/cls
    returns: frozenset[Taint]
    sinks: tuple[ParamSink, ...]


class Checks:
    """Sink, summary and pattern checks; needs the scope walker's ``env``, ``fa``, ``ix``, ``quiet``..."""

    def check_sinks(self, node: ast.Call, name: str, entries, receiver, args, keywords) -> None:
        if self.quiet:
            return
        label = f"{self.text(node.func, 40)}()"
        for rule, sink in entries:
            if sink.exclude is not None and sink.exclude.match(name):
                continue
            if sink.receiver is not None:
                owner = node.func.value if isinstance(node.func, ast.Attribute) else None
                if owner is None or not sink.receiver.search(self.text(owner)):
                    continue
            if sink.when and not all(c.holds(node, self) for c in sink.when):
                continue
            if sink.unless and any(c.holds(node, self) for c in sink.unless):
                continue
            for arg_node, taints in self.sink_values(node, sink, receiver, args, keywords):
                if taints:
                    self.flow(rule, sink, node, arg_node, taints, label)

    def sink_values(self, node: ast.Call, sink: Sink, receiver, args, keywords):
        def head(arg: ast.expr, taints):
            if sink.list_head and isinstance(arg, (ast.List, ast.Tuple)):
                return self.quiet_ev(arg.elts[0]) if arg.elts else EMPTY
            return taints

        starred = next((i for i, a in enumerate(node.args) if isinstance(a, ast.Starred)), len(node.args))
        if sink.printf and node.args and starred > 1:
            fmt = self.literal(node.args[0])
            if fmt is not None:  # logger.info("user %r", name): the message is fmt % args
                rest = ast.Tuple(elts=list(node.args[1:]), ctx=ast.Load())
                yield rest, self.quiet_printf(fmt, rest)
                return
        for position in sink.args:
            if position == "receiver":
                if isinstance(node.func, ast.Attribute):
                    yield node.func.value, receiver
            elif position == "all":
                yield from zip(node.args, args)
            elif position < len(node.args) and position <= starred:
                yield node.args[position], head(node.args[position], args[position])
        for kw in node.keywords:
            if kw.arg in sink.keywords:
                yield kw.value, head(kw.value, keywords.get(kw.arg, EMPTY))

    def flow(self, rule: Rule, sink: Sink, node: ast.AST, arg_node: ast.expr, taints, label: str,
             summarize: bool = True, var: str | None = None) -> None:
        """Report the strongest taint in ``taints`` that ``rule`` accepts at this sink.

        ``var`` names the variable when the sink is inside a called function (``arg_node`` is then the
        argument at the call, whose variables are not the sink's).
        """
        best = None
        for t in sorted(taints, key=_order):  # set order differs between processes; findings must not
            if rule.category in t.cleared or t.kind not in rule.sources:
                continue
            if t.trusted:
                if t.param >= 0 and summarize:
                    self.param_sinks.append(ParamSink(
                        index=t.param, rule=rule, sink=sink, label=label, taint=t, node=node,
                        var=var or self.var_name(arg_node, rule.category, t)))
                continue
            if t.kind == self.ix.parameter_kind:
                policy = rule.parameters
                if not policy.enabled or not sink.parameters or (policy.require and not policy.require.met(t)):
                    continue
            if sink.require is not None and not sink.require.met(t):
                continue
            if best is None or _strength(t, self) > _strength(best, self):
                best, ties = t, [t]
            elif _strength(t, self) == _strength(best, self):
                ties.append(t)
        if best is not None:
            if len(ties) > 1:  # the one whose variable comes first in the code, not the first in set order
                best = min(ties, key=lambda t: self.carrier(arg_node, rule.category, t)[0])
            self.report(rule, sink, node, arg_node, best, label, var)

    def quiet_printf(self, fmt: str, args: ast.expr):
        saved, self.quiet = self.quiet, True
        try:
            return self.printf(fmt, args)
        finally:
            self.quiet = saved

    def report(self, rule: Rule, sink: Sink, node: ast.AST, arg_node: ast.expr, t: Taint, label: str,
               var: str | None = None) -> None:
        severity, confidence = rule.severity, rule.confidence
        if t.kind == self.ix.parameter_kind:
            severity = rule.parameters.severity or severity
            confidence = rule.parameters.confidence or min(confidence, Confidence.MEDIUM)
        kind = self.rules.source_kinds[t.kind]
        if kind.confidence is not None:
            confidence = min(confidence, kind.confidence)
        if kind.severity is not None:
            severity = min(severity, kind.severity)
        var = var or self.var_name(arg_node, rule.category, t)
        message = (sink.message or rule.message).format(var=var, sink=label, source=t.label)
        self.fa.emit(RawFinding(rule=rule, node=node, message=message, severity=severity, confidence=confidence,
                                extra={"rule": rule.name, "source": t.label, "source_kind": t.kind, "sink": label,
                                       "variable": var}))

    def var_name(self, node: ast.expr | None, category: str, reported: Taint) -> str:
        """The variable in ``node`` that carries the reported taint (else any tainted one, else the text)."""
        if node is None:
            return "value"
        return self.carrier(node, category, reported)[1] or self.text(node, 40)

    def carrier(self, node: ast.expr | None, category: str, reported: Taint) -> tuple[int, str | None]:
        """(position in ``node``'s walk, name) of the first variable carrying ``reported``, else of the first
        tainted one (position after all the others), else (a large number, None)."""
        fallback: tuple[int, str | None] = (1 << 30, None)
        for position, sub in enumerate(walk(node) if node is not None else ()):
            if isinstance(sub, (ast.Name, ast.Attribute)):
                key = self.key(sub)
                found = self.env.taint.get(key) if key in self.env.taint else (
                    self.quiet_ev(sub) if isinstance(sub, ast.Attribute) and key else ())
                taints = [t for t in found if category not in t.cleared] if key else []
                if any(t.kind == reported.kind and t.label == reported.label for t in taints):
                    return position, key
                if taints and fallback[1] is None:
                    fallback = ((1 << 29) + position, key)
        return fallback

    def local_summary(self, func: ast.expr) -> Summary | None:
        key = self.fa.function_key(func, self.info)
        return self.fa.summaries.get(key) if key else None

    def apply_summary(self, node: ast.Call, summary: Summary, args, keywords) -> frozenset[Taint]:
        mapping: dict[int, tuple[ast.expr, frozenset[Taint]]] = {}
        for i, (arg, taints) in enumerate(zip(node.args, args)):
            if isinstance(arg, ast.Starred):
                break
            mapping[i + summary.offset] = (arg, taints)
        for kw in node.keywords:
            if kw.arg in summary.params:
                mapping[summary.params.index(kw.arg)] = (kw.value, keywords.get(kw.arg, EMPTY))
        result: set[Taint] = set()
        for r in summary.returns:
            if r.param < 0:
                result.add(r)
            elif r.param in mapping:
                result.update(compose(a, r) for a in mapping[r.param][1])
        if not self.quiet:
            for ps in summary.sinks:
                if ps.index in mapping:
                    arg_node, taints = mapping[ps.index]
                    composed = frozenset(compose(a, ps.taint) for a in taints)
                    if composed:
                        self.flow(ps.rule, ps.sink, ps.node, arg_node, composed, ps.label, var=ps.var)
        return frozenset(result)

    def check_call_patterns(self, node: ast.Call, name: str | None) -> None:
        if self.quiet:
            return
        for rule, matcher in self.ix.call_patterns.find(name):
            if matcher.exclude is not None and matcher.exclude.match(name):
                continue
            if rule.unless_imports and self.fa.imports_any(rule.unless_imports):
                continue
            if all(c.holds(node, self) for c in matcher.where):
                self.report_pattern(rule, node, sink=f"{self.text(node.func, 40)}()")

    def check_assign(self, target: ast.expr, value: ast.expr | None) -> None:
        if self.quiet or value is None or not self.ix.assign_patterns:
            return
        key = None
        if isinstance(target, ast.Subscript):
            key = self.literal(target.slice)
            target = target.value
        if not isinstance(target, ast.Attribute):
            return
        for rule, matcher in self.ix.assign_patterns:
            owner, attr, want_key = matcher.assign
            if attr != target.attr or want_key != key:
                continue
            owner_name = self.qualname(target.value)
            if owner not in (None, "*") and not _patterns(owner).match(owner_name):
                continue
            if matcher.owner is not None and not matcher.owner.match(owner_name):
                continue
            if rule.unless_imports and self.fa.imports_any(rule.unless_imports):
                continue
            if matcher.value is None or predicates.check(matcher.value, value, self):
                self.report_pattern(rule, self.stmt_node or target, target=self.text(target, 40))

    def check_binding(self, name: str, value: ast.expr, where: ast.AST) -> None:
        if self.quiet:
            return
        for rule, matcher in self.ix.binding_patterns:
            if not matcher.binding.search(name) or (matcher.binding_exclude and matcher.binding_exclude.search(name)):
                continue
            if matcher.value is None or predicates.check(matcher.value, value, self):
                self.report_pattern(rule, where, name=name)

    def check_string(self, node: ast.Constant) -> None:
        if self.quiet:
            return
        for rule, matcher in self.ix.string_patterns:
            if matcher.string.search(node.value):
                self.report_pattern(rule, node, name=self.text(node, 40))

    def report_pattern(self, rule: Rule, node: ast.AST, **fields) -> None:
        values = {"sink": "", "target": "", "name": "", **fields}
        self.fa.emit(RawFinding(rule=rule, node=node, message=rule.message.format(**values), severity=rule.severity,
                                confidence=rule.confidence, extra={"rule": rule.name}))


@functools.lru_cache(maxsize=64)
def _patterns(pattern: str) -> NamePatterns:
    return NamePatterns([pattern])


def _order(t: Taint) -> tuple:
    """A fixed order of taints: parameters first, in their order, then by source."""
    return (t.param < 0, t.param, t.kind, t.label, t.prefix or "", t.text)


def _strength(t: Taint, scope) -> tuple[int, int]:
    cap = scope.rules.source_kinds[t.kind].confidence
    return (t.kind != scope.ix.parameter_kind, int(cap) if cap is not None else 3)
