"""What a rule is, once read: the values :mod:`secgen.analyzers.dataflow.loader` builds from the YAML files.

Frozen, keyword-only dataclasses for the parts of a rule (sinks, sanitizers,
guards, requirements, conditions, pattern matchers), the category that holds
them, the source kinds, and the :class:`RuleSet` the engine runs; and
:class:`NamePatterns`, the matcher for qualified-name patterns (exact names,
``*.method``, ``module.*``, other globs), with a small per-pattern cache since
the engine asks about the same names over and over. The format these come
from is described in ``analyzers/dataflow/rules/README.md``.
"""

from __future__ import annotations

import ast
import fnmatch
import functools
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from secgen.analyzers.dataflow import predicates
from secgen.analyzers.finding import Confidence, Severity


class NamePatterns:
    """Name patterns, matched fast: exact names, ``*.method``, ``module.*``, other globs."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns = tuple(patterns)
        self.exact = frozenset(p for p in self.patterns if "*" not in p and "?" not in p and "[" not in p)
        self.methods = frozenset(p[2:] for p in self.patterns if p.startswith("*.") and "*" not in p[2:])
        self.prefixes = tuple(p[:-1] for p in self.patterns if p.endswith(".*") and "*" not in p[:-2])
        rest = [p for p in self.patterns if p not in self.exact and p[2:] not in self.methods and p[:-1] not in self.prefixes]
        self.globs = re.compile("|".join(fnmatch.translate(p) for p in rest)) if rest else None
        self.cache: dict[str, bool] = {}

    def match(self, name: str | None) -> bool:
        if not name:
            return False
        cached = self.cache.get(name)
        if cached is None:
            if len(self.cache) > 8192:
                self.cache.clear()
            cached = self.cache[name] = self._match(name)
        return cached

    def _match(self, name: str) -> bool:
        if name in self.exact or name.startswith(self.prefixes or "\0"):
            return True
        if self.methods and "." in name and name.rsplit(".", 1)[1] in self.methods:
            return True
        return bool(self.globs and self.globs.match(name))

    def __bool__(self) -> bool:
        return bool(self.patterns)

    def __repr__(self) -> str:
        return f"NamePatterns({list(self.patterns)!r})"


@dataclass(frozen=True, kw_only=True)
class Condition:
    """A test on one value of a call: ``{arg: 1, keyword: mode, mask: 0o002}``."""

    arg: int | None = None
    keyword: str | None = None
    checks: dict[str, Any] = field(default_factory=dict)

    def locate(self, call) -> Any:
        if self.keyword is not None:
            for kw in call.keywords:
                if kw.arg == self.keyword:
                    return kw.value
        if self.arg is not None and self.arg < len(call.args):
            if not any(isinstance(a, ast.Starred) for a in call.args[: self.arg + 1]):
                return call.args[self.arg]
        return None

    def holds(self, call, lookup) -> bool:
        return predicates.check(self.checks, self.locate(call), lookup)


@dataclass(frozen=True, kw_only=True)
class Requirement:
    shape: str | None = None
    prefix: re.Pattern | None = None
    prefix_not: re.Pattern | None = None
    text: re.Pattern | None = None
    flag: str | None = None

    def met(self, taint) -> bool:
        if self.shape == "built" and taint.prefix is None:
            return False
        prefix = taint.prefix or ""
        if self.shape == "joined" and not prefix.strip():
            return False
        if self.prefix is not None and not self.prefix.fullmatch(prefix):
            return False
        if self.prefix_not is not None and self.prefix_not.fullmatch(prefix):
            return False
        if self.text is not None and not self.text.search(taint.text):
            return False
        return self.flag is None or self.flag in taint.flags


@dataclass(frozen=True, kw_only=True)
class Sink:
    calls: NamePatterns | None = None
    exclude: NamePatterns | None = None
    args: tuple[int | str, ...] = ()
    keywords: tuple[str, ...] = ()
    returns: str | None = None  # "handler" | "any"
    when: tuple[Condition, ...] = ()
    unless: tuple[Condition, ...] = ()
    require: Requirement | None = None
    list_head: bool = False
    printf: bool = False  # the first argument is a %-format of the others (logging): read the call as fmt % args
    receiver: re.Pattern | None = None
    parameters: bool = True
    skip_json: bool = False  # a handler's return the framework sends as JSON (a dict or list) is no sink
    message: str | None = None


@dataclass(frozen=True, kw_only=True)
class Sanitizer:
    """Calls whose result is clean for the rule's category; ``where`` conditions narrow it (``*.replace("\\n", "")``)."""

    calls: NamePatterns
    where: tuple[Condition, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ParameterPolicy:
    enabled: bool = True
    require: Requirement | None = None
    severity: Severity | None = None
    confidence: Confidence | None = None


@dataclass(frozen=True, kw_only=True)
class Guard:
    kind: str
    requires: str | None = None
    values: tuple[str, ...] = ()
    literal: re.Pattern | None = None
    names: re.Pattern | None = None


@dataclass(frozen=True, kw_only=True)
class Matcher:
    calls: NamePatterns | None = None
    exclude: NamePatterns | None = None
    where: tuple[Condition, ...] = ()
    assign: tuple[str | None, str, str | None] | None = None  # receiver pattern, attribute, subscript key
    owner: NamePatterns | None = None  # what the assigned object's qualified name must match (app, flask.Flask)
    value: dict[str, Any] | None = None
    binding: re.Pattern | None = None
    binding_exclude: re.Pattern | None = None
    string: re.Pattern | None = None


@dataclass(frozen=True, kw_only=True)
class Rule:
    category: str
    cwe: int
    name: str
    kind: str
    severity: Severity
    confidence: Confidence
    message: str
    file: str
    examples_vulnerable: tuple[str, ...] = ()
    examples_fixed: tuple[str, ...] = ()
    sources: frozenset[str] = frozenset()
    parameters: ParameterPolicy = ParameterPolicy()
    sinks: tuple[Sink, ...] = ()
    sanitizers: tuple[Sanitizer, ...] = ()
    guards: tuple[Guard, ...] = ()
    matchers: tuple[Matcher, ...] = ()
    unless_imports: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Category:
    id: str
    cwe: int
    title: str
    file: str
    rules: tuple[Rule, ...]
    note: str = ""
    defer_to: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class SourceKind:
    name: str
    label: str = ""
    confidence: Confidence | None = None  # caps the confidence of findings from this kind
    severity: Severity | None = None  # caps their severity (local sources that should not block)
    calls: NamePatterns | None = None
    roots: tuple[str, ...] = ()
    names: re.Pattern | None = None
    exclude: re.Pattern | None = None
    exception_variables: bool = False
    parameters: bool = False
    handler_parameters: bool = False
    request_parameters: tuple[str, ...] = ()
    request_annotations: tuple[str, ...] = ()
    safe_attributes: frozenset[str] = frozenset()


@dataclass(frozen=True, kw_only=True, eq=False)  # identity: the engine caches its index per rule set
class RuleSet:
    categories: tuple[Category, ...]
    source_kinds: dict[str, SourceKind]
    flags: dict[str, NamePatterns]
    propagators: NamePatterns
    path_joiners: NamePatterns
    cleaners: NamePatterns
    clean_methods: frozenset[str]
    mutators: frozenset[str]
    noreturn: NamePatterns
    handler_decorators: NamePatterns
    typed_path_parameter: re.Pattern | None
    trusted_names: frozenset[str]
    trusted_annotations: frozenset[str]
    trusted_annotation_pattern: re.Pattern | None

    @functools.cached_property
    def rules(self) -> tuple[Rule, ...]:
        return tuple(rule for category in self.categories for rule in category.rules)

    @functools.cached_property
    def flow_rules(self) -> tuple[Rule, ...]:
        return tuple(rule for rule in self.rules if rule.kind == "flow")

    @functools.cached_property
    def pattern_rules(self) -> tuple[Rule, ...]:
        return tuple(rule for rule in self.rules if rule.kind == "pattern")

    @functools.cached_property
    def used_kinds(self) -> frozenset[str]:
        return frozenset(kind for rule in self.flow_rules for kind in rule.sources)

    def category(self, name: str) -> Category:
        return next(c for c in self.categories if c.id == name)
