"""Mechanical fixes that keep a path or a redirect where it belongs: a guard inserted before the sink.

The dataflow analyzer (``secgen.analyzers.dataflow``) drops a finding when a guard it recognizes
(``analyzers/dataflow/rules/*.yaml``, ``guards.py``) stands between the source and the sink. These fixes
insert exactly that guard as an ``if`` statement above the sink's statement; the sink is kept:

* ``path-containment`` (``path-injection``): a path joined onto a fixed base directory
  (``os.path.join(BASE, name)``, ``f"uploads/{name}"``, ``Path(BASE) / name``) is resolved
  (``os.path.realpath`` / ``.resolve()``) and checked to stay under the resolved base
  (``os.path.commonpath`` / ``is_relative_to``), else ``abort(404)`` in a Flask view, ``ValueError``
  elsewhere. A bare name with no base has no standard guard and is left to the model tiers.
* ``redirect-allow-list`` (``url-redirection``): a redirect target that is not a path on this site
  (``/...`` but not ``//...`` or ``/\\...``) becomes ``"/"``.

The helpers that read a flow finding's code (its sink call, the handler's parameters, bindings) come from
:mod:`secgen.engine.fixes.flows`.
"""

from __future__ import annotations

import ast
import re

from secgen.engine.fixes.base import Document, Edit, SimpleFix, insert_before
from secgen.engine.fixes.flows import (_atom, _free_import, _is_handler, _last, _params, _sink_call, _sole_value,
                                       _source, _stores)

_SCOPES = (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.IfExp, ast.BoolOp)
_UNTRUSTED = ("flask.request", "request", "sys.argv", "sys.stdin", "os.environ", "input")


# --- inserting a guard ------------------------------------------------------------------------------

def _hoist_point(doc: Document, node: ast.AST) -> ast.stmt | None:
    """The statement above which ``node`` can be evaluated once, in the same order; None when it cannot
    (inside a lambda, comprehension, conditional expression, ``while`` test, an ``elif``, after ``;``)."""
    stmt = doc.statement_of(node)
    walk = node
    while walk is not stmt:
        if isinstance(walk, _SCOPES):
            return None
        child, walk = walk, doc.parents[walk]
    if isinstance(stmt, (ast.While, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return None
    if isinstance(stmt, (ast.With, ast.AsyncWith)) and child is not stmt.items[0]:
        return None
    if isinstance(stmt, (ast.For, ast.AsyncFor)) and child is not stmt.iter:
        return None
    line = doc.lines[stmt.lineno - 1]
    before = line[: doc.column(stmt)]
    if before.strip() or line[len(before):].startswith("elif"):
        return None
    return stmt


def _unit(doc: Document) -> str:
    """One level of the file's indentation."""
    widths = [len(doc.indent_of(s)) for s in doc.nodes(ast.stmt) if doc.indent_of(s)]
    if any("\t" in doc.indent_of(s) for s in doc.nodes(ast.stmt)):
        return "\t"
    return " " * (min(widths) if widths else 4)


def _guard_lines(doc: Document, test: str, action: str) -> list[str]:
    return [f"if {test}:", f"{_unit(doc)}{action}"]


def _replace(doc: Document, node: ast.expr, new: str) -> Edit:
    """The edit that puts ``new`` (an atom) in place of ``node``, with the grouping parentheses around it."""
    start, end = doc.span(node)
    parent = doc.parents.get(node)
    grouped = doc.text[start - 1:start] == "(" and doc.text[end:end + 1] == ")"
    if grouped and not (isinstance(parent, ast.Call) and node in (*parent.args, *(k.value for k in parent.keywords))):
        start, end = start - 1, end + 1
    return Edit(start=start, end=end, new=new)


# --- path-containment -------------------------------------------------------------------------------

_PATH_METHODS = frozenset({"read_text", "read_bytes", "write_text", "write_bytes", "open", "unlink", "rmdir",
                           "touch", "mkdir", "iterdir"})
_PATH_KEYWORDS = ("file", "path", "filename", "filename_or_fp", "src", "name", "dst", "fp")
_RESOLVERS = frozenset({"os.path.realpath", "os.path.abspath"})
_BASE_CALLS = frozenset({"os.path.dirname", "os.path.abspath", "os.path.realpath", "os.path.normpath",
                         "os.path.join", "os.path.expanduser", "os.getcwd", "pathlib.Path", "Path", "str",
                         "pathlib.Path.cwd", "pathlib.Path.home", "Path.cwd", "Path.home"})


def _trusted(doc: Document, func: ast.AST | None, node: ast.expr, depth: int = 0) -> bool:
    """Is ``node`` a base directory the caller cannot choose (constants, configuration, ``__file__``)?"""
    if depth > 4:
        return False
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call) and doc.qualified(sub.func) not in _BASE_CALLS and not (
                isinstance(sub.func, ast.Attribute) and sub.func.attr in ("resolve", "absolute", "expanduser")):
            return False
        if not isinstance(sub, ast.Name) or sub.id == "__file__":
            continue
        if (doc.qualified(sub) or "").startswith(_UNTRUSTED) or sub.id in ("request", "input"):
            return False
        if sub.id in _params(func):
            if _is_handler(func):
                return False
        elif func is not None and _stores(func, sub.id):
            value = _sole_value(doc, func, sub.id)
            if value is None or not _trusted(doc, func, value, depth + 1):
                return False
    return True


def _folded(doc: Document, func: ast.AST | None, node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    value = _sole_value(doc, func, node.id) if isinstance(node, ast.Name) else None
    return value.value if isinstance(value, ast.Constant) and isinstance(value.value, str) else None


def _path_base(doc: Document, func: ast.AST | None, node: ast.expr) -> tuple[str, str] | None:
    """(``os`` or ``pathlib``, the base directory's source) of a path built onto a trusted base, or None."""
    if isinstance(node, ast.Call) and doc.qualified(node.func) in ("os.path.join", "posixpath.join"):
        if len(node.args) >= 2 and not node.keywords and not any(isinstance(a, ast.Starred) for a in node.args) \
                and _trusted(doc, func, node.args[0]):
            return "os", _source(doc, node.args[0])
        return None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        while isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            node = node.left
        if isinstance(node, (ast.Name, ast.Attribute, ast.Call, ast.Subscript)) and _trusted(doc, func, node):
            return "pathlib", _atom(doc, node)
        return None
    if isinstance(node, ast.JoinedStr):
        parts = [v.value if isinstance(v, ast.FormattedValue) and v.conversion == -1 and v.format_spec is None
                 else v for v in node.values]
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        parts = []
        while isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            parts.insert(0, node.right)
            node = node.left
        parts.insert(0, node)
    else:
        return None
    if len(parts) < 2 or isinstance(parts[0], ast.FormattedValue):
        return None
    head = parts[0]
    if isinstance(head, ast.Constant) and isinstance(head.value, str):
        base = head.value[: head.value.rfind("/")] if "/" in head.value else ""
        return ("os", '"' + base + '"') if base.strip("/") and re.fullmatch(r"[\w./ -]+", base) else None
    follows = _folded(doc, func, parts[1]) or ""
    if _trusted(doc, func, head) and (follows.startswith("/") or (_folded(doc, func, head) or "").endswith("/")):
        return "os", _source(doc, head)
    return None


def _path_argument(doc: Document, call: ast.Call) -> ast.expr | None:
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in _PATH_METHODS and not (
            isinstance(func.value, ast.Name) and func.value.id in doc.imports()):
        node = func.value
    elif call.args:
        node = call.args[0]
    else:
        node = next((k.value for k in call.keywords if k.arg in _PATH_KEYWORDS), None)
    if isinstance(node, ast.Call) and doc.qualified(node.func) in ("pathlib.Path", "Path") and len(node.args) == 1:
        node = node.args[0]
    return None if isinstance(node, ast.Starred) else node


def _refusal(doc: Document, node: ast.AST) -> tuple[str, list[Edit]]:
    """What a path outside the base does: ``abort(404)`` in a Flask view, else a ``ValueError``."""
    if _is_handler(doc.function_of(node)) and any(q.startswith("flask") for q in doc.imports().values()):
        edits = _free_import(doc, "abort", "flask.abort", "from flask import abort")
        if edits is not None:
            return "abort(404)", edits
    return 'raise ValueError("path outside the base directory")', []


def _containment(doc: Document, node: ast.AST, kind: str, var: str, base: str, action: str) -> list[str]:
    """The lines that stop ``var`` (resolved) from leaving ``base``; a long base is resolved once, into a name."""
    if kind == "pathlib":
        return _guard_lines(doc, f"not {var}.is_relative_to({base}.resolve())", action)
    named = []
    if len(base) > 24:
        named, base = [f"{doc.fresh_name(node, 'base')} = os.path.realpath({base})"], doc.fresh_name(node, "base")
    resolved = base if named else f"os.path.realpath({base})"
    return [*named, *_guard_lines(doc, f"os.path.commonpath([{var}, {resolved}]) != {resolved}", action)]


def _checked_after(doc: Document, stmt: ast.stmt, var: str) -> bool:
    """Is the statement after ``stmt`` already a containment test of ``var``?"""
    block = next((b for b in (getattr(doc.parents[stmt], f, None) for f in ("body", "orelse", "finalbody"))
                  if isinstance(b, list) and stmt in b), [])
    following = block[block.index(stmt) + 1:] if stmt in block else []
    if not following or not isinstance(following[0], ast.If):
        return False
    test = ast.unparse(following[0].test)
    return var in test and any(word in test for word in ("commonpath", "is_relative_to", "startswith"))


def _path_containment(doc: Document, finding) -> list[Edit] | None:
    call = _sink_call(doc, finding)
    target = _path_argument(doc, call) if call is not None else None
    if target is None:
        return None
    func = doc.function_of(call)
    assign = None
    if isinstance(target, ast.Name):
        value = _sole_value(doc, func, target.id)
        assign = doc.parents.get(value) if value is not None else None
        if assign is None or assign.lineno >= call.lineno or doc.function_of(assign) is not func:
            return None
        target = value
    resolved = isinstance(target, ast.Call) and doc.qualified(target.func) in _RESOLVERS and len(target.args) == 1 \
        or isinstance(target, ast.Call) and isinstance(target.func, ast.Attribute) and target.func.attr == "resolve"
    built = (target.args[0] if target.args else target.func.value) if resolved else target
    found = _path_base(doc, func, built)
    if found is None:
        return None
    kind, base = found
    if re.search(r"""["'](/tmp|/var/tmp|/dev/shm)\b""", base):
        return None  # repeating a temp-dir literal adds Bandit B108 findings
    imports = [] if kind == "pathlib" else _free_import(doc, "os", "os", "import os")
    if imports is None:
        return None
    resolved_text = f"{_atom(doc, target)}.resolve()" if kind == "pathlib" \
        else f"os.path.realpath({_source(doc, target)})"
    action, more = _refusal(doc, call)
    if assign is not None:  # p = os.path.join(BASE, name) ... open(p): resolve p where it is made, check it there
        var = assign.targets[0].id
        if resolved and _checked_after(doc, assign, var):
            return None
        lines = _containment(doc, call, kind, var, base, action)
        at = doc.line_offset(assign.end_lineno)
        indent = doc.indent_of(assign)
        edits = [Edit(start=at, end=at, new="".join(f"{indent}{line}\n" for line in lines))]
        if not resolved:
            start, end = doc.span(target)
            edits.append(Edit(start=start, end=end, new=resolved_text))
        return [*imports, *more, *edits]
    stmt = _hoist_point(doc, target)
    if stmt is None:
        return None
    var = doc.fresh_name(call, "path")
    value = _source(doc, target) if resolved else resolved_text
    lines = [f"{var} = {value}", *_containment(doc, call, kind, var, base, action)]
    return [*imports, *more, insert_before(doc, stmt, lines), _replace(doc, target, var)]


# --- redirect-allow-list ----------------------------------------------------------------------------

_REDIRECTS = frozenset({"redirect", "HttpResponseRedirect", "HttpResponsePermanentRedirect", "RedirectResponse"})


def _redirect_allow_list(doc: Document, finding) -> list[Edit] | None:
    call = _sink_call(doc, finding, lambda c: _last(doc.qualified(c.func)) in _REDIRECTS)
    if call is None:
        return None
    target = call.args[0] if call.args else next(
        (k.value for k in call.keywords if k.arg in ("location", "url", "redirect_to", "to")), None)
    stmt = _hoist_point(doc, target) if target is not None else None
    if stmt is None:
        return None
    func = doc.function_of(call)
    if isinstance(target, ast.Name) and func is not None and (target.id in _params(func) or _stores(func, target.id)):
        var, lines, edits = target.id, [], []
    elif isinstance(target, (ast.Call, ast.Subscript, ast.Attribute)):
        var = doc.fresh_name(call, "target")
        lines = [f"{var} = {_source(doc, target)}"]
        start, end = doc.span(target)
        edits = [Edit(start=start, end=end, new=var)]
    else:
        return None  # a URL built in place: which part the caller chooses is not mechanical
    test = f'not {var} or not {var}.startswith("/") or {var}.startswith(("//", "/\\\\"))'
    return [insert_before(doc, stmt, [*lines, *_guard_lines(doc, test, f'{var} = "/"')]), *edits]


FIXES = (
    SimpleFix(name="path-containment", rules=frozenset({"path-injection"}), function=_path_containment,
              description="resolve a path joined onto a base directory and check it stays under that directory"),
    SimpleFix(name="redirect-allow-list", rules=frozenset({"url-redirection"}), function=_redirect_allow_list,
              description="redirect to \"/\" unless the target is a path on this site"),
)
