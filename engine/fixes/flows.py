"""Mechanical fixes for data-flow findings: the standard guard inserted before the sink, the sink kept.

The dataflow analyzer (``secgen.analyzers.dataflow``) follows request data, ``input()`` and parameters
into sinks, and a finding goes away when a sanitizer or a *guard* it recognizes stands in between
(``analyzers/dataflow/rules/*.yaml``, ``guards.py``). These fixes write exactly those shapes:

* ``path-containment`` (``path-injection``): a path joined onto a fixed base directory
  (``os.path.join(BASE, name)``, ``f"uploads/{name}"``, ``Path(BASE) / name``) is resolved
  (``os.path.realpath`` / ``.resolve()``) and checked to stay under the resolved base
  (``os.path.commonpath`` / ``is_relative_to``), else ``abort(404)`` in a Flask view, ``ValueError``
  elsewhere. A bare name with no base has no standard guard and is left to the model tiers;
* ``log-newlines`` (``log-injection``): CR and LF stripped from the ``%s`` arguments of a logging call
  (or from the whole message when it is built in place);
* ``escape-html`` (``reflective-xss``): each interpolated value of the markup a view returns is passed
  through ``html.escape``. ``markupsafe.escape`` is not used: its ``Markup`` result escapes the literal
  markup it is concatenated to. A value that may itself be markup (built from tags, named ``*html*``)
  makes the shape ambiguous: escaping it would break the page;
* ``redirect-allow-list`` (``url-redirection``): a redirect target that is not a path on this site
  (``/...`` but not ``//...`` or ``/\\...``) becomes ``"/"``.

Full SSRF has no fix here: its only accepted guard is an allow-list of hosts that the author must choose.
"""

from __future__ import annotations

import ast
import re
import string
import textwrap

from secgen.engine.fixes.base import Document, Edit, Example, SimpleFix, insert_before

_SCOPES = (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.IfExp, ast.BoolOp)
_ROUTE_DECORATORS = frozenset({"route", "get", "post", "put", "patch", "delete", "api_route", "websocket"})
_UNTRUSTED = ("flask.request", "request", "sys.argv", "sys.stdin", "os.environ", "input")


# --- shared helpers ------------------------------------------------------------------------------

def _last(name: str | None) -> str:
    return (name or "").rsplit(".", 1)[-1]


def _sink_call(doc: Document, finding, accept=lambda call: True) -> ast.Call | None:
    """The call the finding points at: of the calls ``accept`` takes at its position, the one its range ends
    with (``open(p)`` in ``open(p).read()``), else the first."""
    calls = [c for c in doc.nodes_at(finding) if accept(c)]
    end = doc.line_offset(finding.range.end.line) + finding.range.end.column
    exact = [c for c in calls if doc.span(c)[1] == end]
    return (exact or calls or [None])[0]


def _is_handler(func: ast.AST | None) -> bool:
    """Is ``func`` a web route handler (its parameters are request data)?"""
    return isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
        isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute) and d.func.attr in _ROUTE_DECORATORS
        for d in func.decorator_list)


def _params(func: ast.AST | None) -> set[str]:
    if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return set()
    a = func.args
    return {p.arg for p in [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg] if p is not None}


def _walk_scope(scope: ast.AST):
    """The nodes of one scope: ``ast.walk`` that does not enter nested functions and classes."""
    pending = list(ast.iter_child_nodes(scope))
    while pending:
        node = pending.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            pending.extend(ast.iter_child_nodes(node))


def _stores(scope: ast.AST, name: str) -> list[ast.Name]:
    return [n for n in _walk_scope(scope) if isinstance(n, ast.Name) and n.id == name
            and not isinstance(n.ctx, ast.Load)]


def _bindings(doc: Document, func: ast.AST | None, name: str) -> list[ast.stmt] | None:
    """The statements that bind ``name`` in ``func`` (the module when None), each an ``x = ...`` or
    ``x += ...``; None when some other construct (a parameter, a loop, ``with``...) binds it too."""
    scope = func or doc.tree
    if name in _params(func):
        return None
    found = []
    for store in _stores(scope, name):
        stmt = doc.parents.get(store)
        if isinstance(stmt, ast.Assign) and stmt.targets == [store] or isinstance(stmt, ast.AugAssign):
            found.append(stmt)
        else:
            return None
    return found


def _sole_value(doc: Document, func: ast.AST | None, name: str) -> ast.expr | None:
    """The value of the one ``name = value`` that binds ``name`` in ``func`` (the module when ``func``
    does not bind it), or None."""
    found = _bindings(doc, func, name)
    if found == [] and func is not None:
        found = _bindings(doc, None, name)
    return found[0].value if found and len(found) == 1 and isinstance(found[0], ast.Assign) else None


def _name_used(doc: Document, name: str) -> bool:
    """Does anything in the file bind or read ``name`` (a variable, parameter, definition or import)?"""
    for node in doc.nodes():
        if isinstance(node, ast.Name) and node.id == name or isinstance(node, ast.arg) and node.arg == name:
            return True
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
            return True
    return name in doc.imports()


def _free_import(doc: Document, name: str, qualified: str, statement: str) -> list[Edit] | None:
    """The edits that make ``name`` mean ``qualified`` ([] when it already does), or None when it is taken."""
    if doc.imports().get(name) == qualified and not any(
            isinstance(n, ast.Name) and n.id == name and not isinstance(n.ctx, ast.Load)
            or isinstance(n, ast.arg) and n.arg == name for n in doc.nodes()):
        return []
    if _name_used(doc, name):
        return None
    edit = doc.ensure_import(statement)
    return [edit] if edit else []


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


def _spans(doc: Document, node: ast.expr) -> bool:
    """Is ``node``'s span its own text (not so for some positions inside f-strings before Python 3.12)?"""
    try:
        return ast.dump(ast.parse(doc.segment(node), mode="eval").body) == ast.dump(node)
    except SyntaxError:
        return False


def _source(doc: Document, node: ast.expr) -> str:
    """``node``'s text, or its unparsed form where the span is not the node."""
    return doc.segment(node) if _spans(doc, node) else ast.unparse(node)


def _atom(doc: Document, node: ast.expr) -> str:
    """``node``'s text, parenthesized unless it binds tighter than a method call."""
    text = _source(doc, node)
    return text if isinstance(node, (ast.Name, ast.Attribute, ast.Call, ast.Subscript, ast.Constant,
                                     ast.JoinedStr)) else f"({text})"


_STR_METHODS = frozenset({"strip", "lstrip", "rstrip", "lower", "upper", "title", "capitalize", "casefold",
                          "replace", "format", "join", "removeprefix", "removesuffix"})
_REQUEST_MAPS = frozenset({"args", "form", "values", "cookies", "headers", "GET", "POST", "COOKIES"})


def _yields_text(doc: Document, func: ast.AST | None, node: ast.expr, depth: int = 0) -> bool:
    """Is ``node`` a ``str`` for sure (literals, str methods, ``request.args["q"]``, ``request.args.get("q", "")``,
    a variable assigned one of those once)? Then ``str(node)`` is ``node``."""
    if isinstance(node, ast.JoinedStr) or isinstance(node, ast.Constant) and isinstance(node.value, str):
        return True
    if isinstance(node, ast.Name) and node.id in _params(func):
        return _route_text(func, node.id)
    if isinstance(node, ast.Name) and depth < 3:
        value = _sole_value(doc, func, node.id)
        return value is not None and _yields_text(doc, func, value, depth + 1)
    if isinstance(node, ast.Subscript):
        return _request_map(doc, node.value)
    if not isinstance(node, ast.Call):
        return False
    if doc.qualified(node.func) in ("str", "input"):
        return True
    if not isinstance(node.func, ast.Attribute):
        return False
    if node.func.attr == "get":
        return _request_map(doc, node.func.value) and len(node.args) == 2 and isinstance(node.args[1], ast.Constant) \
            and isinstance(node.args[1].value, str)
    return node.func.attr in _STR_METHODS and _yields_text(doc, func, node.func.value, depth + 1)


def _route_text(func: ast.AST | None, name: str) -> bool:
    """Is parameter ``name`` of route handler ``func`` a ``<name>`` segment, a str (no converter, never reassigned)?"""
    if not _is_handler(func) or _stores(func, name):
        return False
    param = next((a for a in [*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs] if a.arg == name), None)
    routes = [ast.unparse(d) for d in func.decorator_list]
    return param is not None and (param.annotation is None or ast.unparse(param.annotation) == "str") \
        and any(f"<{name}>" in r or f"<string:{name}>" in r for r in routes)


def _request_map(doc: Document, node: ast.expr) -> bool:
    """``request.args``, ``request.form``, ``request.GET``...: a mapping of str to str."""
    return isinstance(node, ast.Attribute) and node.attr in _REQUEST_MAPS and isinstance(node.value, ast.Name) \
        and (doc.qualified(node.value) or "").endswith("request")


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


# --- log-newlines -----------------------------------------------------------------------------------

_LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "critical", "exception", "log"})
_PLACEHOLDER = re.compile(r"%(\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?(.)", re.S)
_STRIP = '.replace("\\r", "").replace("\\n", "")'
_CLEAN_CALLS = frozenset({"len", "int", "float", "bool", "repr", "ascii", "json.dumps", "html.escape",
                          "urllib.parse.quote", "urllib.parse.quote_plus"})


def _formatted_fields(template: str) -> list[str] | None:
    """The ``%`` conversions of ``template`` (``["s", "d"]``), or None for mappings and ``*`` widths."""
    fields = [m for m in _PLACEHOLDER.finditer(template) if m.group(4) != "%"]
    if any(m.group(1) or "*" in (m.group(2) or "") + (m.group(3) or "") for m in fields):
        return None
    return [m.group(4) for m in fields]


def _strips_newlines(doc: Document, node: ast.expr) -> bool:
    """Is ``node`` already clean for a log line (a constant, a number, a CR/LF ``replace``...)?"""
    if isinstance(node, ast.Constant):
        return True
    if not isinstance(node, ast.Call):
        return False
    if isinstance(node.func, ast.Attribute) and node.func.attr == "replace" and node.args:
        return isinstance(node.args[0], ast.Constant) and bool(re.search(r"[\r\n]", str(node.args[0].value)))
    return doc.qualified(node.func) in _CLEAN_CALLS


def _strip_message(doc: Document, message: ast.expr) -> list[Edit] | None:
    """The whole message (the logging call has no arguments) with CR and LF removed from it."""
    if _strips_newlines(doc, message) or any(isinstance(n, ast.Constant) and isinstance(n.value, str)
                                              and re.search(r"[\r\n]", n.value) for n in ast.walk(message)):
        return None  # clean already, or the literal text has line breaks of its own
    text = _source(doc, message)
    if isinstance(message, (ast.Name, ast.Attribute, ast.Subscript)) or isinstance(message, ast.Call) and not (
            isinstance(message.func, ast.Attribute) and message.func.attr == "format"):
        text = f"str({text})"
    elif not isinstance(message, (ast.JoinedStr, ast.Call)):
        text = f"({text})"
    start, end = doc.span(message)
    return [Edit(start=start, end=end, new=text + _STRIP)]


def _log_newlines(doc: Document, finding) -> list[Edit] | None:
    call = _sink_call(doc, finding, lambda c: isinstance(c.func, ast.Attribute) and c.func.attr in _LOG_METHODS)
    if call is None or any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None
                                                                                for k in call.keywords):
        return None
    first = 1 if call.func.attr == "log" else 0
    if len(call.args) <= first:
        return None
    message, values = call.args[first], call.args[first + 1:]
    if not values:
        return _strip_message(doc, message)
    if not (isinstance(message, ast.Constant) and isinstance(message.value, str)):
        return None
    fields = _formatted_fields(message.value)
    if fields is None or len(fields) != len(values):
        return None  # a mapping, a `*` width, or arguments that do not line up with the fields
    edits, func = [], doc.function_of(call)
    for field, value in zip(fields, values):
        if field == "s" and not _strips_newlines(doc, value):
            text = _source(doc, value)
            text = _atom(doc, value) if _yields_text(doc, func, value) else f"str({text})"
            start, end = doc.span(value)
            edits.append(Edit(start=start, end=end, new=text + _STRIP))
    return edits or None


# --- escape-html ------------------------------------------------------------------------------------

_RESPONSES = frozenset({"make_response", "Response", "HttpResponse", "HTMLResponse", "Markup", "mark_safe"})
_ESCAPED = frozenset({"escape", "conditional_escape", "clean", "quote", "quote_plus", "jsonify", "dumps", "url_for",
                      "len", "int", "float", "bool", "render_template"})
_TEXT_METHODS = frozenset({"get", "strip", "lower", "upper", "title", "capitalize", "lstrip", "rstrip"})


def _markup_values(doc: Document, func, node: ast.expr, into: str | None) -> list[tuple[ast.expr, bool]] | None:
    """The values interpolated into the markup ``node`` builds, each with whether Python formats it with
    ``str()``; None when a value is formatted any other way (``!r``, ``%d``, a format spec)."""
    if isinstance(node, ast.JoinedStr):
        values = [v for v in node.values if isinstance(v, ast.FormattedValue)]
        if any(v.conversion not in (-1, ord("s")) or v.format_spec for v in values):
            return None
        return [(v.value, True) for v in values]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left = _markup_values(doc, func, node.left, into)
        right = _markup_values(doc, func, node.right, into)
        return None if left is None or right is None else left + right
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and isinstance(node.left, ast.Constant) \
            and isinstance(node.left.value, str):
        fields = _formatted_fields(node.left.value)
        values = node.right.elts if isinstance(node.right, ast.Tuple) else [node.right]
        if fields is None or len(fields) != len(values) or isinstance(node.right, ast.Dict):
            return None
        if any(f in "ra" for f in fields):
            return None
        return [(v, True) for f, v in zip(fields, values) if f == "s"]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format" \
            and isinstance(node.func.value, ast.Constant) and isinstance(node.func.value.value, str):
        parsed = list(string.Formatter().parse(node.func.value.value))
        if any(conversion not in (None, "s") or spec for _, name, spec, conversion in parsed if name is not None):
            return None
        return [(v, True) for v in [*node.args, *(k.value for k in node.keywords)]]
    return [(node, False)]


def _markup_built(node: ast.expr) -> bool:
    return any(isinstance(n, ast.Constant) and isinstance(n.value, str) and "<" in n.value for n in ast.walk(node))


def _needs_escape(doc: Document, func, node: ast.expr, into: str | None) -> bool | None:
    """Should ``node`` be escaped (True), left as it is (False: a constant, escaped already, a number), or is
    it markup of its own that escaping would break (None)?"""
    if isinstance(node, ast.Constant) or isinstance(node, ast.Name) and node.id == into:
        return False
    if isinstance(node, ast.Call):
        name = doc.qualified(node.func) or ""
        if _last(name) in _ESCAPED:
            return False
        text = name in ("str", "input") or isinstance(node.func, ast.Attribute) and node.func.attr in _TEXT_METHODS
        return True if text and not any(_markup_built(a) for a in node.args) else False
    if not isinstance(node, (ast.Name, ast.Attribute, ast.Subscript)):
        return None
    label = ast.unparse(node).lower()
    if "html" in label or "markup" in label:
        return None
    if isinstance(node, ast.Name):
        found = _bindings(doc, func, node.id)
        if found and any(_markup_built(s.value) for s in found):
            return None
        if found and len(found) == 1 and isinstance(found[0].value, ast.Constant):
            return False
    return True


def _request_text(doc: Document, func: ast.AST | None, node: ast.expr) -> bool:
    """Is ``node`` text straight from the request (``request.args.get("q")``, a route's ``<name>``)?"""
    if isinstance(node, ast.Name):
        if node.id in _params(func):
            return _route_text(func, node.id)
        value = _sole_value(doc, func, node.id)
        return value is not None and not isinstance(value, ast.Name) and _request_text(doc, func, value)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get":
        return _request_map(doc, node.func.value)
    return isinstance(node, ast.Subscript) and _request_map(doc, node.value)


def _escape_target(doc: Document, finding) -> ast.expr | None:
    """The markup the finding's sink sends: a response call's body, or the value returned."""
    call = _sink_call(doc, finding, lambda c: _last(doc.qualified(c.func)) in _RESPONSES)
    if call is not None:
        body = call.args[0] if call.args else next(
            (k.value for k in call.keywords if k.arg in ("response", "content", "body")), None)
        return body
    ret = next((r for r in doc.nodes_at(finding, ast.Return) if r.value is not None), None)
    if ret is None:
        return None
    return ret.value.elts[0] if isinstance(ret.value, ast.Tuple) and ret.value.elts else ret.value


def _markup_holes(doc: Document, finding) -> list[tuple[ast.expr, bool]] | None:
    node = _escape_target(doc, finding)
    if node is None:
        return None
    func, parts, into = doc.function_of(node), [node], None
    if isinstance(node, ast.Name) and func is not None:
        statements = _bindings(doc, func, node.id)
        if statements and all(isinstance(s, ast.AugAssign) and isinstance(s.op, ast.Add) or isinstance(s, ast.Assign)
                              for s in statements) and any(_markup_built(s.value) for s in statements):
            parts, into = [s.value for s in statements], node.id
    if parts == [node] and _markup_values(doc, func, node, into) == [(node, False)] \
            and not _request_text(doc, func, node):
        return None  # a value returned as it is: escaping it is right only for text the request sent
    holes = []
    for part in parts:
        values = _markup_values(doc, func, part, into)
        if values is None:
            return None
        for value, formatted in values:
            verdict = _needs_escape(doc, func, value, into)
            if verdict is None or verdict and not _spans(doc, value):
                return None
            if verdict:
                holes.append((value, formatted))
    return holes


def _escape_html(doc: Document, finding) -> list[Edit] | None:
    holes = _markup_holes(doc, finding)
    if not holes:
        return None
    escape, imports = "html.escape", _free_import(doc, "html", "html", "import html")
    if imports is None:
        escape, imports = "escape", _free_import(doc, "escape", "html.escape", "from html import escape")
    if imports is None:
        return None
    edits = list(imports)
    for value, formatted in holes:
        text = _source(doc, value)
        if formatted and not _yields_text(doc, doc.function_of(value), value):
            text = f"str({text})"
        start, end = doc.span(value)
        edits.append(Edit(start=start, end=end, new=f"{escape}({text})"))
    return edits


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


# --- the fixes and their worked examples --------------------------------------------------------------

def _code(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


_PATH_EXAMPLES = (
    Example(
        vulnerable=_code(r'''
            import os
            from flask import Flask, request, send_file

            app = Flask(__name__)
            BASE_DIR = "/srv/files"


            @app.route("/download")
            def download():
                filename = request.args.get("filename")
                return send_file(os.path.join(BASE_DIR, filename))
        '''),
        fixed=_code(r'''
            import os
            from flask import Flask, request, send_file
            from flask import abort

            app = Flask(__name__)
            BASE_DIR = "/srv/files"


            @app.route("/download")
            def download():
                filename = request.args.get("filename")
                path = os.path.realpath(os.path.join(BASE_DIR, filename))
                if os.path.commonpath([path, os.path.realpath(BASE_DIR)]) != os.path.realpath(BASE_DIR):
                    abort(404)
                return send_file(path)
        '''),
    ),
    Example(
        vulnerable=_code(r'''
            import os

            UPLOAD_DIR = "/var/www/uploads"


            def read_upload(filename):
                path = os.path.join(UPLOAD_DIR, filename)
                with open(path) as f:
                    return f.read()
        '''),
        fixed=_code(r'''
            import os

            UPLOAD_DIR = "/var/www/uploads"


            def read_upload(filename):
                path = os.path.realpath(os.path.join(UPLOAD_DIR, filename))
                if os.path.commonpath([path, os.path.realpath(UPLOAD_DIR)]) != os.path.realpath(UPLOAD_DIR):
                    raise ValueError("path outside the base directory")
                with open(path) as f:
                    return f.read()
        '''),
    ),
    Example(
        vulnerable=_code(r'''
            from pathlib import Path


            def delete_report(report_name):
                target = Path("/data/reports") / report_name
                target.unlink()
        '''),
        fixed=_code(r'''
            from pathlib import Path


            def delete_report(report_name):
                target = (Path("/data/reports") / report_name).resolve()
                if not target.is_relative_to(Path("/data/reports").resolve()):
                    raise ValueError("path outside the base directory")
                target.unlink()
        '''),
    ),
    Example(
        vulnerable=_code(r'''
            import os
            from flask import Flask, request

            app = Flask(__name__)
            app.config["UPLOAD_FOLDER"] = "uploads"


            @app.route("/upload", methods=["POST"])
            def upload_file():
                file = request.files["file"]
                file.save(os.path.join(app.config["UPLOAD_FOLDER"], file.filename))
                return "File uploaded successfully"
        '''),
        fixed=_code(r'''
            import os
            from flask import Flask, request
            from flask import abort

            app = Flask(__name__)
            app.config["UPLOAD_FOLDER"] = "uploads"


            @app.route("/upload", methods=["POST"])
            def upload_file():
                file = request.files["file"]
                path = os.path.realpath(os.path.join(app.config["UPLOAD_FOLDER"], file.filename))
                base = os.path.realpath(app.config["UPLOAD_FOLDER"])
                if os.path.commonpath([path, base]) != base:
                    abort(404)
                file.save(path)
                return "File uploaded successfully"
        '''),
    ),
)


_LOG_EXAMPLES = (
    Example(
        vulnerable=_code(r'''
            import logging
            from flask import Flask, request

            app = Flask(__name__)
            logger = logging.getLogger(__name__)


            @app.route("/login", methods=["POST"])
            def login():
                username = request.form["username"]
                logger.info("Login attempt for user %s", username)
                return "ok"
        '''),
        fixed=_code(r'''
            import logging
            from flask import Flask, request

            app = Flask(__name__)
            logger = logging.getLogger(__name__)


            @app.route("/login", methods=["POST"])
            def login():
                username = request.form["username"]
                logger.info("Login attempt for user %s", username.replace("\r", "").replace("\n", ""))
                return "ok"
        '''),
    ),
    Example(
        vulnerable=_code(r'''
            import logging


            def main():
                name = input("Enter your name: ")
                logging.warning(f"Unknown user: {name}")
        '''),
        fixed=_code(r'''
            import logging


            def main():
                name = input("Enter your name: ")
                logging.warning(f"Unknown user: {name}".replace("\r", "").replace("\n", ""))
        '''),
    ),
    Example(
        vulnerable=_code(r'''
            from flask import Flask, request

            app = Flask(__name__)


            @app.route("/search")
            def search():
                query = request.args.get("q", "")
                app.logger.info("Search query: " + query)
                return {"results": []}
        '''),
        fixed=_code(r'''
            from flask import Flask, request

            app = Flask(__name__)


            @app.route("/search")
            def search():
                query = request.args.get("q", "")
                app.logger.info(("Search query: " + query).replace("\r", "").replace("\n", ""))
                return {"results": []}
        '''),
    ),
)


_XSS_EXAMPLES = (
    Example(
        vulnerable=_code(r'''
            from flask import Flask, request

            app = Flask(__name__)


            @app.route("/hello")
            def hello():
                name = request.args.get("name", "World")
                return f"<h1>Hello, {name}!</h1>"
        '''),
        fixed=_code(r'''
            from flask import Flask, request
            import html

            app = Flask(__name__)


            @app.route("/hello")
            def hello():
                name = request.args.get("name", "World")
                return f"<h1>Hello, {html.escape(name)}!</h1>"
        '''),
    ),
    Example(
        vulnerable=_code(r'''
            from flask import Flask, request

            app = Flask(__name__)


            @app.route("/search")
            def search():
                query = request.args.get("q", "")
                return "<p>Results for " + query + "</p>"
        '''),
        fixed=_code(r'''
            from flask import Flask, request
            import html

            app = Flask(__name__)


            @app.route("/search")
            def search():
                query = request.args.get("q", "")
                return "<p>Results for " + html.escape(query) + "</p>"
        '''),
    ),
    Example(
        vulnerable=_code(r'''
            from flask import Flask, make_response

            app = Flask(__name__)


            @app.route("/profile/<username>")
            def profile(username):
                return make_response("<div class='user'>%s</div>" % username)
        '''),
        fixed=_code(r'''
            from flask import Flask, make_response
            import html

            app = Flask(__name__)


            @app.route("/profile/<username>")
            def profile(username):
                return make_response("<div class='user'>%s</div>" % html.escape(username))
        '''),
    ),
    Example(
        vulnerable=_code(r'''
            def user_row(user):
                html = "<tr>"
                html += "<td>" + user + "</td>"
                html += "</tr>"
                return html
        '''),
        fixed=_code(r'''
            from html import escape
            def user_row(user):
                html = "<tr>"
                html += "<td>" + escape(user) + "</td>"
                html += "</tr>"
                return html
        '''),
    ),
)


_REDIRECT_EXAMPLES = (
    Example(
        vulnerable=_code(r'''
            from flask import Flask, request, redirect

            app = Flask(__name__)


            @app.route("/login", methods=["POST"])
            def login():
                next_url = request.args.get("next", "/")
                return redirect(next_url)
        '''),
        fixed=_code(r'''
            from flask import Flask, request, redirect

            app = Flask(__name__)


            @app.route("/login", methods=["POST"])
            def login():
                next_url = request.args.get("next", "/")
                if not next_url or not next_url.startswith("/") or next_url.startswith(("//", "/\\")):
                    next_url = "/"
                return redirect(next_url)
        '''),
    ),
    Example(
        vulnerable=_code(r'''
            from flask import Flask, request, redirect

            app = Flask(__name__)


            @app.route("/go")
            def go():
                return redirect(request.args.get("url"))
        '''),
        fixed=_code(r'''
            from flask import Flask, request, redirect

            app = Flask(__name__)


            @app.route("/go")
            def go():
                target = request.args.get("url")
                if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
                    target = "/"
                return redirect(target)
        '''),
    ),
    Example(
        vulnerable=_code(r'''
            from django.http import HttpResponseRedirect


            def go(request):
                return HttpResponseRedirect(request.GET["to"])
        '''),
        fixed=_code(r'''
            from django.http import HttpResponseRedirect


            def go(request):
                target = request.GET["to"]
                if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
                    target = "/"
                return HttpResponseRedirect(target)
        '''),
    ),
)


FIXES = (
    SimpleFix(name="path-containment", rules=frozenset({"path-injection"}), function=_path_containment,
              description="resolve a path joined onto a base directory and check it stays under that directory",
              examples=_PATH_EXAMPLES),
    SimpleFix(name="log-newlines", rules=frozenset({"log-injection"}), function=_log_newlines,
              description="strip CR and LF from the values a logging call writes",
              examples=_LOG_EXAMPLES),
    SimpleFix(name="escape-html", rules=frozenset({"reflective-xss"}), function=_escape_html,
              description="pass the values interpolated into returned markup through html.escape",
              examples=_XSS_EXAMPLES),
    SimpleFix(name="redirect-allow-list", rules=frozenset({"url-redirection"}), function=_redirect_allow_list,
              description="redirect to \"/\" unless the target is a path on this site",
              examples=_REDIRECT_EXAMPLES),
)
