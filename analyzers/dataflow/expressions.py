"""Expressions: what taint a value carries, and the names things go by.

The mixin :class:`Expressions` is the expression half of the engine's scope
walker (:mod:`secgen.analyzers.dataflow.taint` holds the statements; string building
is in :mod:`~secgen.analyzers.dataflow.building`, guards in
:mod:`~secgen.analyzers.dataflow.guards`, sinks and summaries in
:mod:`~secgen.analyzers.dataflow.checks`). ``ev(node)`` returns a node's taint and, on the way, evaluates
every sub-expression once, so that each call is checked against the sinks and
the pattern rules exactly where it is evaluated.

Propagation: a variable carries what was assigned to it; f-strings, ``%``,
``.format``, ``+``, ``str.join``, ``os.path.join`` / ``pathlib`` ``/`` and
the other path joiners build (the taint learns the text before it);
subscripts, slices, attributes and method calls of a tainted value stay
tainted (methods in ``clean_methods`` return numbers or bools and do not);
containers are tainted by their items; ``propagators`` pass their arguments'
taint through; ``cleaners`` return clean values, and so does a call with a
cleaner as its ``type=`` converter (Flask's ``request.args.get("n",
type=int)``); any other call of an
unknown function returns a clean value (same-file functions have summaries).
An attribute of a secret-named object is not itself secret (the ``sensitive``
taint does not pass through attribute reads, only through values).
"""

from __future__ import annotations

import ast
from dataclasses import replace

from secgen.analyzers.dataflow import predicates
from secgen.analyzers.dataflow.building import Builders
from secgen.analyzers.dataflow.values import EMPTY, TEXT_LIMIT, Taint, union, with_cleared, with_flags

_TEXT_LIMIT = 60


class Expressions(Builders):
    """Expression evaluation; needs ``env``, ``fa``, ``ix``, ``local_roots`` and the checks of the scope walker."""

    # --- names ----------------------------------------------------------------------------

    def is_local(self, name: str) -> bool:
        return name in self.env.taint or name in self.env.values or name in self.params

    def dotted(self, node: ast.expr) -> str | None:
        """``a.b.c`` with the first name resolved through the imports; ``None`` for other shapes."""
        if isinstance(node, ast.Name):
            return node.id if self.is_local(node.id) else self.fa.aliases.get(node.id, node.id)
        if isinstance(node, ast.Attribute):
            base = self.dotted(node.value)
            return f"{base}.{node.attr}" if base else None
        return None

    def key(self, node: ast.expr) -> str | None:
        """The environment key of a variable or a dotted attribute of one (``self.path``)."""
        if isinstance(node, ast.Name):
            return node.id
        if isinstance(node, ast.Attribute):
            base = self.key(node.value)
            return f"{base}.{node.attr}" if base else None
        return None

    def qualname(self, node: ast.expr, depth: int = 0) -> str | None:
        """The name a call goes by: imports resolved, a variable read as its constructor's name."""
        if isinstance(node, ast.Name):
            value = self.value(node) if depth < 4 else None
            if isinstance(value, ast.Call):
                return self.qualname(value.func, depth + 1)
            if isinstance(value, (ast.Name, ast.Attribute)):
                return self.qualname(value, depth + 1)
            return node.id if self.is_local(node.id) else self.fa.aliases.get(node.id, node.id)
        if isinstance(node, ast.Attribute):  # a method of an expression goes by "?.method" (matches "*.method")
            return f"{self.qualname(node.value, depth) or '?'}.{node.attr}"
        if isinstance(node, ast.Call):
            return self.qualname(node.func, depth)
        if isinstance(node, ast.Subscript):
            return self.qualname(node.value, depth)
        return None

    def value(self, node: ast.expr) -> ast.expr | None:
        """The expression last assigned to the variable ``node`` names (predicates' Lookup)."""
        if isinstance(node, ast.Name):
            if node.id in self.env.values:
                return self.env.values[node.id]
            if node.id in self.params or node.id in self.env.taint:
                return None
            return self.fa.module_values.get(node.id)
        if isinstance(node, ast.Attribute):
            key = self.key(node)
            return self.env.values.get(key) if key else None
        return None

    def matches(self, name: str | None, patterns) -> bool:
        return patterns.match(name)

    def text(self, node: ast.AST, limit: int = _TEXT_LIMIT) -> str:
        try:
            text = ast.unparse(node)
        except Exception:  # noqa: BLE001 - a label is best effort
            return "value"
        return text if len(text) <= limit else text[: limit - 3] + "..."

    def sanitized(self, name: str | None, call: ast.Call | None) -> frozenset[str]:
        """The categories a call (or attribute) of this name makes its value safe for."""
        found = self.ix.sanitizers.find(name)
        if not found:
            return frozenset()
        return frozenset(category for category, where in found
                         if not where or (call is not None and all(c.holds(call, self) for c in where)))

    def literal(self, node: ast.expr) -> str | None:
        value = predicates.fold(node, self)
        return value if isinstance(value, str) else None

    # --- sources --------------------------------------------------------------------------

    def root_source(self, node: ast.expr) -> frozenset[Taint] | None:
        """Taint for ``request.args`` / ``sys.argv`` / ``os.environ``; ``None`` to look deeper."""
        dotted = self.dotted(node)
        if not dotted:
            return None
        first = dotted.split(".", 1)[0]
        candidates = [(first, self.local_roots[first])] if first in self.local_roots and self.is_local(first) else []
        candidates += self.ix.roots
        for root, kind in candidates:
            if dotted == root or dotted.startswith(root + "."):
                rest = dotted[len(root) + 1:]
                if rest.count(".") >= 1:
                    return None
                if rest and rest in self.rules.source_kinds[kind].safe_attributes:
                    return EMPTY
                return frozenset({Taint(kind=kind, label=self.text(node))})
        return None

    def named_source(self, name: str, node: ast.expr) -> frozenset[Taint]:
        """Sensitive-looking identifiers (``password``, ``api_key``) as sources."""
        out = []
        for kind_name in self.ix.named_kinds:
            kind = self.rules.source_kinds[kind_name]
            if kind.names.search(name) and not (kind.exclude and kind.exclude.search(name)):
                out.append(Taint(kind=kind_name, label=kind.label))
        return frozenset(out)

    # --- evaluation -----------------------------------------------------------------------

    def ev(self, node: ast.AST | None) -> frozenset[Taint]:
        if node is None:
            return EMPTY
        method = getattr(self, "ev_" + type(node).__name__, None)
        if method is not None:
            return method(node)
        return union(self.ev(child) for child in ast.iter_child_nodes(node) if isinstance(child, ast.expr))

    def ev_Constant(self, node: ast.Constant) -> frozenset[Taint]:
        if isinstance(node.value, str) and self.ix.string_patterns:
            self.check_string(node)
        return EMPTY

    def ev_Name(self, node: ast.Name) -> frozenset[Taint]:
        name = node.id
        if name in self.env.taint:
            return self.env.taint[name]
        if name in self.local_roots and name not in self.env.values:  # a request object parameter
            return self.root_source(node) or EMPTY
        if self.is_local(name):
            return EMPTY
        source = self.root_source(node)
        if source is not None:
            return source
        return self.named_source(name, node) if self.ix.named_kinds else EMPTY

    def ev_Attribute(self, node: ast.Attribute) -> frozenset[Taint]:
        key = self.key(node)
        if key is not None and key in self.env.taint:
            return self.env.taint[key]
        result = self.root_source(node)
        if result is None:
            base = self.ev(node.value)
            kinds = self.rules.source_kinds
            # An attribute of request data is request data; an attribute of a secret-named object is not a
            # secret unless its own name says so (credentials.expiry_time).
            result = frozenset(t for t in base if node.attr not in kinds[t.kind].safe_attributes
                               and t.kind not in self.ix.named_kinds) if base else EMPTY
            if self.ix.named_kinds:
                result |= self.named_source(node.attr, node)
        if result:
            name = self.qualname(node)
            flags = self.ix.flags.find(name)
            if flags:
                result = with_flags(result, frozenset(flags))
            sanitized = self.sanitized(name, None)  # Path(name).name
            if sanitized:
                result = with_cleared(result, sanitized)
        return result

    def ev_Subscript(self, node: ast.Subscript) -> frozenset[Taint]:
        result = self.ev(node.value)
        self.ev(node.slice)
        if self.ix.named_kinds and _masking_slice(node.slice):  # card_number[-4:]: a masked form, no secret
            result = frozenset(t for t in result if t.kind not in self.ix.named_kinds)
        if self.ix.named_kinds:
            key = node.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                result |= self.named_source(key.value, node)
        return result

    def ev_Starred(self, node: ast.Starred) -> frozenset[Taint]:
        return self.ev(node.value)

    def ev_Await(self, node: ast.Await) -> frozenset[Taint]:
        return self.ev(node.value)

    def ev_Compare(self, node: ast.Compare) -> frozenset[Taint]:
        self.ev(node.left)
        for comparator in node.comparators:
            self.ev(comparator)
        return EMPTY

    def ev_UnaryOp(self, node: ast.UnaryOp) -> frozenset[Taint]:
        operand = self.ev(node.operand)
        return EMPTY if isinstance(node.op, ast.Not) else operand

    def ev_BoolOp(self, node: ast.BoolOp) -> frozenset[Taint]:
        return union(self.ev(v) for v in node.values)

    def ev_IfExp(self, node: ast.IfExp) -> frozenset[Taint]:
        self.ev(node.test)
        return self.ev(node.body) | self.ev(node.orelse)

    def ev_Lambda(self, node: ast.Lambda) -> frozenset[Taint]:
        saved = self.env
        self.env = saved.copy()
        for arg in node.args.args + node.args.kwonlyargs:
            self.env.taint.pop(arg.arg, None)
            self.env.values[arg.arg] = None
        self.ev(node.body)
        self.env = saved
        return EMPTY

    def ev_NamedExpr(self, node: ast.NamedExpr) -> frozenset[Taint]:
        taints = self.ev(node.value)
        self.bind(node.target, taints, node.value)
        return taints

    def ev_List(self, node: ast.List) -> frozenset[Taint]:
        return union(self.ev(e) for e in node.elts)

    ev_Tuple = ev_Set = ev_List

    def ev_Dict(self, node: ast.Dict) -> frozenset[Taint]:
        out = []
        for key, value in zip(node.keys, node.values):
            taints = self.ev(value)
            if key is None:
                out.append(taints)
                continue
            out.append(self.ev(key))
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                if self.ix.binding_patterns:
                    self.check_binding(key.value, value, key)
                if taints:  # a rule can ask what key the value sits under ({"$where": ...})
                    taints = frozenset(replace(t, text=(f"{key.value}: " + t.text)[:TEXT_LIMIT]) for t in taints)
            out.append(taints)
        return union(out)

    def ev_comprehension(self, node) -> frozenset[Taint]:
        saved = self.env
        self.env = saved.copy()
        for generator in node.generators:
            self.bind_iter(generator.target, generator.iter, self.ev(generator.iter))
            for condition in generator.ifs:
                self.ev(condition)
                self.apply_guards(condition, True)
        if isinstance(node, ast.DictComp):
            result = self.ev(node.key) | self.ev(node.value)
        else:
            result = self.ev(node.elt)
        self.env = saved
        return result

    ev_ListComp = ev_SetComp = ev_GeneratorExp = ev_DictComp = ev_comprehension

    def ev_Yield(self, node) -> frozenset[Taint]:
        self.ev(node.value)
        return EMPTY

    ev_YieldFrom = ev_Yield

    # --- calls ----------------------------------------------------------------------------

    def ev_Call(self, node: ast.Call) -> frozenset[Taint]:
        func = node.func
        name = self.qualname(func)
        method = func.attr if isinstance(func, ast.Attribute) else None
        receiver = self.ev(func.value) if method else (EMPTY if isinstance(func, ast.Name) else self.ev(func))
        sinks = self.ix.sinks.find(name)
        built = self.built_call(node, name, method)
        if built is None:
            args = [self.ev(a) for a in node.args]
            keywords = {kw.arg or "**": self.ev(kw.value) for kw in node.keywords}
        elif sinks:  # the builder evaluated the arguments already; the sinks need their taints
            args = [self.quiet_ev(a) for a in node.args]
            keywords = {kw.arg or "**": self.quiet_ev(kw.value) for kw in node.keywords}
        else:
            args, keywords = [], {}
        if self.ix.call_patterns.exact or self.ix.call_patterns.methods or self.ix.call_patterns.others:
            self.check_call_patterns(node, name)
        if self.ix.binding_patterns:
            for kw in node.keywords:
                if kw.arg:
                    self.check_binding(kw.arg, kw.value, kw.value)
        if sinks:
            self.check_sinks(node, name, sinks, receiver, args, keywords)
        summary = self.local_summary(func)
        if summary is not None:
            result = self.apply_summary(node, summary, args, keywords)
            sanitized = self.sanitized(name, node) if result else frozenset()
            return with_cleared(result, sanitized) if sanitized else result
        return self.call_result(node, name, method, receiver, args, keywords, built)

    def quiet_ev(self, node: ast.expr) -> frozenset[Taint]:
        """A second look at an argument a builder already evaluated: its taint, without re-reporting."""
        saved, self.quiet = self.quiet, True
        try:
            return self.ev(node)
        finally:
            self.quiet = saved

    def built_call(self, node: ast.Call, name: str | None, method: str | None) -> frozenset[Taint] | None:
        """The taint of a string/path-building call (join, format, os.path.join), else ``None``."""
        func = node.func
        if method in ("format", "format_map", "join") and isinstance(func, ast.Attribute):
            text = self.literal(func.value)
            if text is not None:
                if method == "join":
                    return self.join_call(text, node)
                if method == "format":
                    return self.format_call(text, node)
        if name and self.rules.path_joiners.match(name):
            pieces = list(node.args)
            if method == "joinpath":
                pieces.insert(0, func.value)
            return self.path_join(pieces)
        return None

    def call_result(self, node, name, method, receiver, args, keywords, built) -> frozenset[Taint]:
        everything = union([receiver, *args, *keywords.values()])
        kinds = self.ix.source_calls.find(name)
        sanitized = self.sanitized(name, node) if everything else frozenset()
        if kinds:
            label = self.text(node, 40)
            result = frozenset(Taint(kind=k, label=label) for k in kinds)
        elif built is not None:
            result = built
        elif self.rules.cleaners.match(name) or method in self.rules.clean_methods or self.converted(node):
            return EMPTY
        elif sanitized or self.rules.propagators.match(name):
            result = everything
        elif method is not None and receiver:
            result = receiver
        else:
            if method in self.rules.mutators and everything:
                key = self.key(node.func.value)
                if key is not None:
                    self.env.taint[key] = self.env.taint.get(key, EMPTY) | everything
            result = EMPTY
        if sanitized and result:
            result = with_cleared(result, sanitized)
        if result:
            flags = self.ix.flags.find(name)
            if flags:
                result = with_flags(result, frozenset(flags))
        if self.ix.named_kinds:
            result |= self.named_call(node, name, method)
        return result

    def converted(self, node: ast.Call) -> bool:
        """``request.args.get("page", type=int)``: a ``type=`` converter that is a cleaner makes the result clean."""
        return any(kw.arg == "type" and self.rules.cleaners.match(self.qualname(kw.value)) for kw in node.keywords)

    def named_call(self, node: ast.Call, name: str | None, method: str | None) -> frozenset[Taint]:
        """``get_password()``, ``os.getenv("API_KEY")``, ``config.get("password")``: sensitive by name."""
        out = EMPTY
        called = method or (name.rsplit(".", 1)[-1] if name else None)
        if called and not called.startswith(("set_", "check_", "verify_", "validate_", "is_", "has_")):
            out = self.named_source(called, node)
        if node.args and (method in ("get", "getenv", "pop", "getlist") or name in ("os.getenv", "os.environ.get")):
            key = node.args[0]
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                out |= self.named_source(key.value, node)
        return out


MASK_CHARS = 4  # a slice this short of a secret is its masked form (the last four digits of a card)


def _masking_slice(key: ast.AST) -> bool:
    """``x[-4:]``, ``x[:4]``, ``x[2:6]``: a slice with constant bounds, no step, at most MASK_CHARS long."""
    if not isinstance(key, ast.Slice) or key.step is not None:
        return False
    bound = lambda node: node.value if isinstance(node, ast.Constant) and type(node.value) is int else (
        -node.operand.value if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub)
        and isinstance(node.operand, ast.Constant) and type(node.operand.value) is int else None)
    lower, upper = bound(key.lower) if key.lower else 0, bound(key.upper) if key.upper else None
    if lower is None or key.upper is not None and upper is None:
        return False
    if upper is None:  # x[-4:]
        return lower < 0 and -lower <= MASK_CHARS
    return (lower >= 0) == (upper >= 0) and 0 <= upper - lower <= MASK_CHARS
