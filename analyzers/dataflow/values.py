"""Taint values, the per-scope environment, and the rule index the engine looks names up in.

A :class:`Taint` is one reason a value is dangerous: the kind of source it
came from (``request``, ``parameter``, ``sensitive``...), a label for the
message (``request.args``, ``parameter `name```), which of the function's own
parameters it came from (for summaries), and what happened to it on the way:

* its *shape*: ``prefix`` is the text before the tainted part when the value
  was built into a larger string or path (``None``: never built; literal
  parts read as themselves, other parts as ``{}``), ``text`` the literal
  text it was built with (``SELECT * FROM t WHERE id = ``), so a rule can ask
  for ``joined`` (``os.path.join(BASE, name)``) or for SQL around it;
* ``flags`` added by calls the rules name (``resolved`` by
  ``os.path.realpath``, ``object`` by ``json.loads``);
* ``cleared``: the categories a sanitizer or a guard made it safe for.

A value's taint is a frozenset of these; the empty set is clean. The
:class:`Env` maps variable names (and dotted names such as ``self.path``) to
taints, remembers which variables a variable was computed from (a guard on
``parsed.hostname`` clears ``url`` too), and the expression last assigned to
each name (constant folding, constructor types, ``made_by``).

:class:`RuleIndex` turns a :class:`~secgen.analyzers.dataflow.loader.RuleSet` into the
dictionaries the engine consults on every call: sinks, sanitizers, flags,
source calls and roots, pattern matchers and guards. It is built once per
rule set.
"""

from __future__ import annotations

import ast
import functools
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any, Iterable

from secgen.analyzers.dataflow.ruleset import Guard, Matcher, NamePatterns, Rule, RuleSet, Sink

TEXT_LIMIT = 300


_AST = ast.AST


def walk(node: ast.AST) -> list[ast.AST]:
    """``node`` and everything under it, in ``ast.walk``'s breadth-first order, as a list.

    ``ast.walk`` is built from generators and costs about twice as much; the engine walks every tree
    and many subtrees per suggestion, on the per-keystroke path.
    """
    found = [node]
    index = 0
    while index < len(found):
        current = found[index]
        index += 1
        for name in current._fields:
            value = getattr(current, name, None)
            if value.__class__ is list:  # ast's lists are plain lists
                for item in value:
                    if isinstance(item, _AST):
                        found.append(item)
            elif isinstance(value, _AST):
                found.append(value)
    return found


@dataclass(frozen=True, slots=True)
class Taint:
    kind: str
    label: str
    param: int = -1
    trusted: bool = False
    prefix: str | None = None
    text: str = ""
    flags: frozenset[str] = frozenset()
    cleared: frozenset[str] = frozenset()


Taints = frozenset  # of Taint
EMPTY: frozenset[Taint] = frozenset()


def union(values: Iterable[frozenset[Taint]]) -> frozenset[Taint]:
    out: set[Taint] = set()
    for value in values:
        out |= value
    return frozenset(out)


def with_cleared(taints: frozenset[Taint], categories: frozenset[str]) -> frozenset[Taint]:
    return frozenset(t if categories <= t.cleared else replace(t, cleared=t.cleared | categories) for t in taints)


def with_flags(taints: frozenset[Taint], flags: frozenset[str]) -> frozenset[Taint]:
    return frozenset(t if flags <= t.flags else replace(t, flags=t.flags | flags) for t in taints)


def compose(outer: Taint, inner: Taint) -> Taint:
    """``outer`` (an argument's taint) after what a callee did to its parameter (``inner``)."""
    prefix = outer.prefix if inner.prefix is None else inner.prefix + (outer.prefix or "")
    return replace(outer, prefix=prefix, text=(inner.text + outer.text)[:TEXT_LIMIT],
                   flags=outer.flags | inner.flags, cleared=outer.cleared | inner.cleared)


class Part:
    """One piece of a string being built: literal text, or a value (tainted or not)."""

    __slots__ = ("text", "taints")

    def __init__(self, text: str, taints: frozenset[Taint] | None = None) -> None:
        self.text, self.taints = text, taints


def build(parts: list[Part]) -> frozenset[Taint]:
    """The taint of a string built from ``parts``: each tainted part learns the text before it."""
    literal = "".join(p.text for p in parts if p.taints is None)
    out: set[Taint] = set()
    before = ""
    for part in parts:
        if part.taints is None:
            before += part.text
            continue
        for t in part.taints:
            out.add(replace(t, prefix=before + (t.prefix or ""), text=(t.text + literal)[:TEXT_LIMIT]))
        before += part.text
    return frozenset(out)


class Env:
    """Variable -> taint, variable -> the variables it came from, variable -> last assigned expression."""

    __slots__ = ("taint", "parents", "values")

    def __init__(self, taint=None, parents=None, values=None) -> None:
        self.taint: dict[str, frozenset[Taint]] = taint if taint is not None else {}
        self.parents: dict[str, frozenset[str]] = parents if parents is not None else {}
        self.values: dict[str, ast.expr | None] = values if values is not None else {}

    def copy(self) -> "Env":
        return Env(dict(self.taint), dict(self.parents), dict(self.values))

    @staticmethod
    def merge(*envs: "Env") -> "Env":
        """Where control flow joins: a variable is tainted if it is on any path."""
        if len(envs) == 1:
            return envs[0].copy()
        taint: dict[str, frozenset[Taint]] = {}
        parents: dict[str, frozenset[str]] = {}
        for env in envs:
            for key, value in env.taint.items():
                taint[key] = taint.get(key, EMPTY) | value
            for key, value in env.parents.items():
                parents[key] = parents.get(key, frozenset()) | value
        values: dict[str, ast.expr | None] = {}
        for key in set().union(*(env.values for env in envs)):
            seen = {id(env.values.get(key)) for env in envs}
            values[key] = envs[0].values.get(key) if len(seen) == 1 else None
        return Env(taint, parents, values)

    def ancestors(self, key: str, limit: int = 8) -> set[str]:
        found: set[str] = set()
        todo = [key]
        while todo and len(found) < limit:
            for parent in self.parents.get(todo.pop(), ()):
                if parent not in found:
                    found.add(parent)
                    todo.append(parent)
        return found


class NameIndex:
    """Name patterns -> items, looked up by a qualified name in a few dict probes."""

    def __init__(self) -> None:
        self.exact: dict[str, list] = defaultdict(list)
        self.methods: dict[str, list] = defaultdict(list)
        self.others: list[tuple[NamePatterns, Any]] = []
        self.cache: dict[str, list] = {}

    def add(self, patterns: NamePatterns | None, item: Any) -> None:
        if patterns is None:
            return
        rest = []
        for pattern in patterns.patterns:
            if pattern in patterns.exact:
                self.exact[pattern].append(item)
            elif pattern.startswith("*.") and pattern[2:] in patterns.methods:
                self.methods[pattern[2:]].append(item)
            else:
                rest.append(pattern)
        if rest:
            self.others.append((NamePatterns(rest), item))

    def find(self, name: str | None) -> list:
        if not name:
            return []
        cached = self.cache.get(name)
        if cached is not None:
            return cached
        if len(self.cache) > 8192:
            self.cache.clear()
        found = self.cache[name] = self._find(name)
        return found

    def _find(self, name: str) -> list:
        found = list(self.exact.get(name, ()))
        if "." in name:
            found.extend(self.methods.get(name.rsplit(".", 1)[1], ()))
        for patterns, item in self.others:
            if patterns.match(name):
                found.append(item)
        return found


@dataclass(eq=False)
class RuleIndex:
    rules: RuleSet
    sinks: NameIndex = field(default_factory=NameIndex)
    return_sinks: list[tuple[Rule, Sink]] = field(default_factory=list)
    sanitizers: NameIndex = field(default_factory=NameIndex)
    flags: NameIndex = field(default_factory=NameIndex)
    source_calls: NameIndex = field(default_factory=NameIndex)
    roots: list[tuple[str, str]] = field(default_factory=list)
    call_patterns: NameIndex = field(default_factory=NameIndex)
    assign_patterns: list[tuple[Rule, Matcher]] = field(default_factory=list)
    binding_patterns: list[tuple[Rule, Matcher]] = field(default_factory=list)
    string_patterns: list[tuple[Rule, Matcher]] = field(default_factory=list)
    guards: dict[str, list[tuple[str, Guard]]] = field(default_factory=lambda: defaultdict(list))
    named_kinds: list[str] = field(default_factory=list)
    exception_kinds: list[str] = field(default_factory=list)
    handler_kind: str | None = None
    request_kind: str | None = None
    parameter_kind: str | None = None


@functools.lru_cache(maxsize=8)
def rule_index(rules: RuleSet) -> RuleIndex:
    index = RuleIndex(rules)
    for rule in rules.flow_rules:
        for sink in rule.sinks:
            if sink.returns:
                index.return_sinks.append((rule, sink))
            else:
                index.sinks.add(sink.calls, (rule, sink))
        for sanitizer in rule.sanitizers:
            index.sanitizers.add(sanitizer.calls, (rule.category, sanitizer.where))
        for guard in rule.guards:
            index.guards[guard.kind].append((rule.category, guard))
    for rule in rules.pattern_rules:
        for matcher in rule.matchers:
            if matcher.calls is not None:
                index.call_patterns.add(matcher.calls, (rule, matcher))
            elif matcher.assign is not None:
                index.assign_patterns.append((rule, matcher))
            elif matcher.binding is not None:
                index.binding_patterns.append((rule, matcher))
            else:
                index.string_patterns.append((rule, matcher))
    for name, patterns in rules.flags.items():
        index.flags.add(patterns, name)
    for name in sorted(rules.used_kinds):
        kind = rules.source_kinds[name]
        index.source_calls.add(kind.calls, name)
        index.roots.extend((root, name) for root in kind.roots)
        if kind.names is not None:
            index.named_kinds.append(name)
        if kind.exception_variables:
            index.exception_kinds.append(name)
        if kind.handler_parameters:
            index.handler_kind = name
        if kind.request_parameters or kind.request_annotations:
            index.request_kind = name
        if kind.parameters:
            index.parameter_kind = name
    index.roots.sort(key=lambda item: -len(item[0]))
    return index
