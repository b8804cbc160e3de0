"""The data-flow analyzer's rules: YAML files read, checked and indexed.

The rules live in ``analyzers/dataflow/rules/``: one ``<category>.yaml`` per category
(its id is the file's name and every finding's ``rule_id``), plus
``_common.yaml``, which holds what no single category owns: the source kinds
(``request``, ``input``, ``argv``, ``environment``, ``parameter``,
``sensitive``, ``exception``), the default source set, the calls that pass
taint through (``str``, ``os.path.join``, ...), the calls that return a clean
value (``int``, ``len``, ...), the calls that never return (``abort``,
``sys.exit``), route decorators, and the parameter heuristics. The engine
(:mod:`secgen.analyzers.dataflow.taint`) knows mechanisms (propagation, guards, shapes,
conditions); the files say which names play which part.

A category file::

    id: path-injection            # = the file name; the findings' rule_id
    cwe: 22
    title: Uncontrolled data used in a path expression
    note: ...                     # optional: what Bandit already covers, and why this file differs
    defer_to: [bandit B108]       # optional: analyzers that already report the category's common shapes
    source_kinds: {...}           # optional: more source kinds (same shape as in _common.yaml)
    flags: {resolved: [os.path.realpath, "*.resolve"]}   # optional: calls that mark a value
    rules:
      - name: tainted-path        # unique in the file; tests and findings' extra name it
        kind: flow                # flow | pattern
        severity: high            # info | low | medium | high
        confidence: high          # low | medium | high
        message: "`{var}` (from {source}) reaches `{sink}` unchecked: ..."   # one sentence
        examples: {vulnerable: [..., ...], fixed: [..., ...]}               # >= 2 each
        # flow rules:
        sources: default          # default | [kind, ...] | {default: true, extra: [...], exclude: [...]}
        parameters: {require: {shape: joined}, confidence: medium}        # or: off
        sinks: [...]
        sanitizers: [werkzeug.utils.secure_filename, os.path.basename]   # or {call: [...], where: [...]}
        guards: [{kind: containment, requires: resolved}, {kind: denylist, values: [".."]}]
        # pattern rules:
        match: [...]
        unless_imports: [flask]   # optional: stay quiet when the file imports one of these

Names are qualified after the file's imports (``import subprocess as sp``;
``sp.run`` is ``subprocess.run``) and after a variable's constructor
(``s = requests.Session()``; ``s.get`` is ``requests.Session.get``). A name
pattern is exact (``os.system``), a method of any receiver (``*.execute``), a
module's members (``hashlib.*``), or any other shell-style glob.

A sink: ``call`` (name patterns), ``exclude`` (patterns), ``args`` (positions,
``receiver`` or ``all``), ``keywords``; or ``return: handler`` (the value a
route handler returns) / ``return: any``. Optional: ``when`` / ``unless``
(conditions on the call), ``require`` (what the tainted value must look
like), ``list_head`` (for a list literal, only its first item counts: the
program of an argument list), ``printf`` (the first argument is a %-format
of the rest, as in ``logging``: the call reads as ``fmt % args``, so ``%r``
and ``%d`` apply), ``receiver`` (a regex the receiver's text must match),
``parameters: false`` (parameter sources do not count here), ``skip_json``
(a returned dict or list display, which Flask and FastAPI send as JSON, is
no sink) and ``message`` (overrides the rule's).

A requirement (``require``, and ``parameters.require``): ``shape: built``
(combined into a larger string), ``shape: joined`` (appended after other
content: ``os.path.join(BASE, name)``, ``f"{BASE}/{name}"``), ``prefix`` /
``prefix_not`` (a regex that the text before the tainted part must / must
not fully match; non-literal parts read ``{}``), ``text`` (a regex searched
in the literal text it was built with), ``flag`` (a flag the value carries).

A condition: ``arg`` and/or ``keyword`` locate a value of the call (the
keyword wins when both are given), the other keys are tests from
:mod:`secgen.analyzers.dataflow.predicates`. A pattern matcher: ``call`` + ``where``
(conditions) + ``exclude``; ``assign`` (a target pattern: ``*.verify``,
``*.config[DEBUG]``) + ``value`` (tests) + ``owner`` (patterns the assigned
object's name must match); ``binding`` (``names`` regex,
``exclude`` regex, ``value`` tests: assignments, keyword arguments and dict
keys named like that); ``string`` (a regex any string literal is searched
with).

A guard clears a variable for the categories whose rules list its kind:
``containment`` (``startswith`` a base, ``is_relative_to``, ``commonpath``,
``relative_to`` in a ``try``; option ``requires: <flag>``), ``allowlist``
(``x in ALLOWED``), ``equality`` (``x == CONST``), ``denylist`` (``".." in
x`` is false; option ``values``), ``prefix`` (``x.startswith("...")``,
option ``literal``: a regex the prefix must match), ``validator`` (a call
named like ``names`` returns true), ``charclass`` (``x.isalnum()``...),
``regex`` (an anchored ``re.fullmatch``/``re.match``), and ``empty`` (a name
or attribute is falsy, option ``names``: ``if parts.netloc: abort()``).

Every problem is a :class:`RuleError` naming the file and the place in it.
``analyzers/dataflow/rules/README.md`` describes the format at length, with examples.
"""

from __future__ import annotations

import functools
import re
import string
from pathlib import Path
from typing import Any

import yaml

from secgen.analyzers.dataflow import predicates
from secgen.analyzers.finding import Confidence, Severity
from secgen.analyzers.dataflow.ruleset import (
    Category, Condition, Guard, Matcher, NamePatterns, ParameterPolicy, Requirement, Rule, RuleSet, Sanitizer, Sink,
    SourceKind,
)

__all__ = ["RULES_DIR", "Category", "Condition", "Guard", "Matcher", "NamePatterns", "ParameterPolicy", "Requirement",
           "Rule", "RuleError", "RuleSet", "Sanitizer", "Sink", "SourceKind", "category_cwes", "default_rules",
           "load_rules"]

RULES_DIR = Path(__file__).with_name("rules")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's safe loader when PyYAML was built with it
COMMON = "_common.yaml"
SHAPES = ("built", "joined")
GUARD_KINDS = ("containment", "allowlist", "equality", "denylist", "prefix", "validator", "charclass", "regex", "empty",
               "scalar")
FLOW_FIELDS = frozenset({"var", "sink", "source"})
PATTERN_FIELDS = frozenset({"sink", "target", "name"})


class RuleError(ValueError):
    """A rule file is malformed; the message starts with the file's name."""


class _Reader:
    """Typed access to one YAML mapping, every error naming the file and the path inside it."""

    def __init__(self, file: str, where: str, data: Any) -> None:
        self.file, self.where = file, where
        if not isinstance(data, dict):
            self.fail(f"expected a mapping, got {type(data).__name__}")
        self.data = data

    def fail(self, message: str):
        place = f" {self.where}:" if self.where else ""
        raise RuleError(f"{self.file}:{place} {message}")

    def child(self, key: str, data: Any) -> "_Reader":
        return _Reader(self.file, f"{self.where}.{key}" if self.where else key, data)

    def known(self, *keys: str) -> None:
        unknown = sorted(set(self.data) - set(keys))
        if unknown:
            self.fail(f"unknown key(s) {', '.join(map(str, unknown))}; known: {', '.join(keys)}")

    def get(self, key: str, kind: type | tuple, default: Any = None, *, required: bool = False) -> Any:
        if key not in self.data:
            if required:
                self.fail(f"missing required key {key!r}")
            return default
        value = self.data[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            self.fail(f"{key!r} must be {names}, got {type(value).__name__}")
        return value

    def strings(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(f"{key!r} must be a list of strings")
        return tuple(value)

    def names(self, key: str) -> NamePatterns | None:
        values = self.strings(key)
        return NamePatterns(values) if values else None

    def regex(self, key: str) -> re.Pattern | None:
        value = self.get(key, str)
        if value is None:
            return None
        try:
            return re.compile(value)
        except re.error as exc:
            self.fail(f"{key!r} is not a valid regex: {exc}")

    def enum(self, key: str, parse, default=None):
        value = self.get(key, str, None)
        if value is None:
            if default is None:
                self.fail(f"missing required key {key!r}")
            return default
        try:
            return parse(value)
        except ValueError as exc:
            self.fail(f"{key!r}: {exc}")


def _int(reader: _Reader, key: str, value: Any) -> int:
    if isinstance(value, str):
        try:
            return int(value, 0)
        except ValueError:
            pass
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    reader.fail(f"{key!r} must be an integer (0o777 and 0x1ff are read as numbers)")


def _checks(reader: _Reader, data: dict, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    checks: dict[str, Any] = {}
    for key, operand in data.items():
        if key in skip:
            continue
        if key not in predicates.CHECKS:
            reader.fail(f"unknown test {key!r}; known: {', '.join(predicates.CHECKS)}")
        if key in ("int_below", "mask"):
            operand = _int(reader, key, operand)
        elif key in ("in", "not_in", "is"):
            if not isinstance(operand, list):
                reader.fail(f"{key!r} must be a list")
            if key == "is":
                operand = NamePatterns(operand)
            else:  # YAML 1.1 reads 0o777 as a string: numbers written in octal/hex/binary become ints
                operand = tuple(_int(reader, key, v) if isinstance(v, str) and re.fullmatch(r"0[oOxXbB][0-9a-fA-F_]+", v)
                                else v for v in operand)
        elif key == "matches":
            operand = reader.regex(key)
        elif key in ("nested_quantifier", "present", "not_literal"):
            if not isinstance(operand, bool):
                reader.fail(f"{key!r} must be true or false")
        elif key == "has_key":
            if not isinstance(operand, dict):
                reader.fail("'has_key' must map keys to tests")
            operand = {str(k): _checks(reader.child(f"has_key.{k}", v), v) for k, v in operand.items()}
        elif key == "item":
            sub = reader.child("item", operand)
            operand = (_int(sub, "index", sub.data.get("index", 0)), _checks(sub, sub.data, skip=("index",)))
        elif key == "made_by":
            sub = reader.child("made_by", operand)
            sub.known("call", "where")
            if not sub.strings("call"):
                sub.fail("'call' must name at least one constructor")
            operand = (NamePatterns(sub.strings("call")), _conditions(sub, "where"))
        checks[key] = operand
    return checks


def _conditions(reader: _Reader, key: str) -> tuple[Condition, ...]:
    value = reader.data.get(key, [])
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        reader.fail(f"{key!r} must be a list of conditions")
    conditions = []
    for index, item in enumerate(value):
        sub = reader.child(f"{key}[{index}]", item)
        arg = sub.get("arg", int)
        keyword = sub.get("keyword", str)
        checks = _checks(sub, sub.data, skip=("arg", "keyword"))
        if not checks:
            sub.fail("a condition needs at least one test")
        conditions.append(Condition(arg=arg, keyword=keyword, checks=checks))
    return tuple(conditions)


def _requirement(reader: _Reader) -> Requirement:
    reader.known("shape", "prefix", "prefix_not", "text", "flag")
    shape = reader.get("shape", str)
    if shape is not None and shape not in SHAPES:
        reader.fail(f"'shape' must be one of {', '.join(SHAPES)}")
    return Requirement(shape=shape, prefix=reader.regex("prefix"), prefix_not=reader.regex("prefix_not"),
                       text=reader.regex("text"), flag=reader.get("flag", str))


def _message(reader: _Reader, key: str, allowed: frozenset[str], *, required: bool = True) -> str | None:
    text = reader.get(key, str, required=required)
    if text is None:
        return None
    try:
        fields = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as exc:
        reader.fail(f"{key!r} is not a valid template: {exc}")
    if fields - allowed:
        unknown, known = ", ".join(sorted(fields - allowed)), ", ".join(sorted(allowed))
        reader.fail(f"{key!r} uses unknown field(s) {unknown}; known: {known}")
    body = re.sub(r"`[^`]*`", "``", text.strip())
    if not body.endswith(".") or re.search(r"[.!?]\s+[A-Z]", body):
        reader.fail(f"{key!r} must be one sentence ending with a period")
    return text.strip()


def _sink(reader: _Reader) -> Sink:
    reader.known("call", "exclude", "args", "keywords", "return", "when", "unless", "require", "list_head",
                 "printf", "receiver", "parameters", "skip_json", "message")
    returns = reader.get("return", str)
    calls = reader.names("call")
    if (returns is None) == (calls is None):
        reader.fail("a sink has either 'call' or 'return'")
    if returns not in (None, "handler", "any"):
        reader.fail("'return' must be handler or any")
    args = reader.data.get("args", [])
    if not isinstance(args, list) or not all(isinstance(a, int) or a in ("receiver", "all") for a in args):
        reader.fail("'args' must list positions, 'receiver' or 'all'")
    if calls is not None and not args and not reader.strings("keywords"):
        reader.fail("a call sink names the 'args' or 'keywords' that matter")
    require = reader.data.get("require")
    return Sink(
        calls=calls, exclude=reader.names("exclude"), args=tuple(args), keywords=reader.strings("keywords"),
        returns=returns, when=_conditions(reader, "when"), unless=_conditions(reader, "unless"),
        require=_requirement(reader.child("require", require)) if require is not None else None,
        list_head=reader.get("list_head", bool, False), printf=reader.get("printf", bool, False),
        receiver=reader.regex("receiver"), skip_json=reader.get("skip_json", bool, False),
        parameters=reader.get("parameters", bool, True), message=_message(reader, "message", FLOW_FIELDS, required=False),
    )


def _guard(reader: _Reader, item: Any) -> Guard:
    if isinstance(item, str):
        item = {"kind": item}
    sub = _Reader(reader.file, reader.where, item)
    sub.known("kind", "requires", "values", "literal", "names")
    kind = sub.get("kind", str, required=True)
    if kind not in GUARD_KINDS:
        sub.fail(f"unknown guard kind {kind!r}; known: {', '.join(GUARD_KINDS)}")
    if kind in ("validator", "empty") and "names" not in item:
        sub.fail("a validator guard needs 'names' (a regex)")
    return Guard(kind=kind, requires=sub.get("requires", str), values=sub.strings("values"),
                 literal=sub.regex("literal"), names=sub.regex("names"))


def _sanitizers(reader: _Reader) -> tuple[Sanitizer, ...]:
    """Names, or ``{call: [...], where: [...]}`` for a sanitizer that depends on its arguments."""
    items = reader.get("sanitizers", list, [])
    names = [i for i in items if isinstance(i, str)]
    out = [Sanitizer(calls=NamePatterns(names))] if names else []
    for index, item in enumerate(items):
        if isinstance(item, str):
            continue
        sub = reader.child(f"sanitizers[{index}]", item)
        sub.known("call", "where")
        if not sub.strings("call"):
            sub.fail("a sanitizer needs 'call'")
        out.append(Sanitizer(calls=NamePatterns(sub.strings("call")), where=_conditions(sub, "where")))
    return tuple(out)


def _parameters(reader: _Reader, value: Any) -> ParameterPolicy:
    if value is None:
        return ParameterPolicy()
    if value == "off" or value is False:
        return ParameterPolicy(enabled=False)
    sub = reader.child("parameters", value)
    sub.known("require", "severity", "confidence")
    require = sub.data.get("require")
    return ParameterPolicy(
        require=_requirement(sub.child("require", require)) if require is not None else None,
        severity=sub.enum("severity", Severity.parse, default=False) or None,
        confidence=sub.enum("confidence", Confidence.parse, default=False) or None,
    )


def _sources(reader: _Reader, value: Any, default: tuple[str, ...]) -> frozenset[str]:
    if value is None or value == "default":
        return frozenset(default)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return frozenset(value)
    sub = reader.child("sources", value)
    sub.known("default", "extra", "exclude")
    chosen = set(default) if sub.get("default", bool, True) else set()
    return frozenset((chosen | set(sub.strings("extra"))) - set(sub.strings("exclude")))


def _assign_target(reader: _Reader, text: str) -> tuple[str | None, str, str | None]:
    match = re.fullmatch(r"(?:(.+)\.)?(\w+)(?:\[(\w+)\])?", text)
    if not match:
        reader.fail(f"'assign' target {text!r} must read like '*.attr' or '*.attr[KEY]'")
    return match.group(1), match.group(2), match.group(3)


def _matcher(reader: _Reader) -> Matcher:
    reader.known("call", "exclude", "where", "assign", "owner", "value", "binding", "string")
    value = reader.data.get("value")
    checks = _checks(reader.child("value", value), value) if isinstance(value, dict) else None
    binding = reader.data.get("binding")
    binding_names = binding_exclude = None
    if binding is not None:
        sub = reader.child("binding", binding)
        sub.known("names", "exclude", "value")
        binding_names, binding_exclude = sub.regex("names"), sub.regex("exclude")
        if binding_names is None:
            sub.fail("'binding' needs 'names'")
        if isinstance(binding.get("value"), dict):
            checks = _checks(sub.child("value", binding["value"]), binding["value"])
    assign = reader.get("assign", str)
    matcher = Matcher(
        calls=reader.names("call"), exclude=reader.names("exclude"), where=_conditions(reader, "where"),
        assign=_assign_target(reader, assign) if assign else None, owner=reader.names("owner"), value=checks,
        binding=binding_names,
        binding_exclude=binding_exclude, string=reader.regex("string"),
    )
    if sum(x is not None for x in (matcher.calls, matcher.assign, matcher.binding, matcher.string)) != 1:
        reader.fail("a matcher has exactly one of 'call', 'assign', 'binding', 'string'")
    return matcher


def _examples(reader: _Reader) -> tuple[tuple[str, ...], tuple[str, ...]]:
    sub = reader.child("examples", reader.get("examples", dict, required=True))
    sub.known("vulnerable", "fixed")
    vulnerable, fixed = sub.strings("vulnerable"), sub.strings("fixed")
    if len(vulnerable) < 2 or len(fixed) < 2:
        sub.fail("needs at least 2 vulnerable and 2 fixed examples")
    return vulnerable, fixed


def _rule(reader: _Reader, category: str, cwe: int, default_sources: tuple[str, ...]) -> Rule:
    reader.known("name", "kind", "severity", "confidence", "message", "examples", "sources", "parameters", "sinks",
                 "sanitizers", "guards", "match", "unless_imports")
    kind = reader.get("kind", str, required=True)
    if kind not in ("flow", "pattern"):
        reader.fail("'kind' must be flow or pattern")
    vulnerable, fixed = _examples(reader)
    common = dict(
        category=category, cwe=cwe, name=reader.get("name", str, required=True), kind=kind,
        severity=reader.enum("severity", Severity.parse), confidence=reader.enum("confidence", Confidence.parse),
        message=_message(reader, "message", FLOW_FIELDS if kind == "flow" else PATTERN_FIELDS),
        file=reader.file, examples_vulnerable=vulnerable, examples_fixed=fixed,
        unless_imports=reader.strings("unless_imports"),
    )
    if kind == "flow":
        for key in ("match",):
            if key in reader.data:
                reader.fail(f"{key!r} belongs to pattern rules")
        sinks = reader.get("sinks", list, required=True)
        if not sinks:
            reader.fail("'sinks' is empty")
        guards = reader.get("guards", list, [])
        return Rule(
            **common, sources=_sources(reader, reader.data.get("sources"), default_sources),
            parameters=_parameters(reader, reader.data.get("parameters")),
            sinks=tuple(_sink(reader.child(f"sinks[{i}]", s)) for i, s in enumerate(sinks)),
            sanitizers=_sanitizers(reader),
            guards=tuple(_guard(reader.child(f"guards[{i}]", {}), g) for i, g in enumerate(guards)),
        )
    for key in ("sinks", "sources", "sanitizers", "guards", "parameters"):
        if key in reader.data:
            reader.fail(f"{key!r} belongs to flow rules")
    match = reader.get("match", list, required=True)
    if not match:
        reader.fail("'match' is empty")
    return Rule(**common, matchers=tuple(_matcher(reader.child(f"match[{i}]", m)) for i, m in enumerate(match)))


def _source_kind(reader: _Reader, name: str) -> SourceKind:
    reader.known("label", "confidence", "severity", "calls", "roots", "names", "exclude", "exception_variables", "parameters",
                 "handler_parameters", "request_parameters", "request_annotations", "safe_attributes")
    return SourceKind(
        name=name, label=reader.get("label", str, name),
        confidence=reader.enum("confidence", Confidence.parse, default=False) or None,
        severity=reader.enum("severity", Severity.parse, default=False) or None,
        calls=reader.names("calls"), roots=reader.strings("roots"), names=reader.regex("names"),
        exclude=reader.regex("exclude"), exception_variables=reader.get("exception_variables", bool, False),
        parameters=reader.get("parameters", bool, False), handler_parameters=reader.get("handler_parameters", bool, False),
        request_parameters=reader.strings("request_parameters"), request_annotations=reader.strings("request_annotations"),
        safe_attributes=frozenset(reader.strings("safe_attributes")),
    )


def _load_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except yaml.YAMLError as exc:
        raise RuleError(f"{path.name}: not valid YAML: {exc}") from None
    except OSError as exc:
        raise RuleError(f"{path.name}: cannot be read: {exc}") from None


def _kinds_and_flags(reader: _Reader, kinds: dict[str, SourceKind], flags: dict[str, list[str]]) -> None:
    defined = reader.get("source_kinds", dict, {})
    for name, spec in defined.items():
        if name in kinds:
            reader.fail(f"source kind {name!r} is defined twice")
        kinds[name] = _source_kind(reader.child(f"source_kinds.{name}", spec), name)
    for name, patterns in reader.get("flags", dict, {}).items():
        flags.setdefault(name, []).extend(reader.child("flags", {name: patterns}).strings(name))


def load_rules(directory: Path | str | None = None) -> RuleSet:
    """Read and check every rule file in ``directory`` (the package's ``rules/`` by default)."""
    directory = Path(directory) if directory is not None else RULES_DIR
    common_path = directory / COMMON
    if not common_path.is_file():
        raise RuleError(f"{COMMON}: missing from {directory}")
    common = _Reader(COMMON, "", _load_yaml(common_path))
    common.known("default_sources", "source_kinds", "flags", "propagators", "path_joiners", "cleaners", "clean_methods",
                 "mutators", "noreturn", "handlers", "parameters")
    kinds: dict[str, SourceKind] = {}
    flags: dict[str, list[str]] = {}
    _kinds_and_flags(common, kinds, flags)
    default_sources = common.strings("default_sources")

    raw = []
    for path in sorted(directory.glob("*.yaml")):
        if path.name.startswith("_"):
            continue
        reader = _Reader(path.name, "", _load_yaml(path))
        reader.known("id", "cwe", "title", "note", "defer_to", "source_kinds", "flags", "rules")
        if reader.get("id", str, required=True) != path.stem:
            reader.fail(f"'id' must be the file's name, {path.stem!r}")
        _kinds_and_flags(reader, kinds, flags)
        raw.append(reader)

    categories = []
    for reader in raw:
        category, cwe = reader.data["id"], reader.get("cwe", int, required=True)
        rules_data = reader.get("rules", list, required=True)
        if not rules_data:
            reader.fail("'rules' is empty")
        rules = tuple(_rule(reader.child(f"rules[{i}]", r), category, cwe, default_sources)
                      for i, r in enumerate(rules_data))
        if len({r.name for r in rules}) != len(rules):
            reader.fail("rule names must be unique in a file")
        for rule in rules:
            unknown = rule.sources - set(kinds)
            if unknown:
                reader.fail(f"rule {rule.name!r} uses unknown source kind(s) {', '.join(sorted(unknown))}")
        categories.append(Category(id=category, cwe=cwe, title=reader.get("title", str, category), file=reader.file,
                                   rules=rules, note=reader.get("note", str, ""), defer_to=reader.strings("defer_to")))

    handlers = common.child("handlers", common.get("handlers", dict, {}))
    handlers.known("decorators", "typed_path_parameter")
    params = common.child("parameters", common.get("parameters", dict, {}))
    params.known("trusted_names", "trusted_annotations", "trusted_annotation_pattern")
    return RuleSet(
        categories=tuple(categories), source_kinds=kinds,
        flags={name: NamePatterns(patterns) for name, patterns in flags.items()},
        propagators=NamePatterns(common.strings("propagators")), path_joiners=NamePatterns(common.strings("path_joiners")),
        cleaners=NamePatterns(common.strings("cleaners")), clean_methods=frozenset(common.strings("clean_methods")),
        mutators=frozenset(common.strings("mutators")), noreturn=NamePatterns(common.strings("noreturn")),
        handler_decorators=NamePatterns(handlers.strings("decorators")),
        typed_path_parameter=handlers.regex("typed_path_parameter"),
        trusted_names=frozenset(params.strings("trusted_names")),
        trusted_annotations=frozenset(params.strings("trusted_annotations")),
        trusted_annotation_pattern=params.regex("trusted_annotation_pattern"),
    )


@functools.lru_cache(maxsize=4)
def default_rules() -> RuleSet:
    """The package's own rules, read once per process."""
    return load_rules(RULES_DIR)


def category_cwes() -> dict[str, int]:
    """Each category's id and its CWE, from the package's rule files: the one place that table is kept."""
    return {category.id: category.cwe for category in default_rules().categories}
