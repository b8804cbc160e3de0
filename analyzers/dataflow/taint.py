"""The taint engine: one pass over each function's AST, with summaries of same-file functions.

:func:`analyze_module` reads the file's imports, finds its functions (methods
and nested functions included), orders them so that a function comes after
the same-file functions it calls, and walks each once (then the module body):

* statements in order, one environment per path: ``if``/``else`` branches
  start from copies and join by union; a loop body runs once and joins with
  the state before it; ``try`` handlers start from the union of the states
  before and after the body. A branch that always leaves (``return``,
  ``raise``, ``continue``, ``break``, a ``noreturn`` call such as
  ``abort(403)``) does not flow into the code after the ``if``, so
  ``if not ok(x): abort()`` leaves ``x`` checked;
* expressions through :class:`~secgen.analyzers.dataflow.expressions.Expressions`,
  parameters through :class:`~secgen.analyzers.dataflow.params.Parameters`;
* at each call, the flow rules' sinks and the pattern rules' matchers; at
  each ``return``, the return sinks
  (:class:`~secgen.analyzers.dataflow.checks.Checks`);
* guards (:class:`~secgen.analyzers.dataflow.guards.Guards`): a test whose outcome proves a variable
  safe (``x in ALLOWED``, ``resolved.startswith(BASE)``, ``x.isalnum()``...)
  clears it, and the variables it was computed from, for the categories whose
  rules accept that kind of guard, on the path where the outcome holds.

A function's summary says which parameters reach its return value (and what
happened to them on the way: built into a path, sanitized for some
categories), which sources it returns, and which parameters reach a sink.
At a call of that function the arguments' taints go through the summary: the
result carries them, and an argument that reaches a sink inside is reported
at that sink, naming the caller's source (``name`` from ``request.args``
reaches ``open()`` in ``read_file``). This is why the parameters of a
function that is called elsewhere in the same file are not sources
themselves: its callers are known, and the flows are checked at their calls.
A ``return`` sink is not passed on to callers this way: the returned value
goes back to the caller through the summary instead.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from secgen.analyzers.dataflow.ruleset import RuleSet
from secgen.analyzers.dataflow.checks import Checks, ParamSink, RawFinding, Summary
from secgen.analyzers.dataflow.expressions import Expressions
from secgen.analyzers.dataflow.guards import Guards
from secgen.analyzers.dataflow.params import Parameters
from secgen.analyzers.dataflow.values import EMPTY, Env, Part, Taint, build, rule_index, walk

__all__ = ["FileAnalysis", "RawFinding", "Summary", "analyze_module"]


@dataclass(frozen=True, kw_only=True)
class FunctionInfo:
    key: str
    node: ast.FunctionDef | ast.AsyncFunctionDef
    class_name: str | None


def analyze_module(rules: RuleSet, tree: ast.Module, text: str | None = None) -> list[RawFinding]:
    """The findings in one parsed file (``text``, its source, only lets the call survey be skipped)."""
    return FileAnalysis(rules, tree, text).run()


class FileAnalysis:
    """What one file's scopes share: imports, functions, summaries, findings."""

    def __init__(self, rules: RuleSet, tree: ast.Module, text: str | None = None) -> None:
        self.rules, self.ix, self.tree, self.text = rules, rule_index(rules), tree, text
        self.aliases: dict[str, str] = {}
        self.imported: set[str] = set()
        self.functions: dict[str, FunctionInfo] = {}
        self.module_values: dict[str, ast.expr] = {}
        self.called: set[str] = set()
        self.calls: dict[str, set[str]] = {}
        self.summaries: dict[str, Summary] = {}
        self.findings: list[RawFinding] = []
        self.seen: set[tuple] = set()

    def run(self) -> list[RawFinding]:
        self.read_functions(self.tree.body, None, None)
        # A file whose function names appear nowhere but in their defs calls none of them: skip the walk.
        if self.text is None or any(self.text.count(info.node.name) > 1 for info in self.functions.values()):
            self.survey()
        for stmt in self.tree.body:
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                self.module_values[stmt.targets[0].id] = stmt.value
            elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None and isinstance(stmt.target, ast.Name):
                self.module_values[stmt.target.id] = stmt.value
        for info in self.order():
            Scope(self, info).run_function()
        Scope(self, None).run_module()
        return self.findings

    def survey(self) -> None:
        """One walk over the whole tree: which same-file functions each function (and the module) calls."""
        spans = sorted(((info.node.lineno, info.node.end_lineno or info.node.lineno, info)
                        for info in self.functions.values()), key=lambda s: (s[0], -s[1]))
        for node in walk(self.tree):
            if isinstance(node, ast.Call):
                scope = None
                for first, last, info in spans:  # the innermost function around the call
                    if first > node.lineno:
                        break
                    if node.lineno <= last:
                        scope = info
                key = self.function_key(node.func, scope)
                if key is not None and (scope is None or key != scope.key):
                    self.calls.setdefault(scope.key if scope else "", set()).add(key)
                    self.called.add(key)

    def read_import(self, node: ast.Import | ast.ImportFrom) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                self.imported.add(alias.name)
                if alias.asname:
                    self.aliases[alias.asname] = alias.name
                else:
                    root = alias.name.split(".", 1)[0]
                    self.aliases.setdefault(root, root)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            self.imported.add(node.module)
            for alias in node.names:
                if alias.name != "*":
                    self.aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
                    self.imported.add(f"{node.module}.{alias.name}")

    def read_functions(self, body: list[ast.stmt], class_name: str | None, outer: str | None) -> None:
        """The functions, methods and nested functions, and every import (imports are statements too)."""
        for stmt in body:
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                self.read_import(stmt)
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if class_name:
                    key = f"{class_name}.{stmt.name}"
                else:
                    key = f"{outer}.<locals>.{stmt.name}" if outer else stmt.name
                self.functions[key] = FunctionInfo(key=key, node=stmt, class_name=class_name)
                self.read_functions(stmt.body, None, key)
            elif isinstance(stmt, ast.ClassDef):
                self.read_functions(stmt.body, f"{outer}.<locals>.{stmt.name}" if outer else stmt.name, outer)
            else:
                for name in ("body", "orelse", "finalbody"):
                    self.read_functions(getattr(stmt, name, None) or [], class_name, outer)
                for holder in getattr(stmt, "handlers", None) or getattr(stmt, "cases", None) or []:
                    self.read_functions(holder.body, class_name, outer)

    def function_key(self, func: ast.expr, scope: FunctionInfo | None) -> str | None:
        """The same-file function a call's callee names, if any."""
        if isinstance(func, ast.Name):
            if scope is not None and f"{scope.key}.<locals>.{func.id}" in self.functions:
                return f"{scope.key}.<locals>.{func.id}"
            return func.id if func.id in self.functions else None
        if (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in ("self", "cls")
                and scope is not None and scope.class_name):
            key = f"{scope.class_name}.{func.attr}"
            return key if key in self.functions else None
        return None

    def order(self) -> list[FunctionInfo]:
        """Callees before callers (recursion cut anywhere)."""
        done: set[str] = set()
        out: list[FunctionInfo] = []
        for start in self.functions:
            stack = [(start, iter(sorted(self.calls.get(start, ()))))]
            if start in done:
                continue
            done.add(start)
            while stack:
                key, children = stack[-1]
                child = next(children, None)
                if child is None:
                    stack.pop()
                    out.append(self.functions[key])
                elif child not in done:
                    done.add(child)
                    stack.append((child, iter(sorted(self.calls.get(child, ())))))
        return out

    def imports_any(self, modules: tuple[str, ...]) -> bool:
        return any(m == u or m.startswith(u + ".") for u in modules for m in self.imported)

    def emit(self, finding: RawFinding) -> None:
        node = finding.node
        key = (finding.rule.category, getattr(node, "lineno", 0))  # one finding per category and line
        if key not in self.seen:
            self.seen.add(key)
            self.findings.append(finding)


class Scope(Expressions, Parameters, Guards, Checks):
    """One function's (or the module body's) walk."""

    def __init__(self, fa: FileAnalysis, info: FunctionInfo | None) -> None:
        self.fa, self.ix, self.rules, self.info = fa, fa.ix, fa.rules, info
        self.env = Env()
        self.params: set[str] = set()
        self.local_roots: dict[str, str] = {}
        self.handler = False
        self.quiet = False
        self.returns: set[Taint] = set()
        self.param_sinks: list[ParamSink] = []
        self.name = info.node.name if info else "<module>"
        self.stmt_node: ast.stmt | None = None

    # --- entry points -----------------------------------------------------------------------

    def run_module(self) -> None:
        self.block([s for s in self.fa.tree.body if not isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))])

    def run_function(self) -> None:
        node = self.info.node
        for expr in node.decorator_list + node.args.defaults + [d for d in node.args.kw_defaults if d is not None]:
            self.ev(expr)
        self.handler = self.is_handler(node)
        names = self.bind_params(node)
        self.block(node.body)
        method = self.info.class_name is not None and bool(names) and names[0] in ("self", "cls")
        self.fa.summaries[self.info.key] = Summary(
            name=self.name, params=tuple(names), offset=1 if method else 0,
            returns=frozenset(self.returns), sinks=tuple(self.param_sinks))

    # --- statements -------------------------------------------------------------------------

    def block(self, body: list[ast.stmt]) -> bool:
        """Walk statements; ``True`` when the block always leaves (the rest is unreachable)."""
        for stmt in body:
            if self.stmt(stmt):
                return True
        return False

    def stmt(self, node: ast.stmt) -> bool:
        self.stmt_node = node
        method = getattr(self, "s_" + type(node).__name__, None)
        if method is not None:
            return bool(method(node))
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                self.ev(child)
        return False

    def s_FunctionDef(self, node) -> bool:
        return False  # analyzed as its own scope

    s_AsyncFunctionDef = s_FunctionDef

    def s_ClassDef(self, node: ast.ClassDef) -> bool:
        for expr in node.decorator_list + node.bases + [k.value for k in node.keywords]:
            self.ev(expr)
        self.block([s for s in node.body if not isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))])
        return False

    def s_Expr(self, node: ast.Expr) -> bool:
        if isinstance(node.value, ast.Constant):
            return False  # a docstring
        self.ev(node.value)
        return isinstance(node.value, ast.Call) and self.rules.noreturn.match(self.qualname(node.value.func))

    def s_Assign(self, node: ast.Assign) -> bool:
        taints = self.ev(node.value)
        for target in node.targets:
            self.bind(target, taints, node.value)
        return False

    def s_AnnAssign(self, node: ast.AnnAssign) -> bool:
        if node.value is not None:
            self.bind(node.target, self.ev(node.value), node.value)
        return False

    def s_AugAssign(self, node: ast.AugAssign) -> bool:
        current, value = self.quiet_ev(node.target), self.ev(node.value)
        if isinstance(node.op, ast.Add) and (current or value):
            left = Part("{}", current) if current else Part(self.literal(node.target) or "{}")
            right = Part("{}", value) if value else Part(self.literal(node.value) or "{}")
            combined = build([left, right])
        else:
            combined = current | value
        self.bind(node.target, combined, None)
        return False

    def s_Return(self, node: ast.Return) -> bool:
        taints = self.ev(node.value)
        self.returns |= taints
        if taints and not self.quiet and self.info is not None:
            for rule, sink in self.ix.return_sinks:
                if sink.skip_json and _json_display(node.value):
                    continue
                if sink.returns == "any" or self.handler:  # the caller gets the value back through the summary
                    self.flow(rule, sink, node, node.value, taints, f"{self.name}()", summarize=False)
        return True

    def s_Raise(self, node: ast.Raise) -> bool:
        self.ev(node.exc)
        self.ev(node.cause)
        return True

    def s_Continue(self, node) -> bool:
        return True

    s_Break = s_Continue

    def s_Assert(self, node: ast.Assert) -> bool:
        self.ev(node.test)
        self.apply_guards(node.test, True)
        self.ev(node.msg)
        return False

    def s_Delete(self, node: ast.Delete) -> bool:
        for target in node.targets:
            key = self.key(target)
            if key:
                self.env.taint.pop(key, None)
        return False

    def s_If(self, node: ast.If) -> bool:
        self.ev(node.test)
        before = self.env
        self.env = before.copy()
        self.apply_guards(node.test, True)
        body_leaves, body_env = self.block(node.body), self.env
        self.env = before.copy()
        self.apply_guards(node.test, False)
        else_leaves, else_env = self.block(node.orelse), self.env
        if body_leaves and else_leaves:
            self.env = Env.merge(body_env, else_env)
            return True
        self.env = else_env if body_leaves else body_env if else_leaves else Env.merge(body_env, else_env)
        return False

    def s_For(self, node: ast.For) -> bool:
        taints = self.ev(node.iter)
        before = self.env.copy()
        self.bind_iter(node.target, node.iter, taints)
        self.block(node.body)
        self.env = Env.merge(before, self.env)
        self.block(node.orelse)
        return False

    s_AsyncFor = s_For

    def s_While(self, node: ast.While) -> bool:
        self.ev(node.test)
        before = self.env.copy()
        self.apply_guards(node.test, True)
        self.block(node.body)
        self.env = Env.merge(before, self.env)
        self.apply_guards(node.test, False)
        self.block(node.orelse)
        return False

    def s_With(self, node: ast.With) -> bool:
        for item in node.items:
            taints = self.ev(item.context_expr)
            if item.optional_vars is not None:
                self.bind(item.optional_vars, taints, item.context_expr)
        return self.block(node.body)

    s_AsyncWith = s_With

    def s_Try(self, node: ast.Try) -> bool:
        before = self.env.copy()
        body_leaves = self.block(node.body)
        after_body = self.env
        ends = []
        if not body_leaves:
            self.env = after_body.copy()
            if not self.block(node.orelse):
                ends.append(self.env)
        handlers_leave = bool(node.handlers)
        for handler in node.handlers:
            self.env = Env.merge(before, after_body)
            self.ev(handler.type)
            if handler.name:
                exception = frozenset(Taint(kind=k, label=f"exception `{handler.name}`") for k in self.ix.exception_kinds)
                self.bind(ast.Name(id=handler.name, ctx=ast.Store()), exception, None)
            if not self.block(handler.body):
                ends.append(self.env)
                handlers_leave = False
        self.env = Env.merge(*ends) if ends else after_body
        if handlers_leave and ends:
            for stmt in node.body:  # try: p.relative_to(base) except ValueError: abort()
                for sub in walk(stmt):
                    if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and sub.func.attr == "relative_to":
                        self.clear("containment", sub.func.value, {})
        if node.finalbody and self.block(node.finalbody):
            return True
        return not ends

    s_TryStar = s_Try

    def s_Match(self, node) -> bool:
        subject = self.ev(node.subject)
        before, ends = self.env, []
        for case in node.cases:
            self.env = before.copy()
            for sub in walk(case.pattern):
                name = getattr(sub, "name", None) or getattr(sub, "rest", None)
                if isinstance(name, str):
                    self.bind(ast.Name(id=name, ctx=ast.Store()), subject, None)
                if isinstance(sub, ast.MatchValue):
                    self.ev(sub.value)
            if case.guard is not None:
                self.ev(case.guard)
                self.apply_guards(case.guard, True)
            if not self.block(case.body):
                ends.append(self.env)
        self.env = Env.merge(before, *ends)
        return False

    # --- binding ----------------------------------------------------------------------------

    def bind(self, target: ast.expr, taints: frozenset[Taint], value: ast.expr | None) -> None:
        if isinstance(target, (ast.Tuple, ast.List)):
            elts = target.elts
            if (isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(elts)
                    and not any(isinstance(e, ast.Starred) for e in elts + value.elts)):
                for element, item in zip(elts, value.elts):
                    self.bind(element, self.quiet_ev(item), item)
            else:  # each item may be any part of the value; a secret's name does not pass to its neighbours
                named = self.ix.named_kinds
                rest = frozenset(t for t in taints if t.kind not in named) if named else taints
                for element in elts:
                    element = element.value if isinstance(element, ast.Starred) else element
                    key = self.key(element)
                    extra = EMPTY
                    if named and key and rest != taints:
                        extra = self.named_source(key.rsplit(".", 1)[-1], element)
                    self.bind(element, rest | extra, None)
            return
        if isinstance(target, ast.Starred):
            return self.bind(target.value, taints, None)
        if isinstance(target, ast.Subscript):
            self.ev(target.slice)
            base = self.key(target.value)
            if base is not None and taints:
                self.env.taint[base] = self.env.taint.get(base, EMPTY) | taints
            self.check_assign(target, value)
            key = target.slice
            if value is not None and isinstance(key, ast.Constant) and isinstance(key.value, str):
                self.check_binding(key.value, value, target)
            return
        key = self.key(target)
        if key is None:
            self.ev(target.value) if isinstance(target, ast.Attribute) else None
            return
        name = key.rsplit(".", 1)[-1]
        if self.ix.named_kinds and value is not None:
            taints = self.named_binding(name, taints, value, target)
        if taints:
            self.env.taint[key] = taints
        else:
            self.env.taint.pop(key, None)
        self.env.values[key] = value  # x = x.strip() is fine: qualname() and fold() stop after a few steps
        self.env.parents[key] = frozenset(self.tainted_keys(value)) if value is not None and taints else frozenset()
        if isinstance(target, ast.Attribute):
            self.check_assign(target, value)
        if value is not None:
            self.check_binding(name, value, target)

    def named_binding(self, name, taints, value, target) -> frozenset[Taint]:
        """``password = request.form["pw"]``: naming a value like a secret makes it sensitive data."""
        if isinstance(value, ast.Constant):
            return taints
        if isinstance(value, ast.Call) and self.sanitized(self.qualname(value.func), value):
            return taints
        fresh = self.named_source(name, target)
        have = {t.kind for t in taints}
        return taints | frozenset(t for t in fresh if t.kind not in have)

    def bind_iter(self, target: ast.expr, iterable: ast.expr, taints: frozenset[Taint]) -> None:
        if isinstance(iterable, ast.Call) and isinstance(target, ast.Tuple):
            name = self.qualname(iterable.func)
            if name == "enumerate" and len(target.elts) == 2:
                self.bind(target.elts[0], EMPTY, None)
                self.bind(target.elts[1], taints, None)
                return
            if name == "zip" and len(target.elts) == len(iterable.args):
                for element, arg in zip(target.elts, iterable.args):
                    self.bind(element, self.quiet_ev(arg), None)
                return
        self.bind(target, taints, None)

    def tainted_keys(self, node: ast.AST | None) -> set[str]:
        found = set()
        if node is None:
            return found
        for sub in walk(node):
            if isinstance(sub, (ast.Name, ast.Attribute)):
                key = self.key(sub)
                if key is not None and self.env.taint.get(key):
                    found.add(key)
        return found


def _json_display(node: ast.expr | None) -> bool:
    """A dict or list display or comprehension, alone or first in a ``(body, status)`` tuple: what Flask
    (2.2+) and FastAPI send as JSON, never as HTML."""
    if isinstance(node, ast.Tuple) and node.elts:
        node = node.elts[0]
    return isinstance(node, (ast.Dict, ast.List, ast.DictComp, ast.ListComp))
