"""Mechanical fixes for data-flow findings: the value sanitized the way the analyzer recognizes, the sink kept.

The dataflow analyzer (``secgen.analyzers.dataflow``) follows request data, ``input()`` and parameters
into sinks, and a finding goes away when a sanitizer or a *guard* it recognizes stands in between
(``analyzers/dataflow/rules/*.yaml``, ``guards.py``). These fixes write exactly those shapes:

* ``log-newlines`` (``log-injection``): CR and LF stripped from the ``%s`` arguments of a logging call
  (or from the whole message when it is built in place);
* ``escape-html`` (``reflective-xss``): each interpolated value of the markup a view returns is passed
  through ``html.escape``. ``markupsafe.escape`` is not used: its ``Markup`` result escapes the literal
  markup it is concatenated to. A value that may itself be markup (built from tags, named ``*html*``)
  makes the shape ambiguous: escaping it would break the page.

The fixes that insert a guard statement before the sink (``path-containment``, ``redirect-allow-list``)
are in :mod:`secgen.engine.fixes.paths`, which shares the helpers here.

Full SSRF has no fix here: its only accepted guard is an allow-list of hosts that the author must choose.
"""

from __future__ import annotations

import ast
import re
import string

from secgen.engine.fixes.base import Document, Edit, SimpleFix

_ROUTE_DECORATORS = frozenset({"route", "get", "post", "put", "patch", "delete", "api_route", "websocket"})


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


def _request_text(doc: Document, func: ast.AST | None, node: ast.expr, hops: int = 0) -> bool:
    """Is ``node`` text straight from the request (``request.args.get("q")``, a route's ``<name>``), directly
    or through a few plain copies (``variable = str_var``)?"""
    if isinstance(node, ast.Name):
        if node.id in _params(func):
            return _route_text(func, node.id)
        value = _sole_value(doc, func, node.id)
        return value is not None and hops < 3 and _request_text(doc, func, value, hops + 1)
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


# --- the fixes --------------------------------------------------------------------------------------

FIXES = (
    SimpleFix(name="log-newlines", rules=frozenset({"log-injection"}), function=_log_newlines,
              description="strip CR and LF from the values a logging call writes"),
    SimpleFix(name="escape-html", rules=frozenset({"reflective-xss"}), function=_escape_html,
              description="pass the values interpolated into returned markup through html.escape"),
)
