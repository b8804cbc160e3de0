"""Guards: tests whose outcome proves a value safe on one path.

``if not path.startswith(BASE): abort(403)`` leaves ``path`` contained after
the ``if``; ``if host in ALLOWED_HOSTS:`` makes ``host`` allowed inside the
branch. :class:`Guards` (a mixin of the scope walker) reads a test as facts
that hold when it evaluates to a given outcome (``not``, ``and``, ``or``
distribute), each fact a guard kind and the expression it is about:

* ``containment``: ``x.startswith(base)``, ``x.is_relative_to(base)``,
  ``os.path.commonpath([base, x]) == base``, ``base in x.parents``, and
  ``x.relative_to(base)`` inside a ``try`` whose handlers all leave;
* ``allowlist``: ``x in COLLECTION`` (not a string literal);
* ``equality``: ``x == CONSTANT`` (a literal or an UPPER_CASE name);
* ``denylist``: ``"literal" in x`` is false;
* ``prefix``: ``x.startswith("literal")``;
* ``charclass``: ``x.isalnum()``, ``x.isdigit()``...;
* ``regex``: ``re.fullmatch(p, x)``, or ``re.match`` with a pattern anchored
  at the end (``search`` at both ends), or a compiled pattern's ``fullmatch``;
* ``validator``: any call with a tainted argument; the rules say which
  names count (``is_safe_url``, ``url_has_allowed_host_and_scheme``...);
* ``empty``: a name or attribute is falsy (``if parts.netloc: abort()``);
  the rules say which names count;
* ``scalar``: ``isinstance(x, str)`` (or ``int``, ``float``, ``bool``, a
  tuple of them): ``x`` is no dict or list, so it carries no query operator.

A fact clears the variables in its expression, and the variables they were
computed from (``parsed = urlparse(url)``: a check of ``parsed.hostname``
clears ``url`` too), for the categories whose rules list that guard kind and
whose options it meets (``containment`` with ``requires: resolved`` only when
the value went through ``os.path.realpath`` or ``Path.resolve``).
"""

from __future__ import annotations

import ast

from secgen.analyzers.dataflow.values import with_cleared

_RE_FUNCTIONS = frozenset({"re.fullmatch", "re.match", "re.search", "regex.fullmatch", "regex.match", "regex.search"})
_CHARCLASS = frozenset({"isalnum", "isdigit", "isalpha", "isdecimal", "isnumeric", "isidentifier"})
_SCALARS = frozenset({"str", "int", "float", "bool"})


class Guards:
    """Guard facts and clearing; needs the scope walker's ``env``, ``ix`` and expression helpers."""

    # --- guards -----------------------------------------------------------------------------

    def apply_guards(self, test: ast.expr, outcome: bool) -> None:
        """Clear what ``test`` proves safe on the path where it evaluated to ``outcome``."""
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            return self.apply_guards(test.operand, not outcome)
        if isinstance(test, ast.BoolOp):
            if isinstance(test.op, ast.And) == outcome:  # a and b is true / a or b is false: each part holds
                for part in test.values:
                    self.apply_guards(part, outcome)
            return
        for kind, subject, info in self.guard_facts(test, outcome):
            self.clear(kind, subject, info)

    def guard_facts(self, test: ast.expr, outcome: bool) -> list[tuple[str, ast.expr, dict]]:
        facts: list[tuple[str, ast.expr, dict]] = []
        if isinstance(test, ast.Compare) and len(test.ops) == 1:
            op, left, right = test.ops[0], test.left, test.comparators[0]
            if isinstance(op, (ast.In, ast.NotIn)):
                holds = outcome == isinstance(op, ast.In)
                if isinstance(left, ast.Constant) and isinstance(left.value, str):
                    if not holds:
                        facts.append(("denylist", right, {"literal": left.value}))
                elif holds:
                    if isinstance(right, ast.Attribute) and right.attr == "parents":
                        facts.append(("containment", right.value, {}))
                    else:
                        facts.append(("allowlist", left, {}))
            elif isinstance(op, (ast.Eq, ast.NotEq)) and outcome == isinstance(op, ast.Eq):
                for a, b in ((left, right), (right, left)):
                    common = self.commonpath_items(a)
                    if common is not None:
                        facts.extend(("containment", item, {}) for item in common)
                    elif self.constant_like(b):
                        facts.append(("equality", a, {}))
        elif isinstance(test, ast.Call) and outcome:
            facts.extend(self.call_facts(test))
        elif isinstance(test, (ast.Name, ast.Attribute)) and not outcome:
            facts.append(("empty", test, {"name": test.id if isinstance(test, ast.Name) else test.attr}))
        return facts

    def call_facts(self, test: ast.Call) -> list[tuple[str, ast.expr, dict]]:
        facts: list[tuple[str, ast.expr, dict]] = []
        func, name = test.func, self.qualname(test.func) or ""
        if isinstance(func, ast.Attribute):
            method, subject = func.attr, func.value
            if method == "startswith" and test.args:
                facts.append(("containment", subject, {}))
                prefix = self.literal(test.args[0])
                if prefix is not None:
                    facts.append(("prefix", subject, {"literal": prefix}))
            elif method == "is_relative_to":
                facts.append(("containment", subject, {}))
            elif method in _CHARCLASS:
                facts.append(("charclass", subject, {}))
            elif method in ("fullmatch", "match", "search") and name not in _RE_FUNCTIONS and test.args:
                compiled = self.value(subject) if isinstance(subject, ast.Name) else subject
                pattern = compiled.args[0] if isinstance(compiled, ast.Call) and compiled.args else None
                if method == "fullmatch" or (pattern is not None and _anchored(self.literal(pattern), method)):
                    facts.append(("regex", test.args[0], {}))
        if name == "isinstance" and len(test.args) == 2:
            kinds = test.args[1].elts if isinstance(test.args[1], ast.Tuple) else [test.args[1]]
            if kinds and all(isinstance(k, ast.Name) and k.id in _SCALARS for k in kinds):
                facts.append(("scalar", test.args[0], {}))
        if name in _RE_FUNCTIONS and len(test.args) >= 2:
            if name == "re.fullmatch" or _anchored(self.literal(test.args[0]), name[3:]):
                facts.append(("regex", test.args[1], {}))
        last = name.rsplit(".", 1)[-1]
        if last:
            for arg in list(test.args) + [k.value for k in test.keywords]:
                if self.tainted_keys(arg):
                    facts.append(("validator", arg, {"name": last}))
        return facts

    def commonpath_items(self, node: ast.expr) -> list[ast.expr] | None:
        if isinstance(node, ast.Call) and self.qualname(node.func) in ("os.path.commonpath", "os.path.commonprefix",
                                                                       "posixpath.commonpath"):
            if node.args and isinstance(node.args[0], (ast.List, ast.Tuple)):
                return list(node.args[0].elts)
        return None

    def constant_like(self, node: ast.expr) -> bool:
        if isinstance(node, ast.Constant):
            return node.value is not None
        if isinstance(node, (ast.Name, ast.Attribute)):
            last = node.id if isinstance(node, ast.Name) else node.attr
            return last.isupper() or self.literal(node) is not None
        return False

    def clear(self, kind: str, subject: ast.expr, info: dict) -> None:
        entries = self.ix.guards.get(kind)
        if not entries:
            return
        taints = self.quiet_ev(subject)
        if not taints:
            return
        categories = set()
        for category, guard in entries:
            if guard.requires and not all(guard.requires in t.flags for t in taints if category not in t.cleared):
                continue
            if kind == "denylist" and guard.values and info["literal"] not in guard.values:
                continue
            if kind == "prefix" and guard.literal is not None and not guard.literal.search(info["literal"]):
                continue
            if kind in ("validator", "empty") and not guard.names.search(info["name"]):
                continue
            categories.add(category)
        if not categories:
            return
        keys = self.tainted_keys(subject)
        for key in list(keys):
            keys |= self.env.ancestors(key)
        cleared = frozenset(categories)
        for key in keys:
            if key in self.env.taint:
                self.env.taint[key] = with_cleared(self.env.taint[key], cleared)


def _anchored(pattern: str | None, how: str) -> bool:
    if pattern is None:
        return False
    end = pattern.endswith(("$", r"\Z", r"\z")) and not pattern.endswith(r"\$")
    return end and (how == "match" or pattern.startswith(("^", r"\A")))
