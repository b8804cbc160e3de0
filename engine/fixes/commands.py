"""Mechanical fixes for shell commands: a command string run by a shell becomes an argument list.

``subprocess.run(f"gzip -k {name}", shell=True)`` hands ``name`` to ``/bin/sh``, so a
``;`` in it runs a second command (Bandit B602/B605, the dataflow analyzer's
``command-line-injection``). When the command's constant text holds no shell syntax
(pipes, redirects, ``&&``, globs, ``$VAR``...) the shell only splits words, and the
same program runs with ``["gzip", "-k", name]`` and no shell: each interpolated value
becomes one list item, whatever it contains. Any shell syntax, a value in the program's
place, or a shape whose result is unclear leaves the finding to the model tiers.

A value that is not surely a ``str`` becomes ``str(value)`` (an ``int`` list item would
stop ``subprocess``). A bare parameter holding a caller's whole command line becomes
``shlex.split(command)``; a variable read from the user does not, since then the user
would choose the program. ``os.system`` becomes ``subprocess.run(..., check=False)``
(``.returncode`` where its value is used: the exit code, where ``os.system`` returned the
wait status, so ``== 0`` tests keep their meaning); ``os.popen(...).read()`` becomes the
``.stdout`` of a run with ``capture_output=True, text=True``.

The first half of this file reads formatted strings (:func:`interpolation`: the text
and values an f-string, ``+``, ``%`` or ``.format`` builds a string from) and finds the
``cmd = ...`` of a two-step call (:func:`sole_assignment`); :mod:`~secgen.engine.fixes.sql`
shares both, which is why the file runs past 400 lines.
"""

from __future__ import annotations

import ast
import re
import shlex
import string
from dataclasses import dataclass

from secgen.engine.fixes.base import Document, Edit, SimpleFix, keyword, remove_keyword

SUBPROCESS_CALLS = frozenset({"subprocess.run", "subprocess.call", "subprocess.check_call",
                              "subprocess.check_output", "subprocess.Popen"})
# Text the shell would read as more than word splitting and quotes; backslashes and `#`, `!` too, to stay sure.
SHELL_SYNTAX = re.compile(r"[|&;<>$`*?(){}\[\]~\n\r\\#!]")
# Programs that exist only inside a shell: without one they are not found (or mean something else).
SHELL_BUILTINS = frozenset({"cd", "export", "source", ".", "eval", "exec", "set", "unset", "alias", "ulimit",
                            "umask", "read", "exit", "if", "for", "while", "until", "case", "function", "time",
                            "type", "command", "wait", "trap", "shift", "return", "local", "declare", "history"})
_STR_METHODS = frozenset({"strip", "lstrip", "rstrip", "lower", "upper", "replace", "format", "join", "title",
                          "capitalize", "casefold", "removeprefix", "removesuffix", "zfill"})
_SENTINEL = re.compile(r"\x00(\d+)\x00")


@dataclass(frozen=True, kw_only=True)
class Value:
    """One value interpolated into a formatted string."""

    node: ast.expr
    source: str  # the expression, as a value on its own (`int(n)` for a `%d` field)
    field: str  # what goes between an f-string's braces (`n!r`, `price:.2f`)
    text: bool  # `source` is already the exact text interpolated (a str), so needs no `str(...)`


Piece = str | Value


def expression(doc: Document, node: ast.expr) -> str:
    """``node``'s source text, or its unparsed form where the source span is not the node (old f-string positions)."""
    text = doc.segment(node)
    try:
        same = ast.dump(ast.parse(text.strip(), mode="eval").body) == ast.dump(node)
    except SyntaxError:
        same = False
    return text if same and "\n" not in text else ast.unparse(node)


def yields_text(doc: Document, node: ast.expr) -> bool:
    """True when ``node`` evaluates to a ``str`` for sure: literals, ``str(...)``, ``input()``, str methods,
    a parameter annotated ``str`` and never reassigned."""
    if isinstance(node, ast.JoinedStr) or isinstance(node, ast.Constant) and isinstance(node.value, str):
        return True
    if isinstance(node, ast.Call):
        return isinstance(node.func, ast.Name) and node.func.id in ("str", "input") \
            or isinstance(node.func, ast.Attribute) and node.func.attr in _STR_METHODS
    function = doc.function_of(node)
    if not isinstance(node, ast.Name) or function is None:
        return False
    params = [*function.args.posonlyargs, *function.args.args, *function.args.kwonlyargs]
    typed = any(p.arg == node.id and isinstance(p.annotation, ast.Name) and p.annotation.id == "str" for p in params)
    return typed and not _stores(function, node.id)


def _stores(scope: ast.AST, name: str) -> list[ast.Name]:
    return [n for n in ast.walk(scope) if isinstance(n, ast.Name) and n.id == name and not isinstance(n.ctx, ast.Load)]


def _value(doc: Document, node: ast.expr, conversion: str = "", spec: str = "", *, text: bool | None = None) -> Value:
    source = expression(doc, node)
    field = source + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
    plain = not conversion and not spec
    text = plain and (yields_text(doc, node) if text is None else text)
    return Value(node=node, source=source, field=field, text=text)


def interpolation(doc: Document, node: ast.expr) -> list[Piece] | None:
    """The constant text and values a string expression is built from (an f-string, ``+``, ``%`` or
    ``.format``; a plain string is one piece); None for any other expression or a shape not understood."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return _fstring_pieces(doc, node)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _concatenation_pieces(doc, node)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and isinstance(node.left, ast.Constant) \
            and isinstance(node.left.value, str):
        return _percent_pieces(doc, node.left.value, node.right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format" \
            and isinstance(node.func.value, ast.Constant) and isinstance(node.func.value.value, str):
        return _format_pieces(doc, node.func.value.value, node)
    return None


def _fstring_pieces(doc: Document, node: ast.JoinedStr) -> list[Piece] | None:
    pieces: list[Piece] = []
    for part in node.values:
        if isinstance(part, ast.Constant):
            pieces.append(part.value)
            continue
        spec = part.format_spec
        if spec is not None and not all(isinstance(v, ast.Constant) for v in spec.values):
            return None  # a nested replacement field in the format spec
        conversion = chr(part.conversion) if part.conversion != -1 else ""
        pieces.append(_value(doc, part.value, conversion, "".join(v.value for v in spec.values) if spec else ""))
    return pieces


def _concatenation_pieces(doc: Document, node: ast.BinOp) -> list[Piece] | None:
    operands: list[ast.expr] = []
    while isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        operands.insert(0, node.right)
        node = node.left
    operands.insert(0, node)
    pieces: list[Piece] = []
    for operand in operands:
        inner = interpolation(doc, operand)
        if inner is not None:
            pieces.extend(inner)
        elif isinstance(operand, ast.Constant):
            return None  # a number: this `+` is arithmetic, not text
        else:
            pieces.append(_value(doc, operand, text=True))  # str + x only runs when x is a str
    return pieces if any(isinstance(p, str) for p in pieces) else None


def _percent_pieces(doc: Document, template: str, right: ast.expr) -> list[Piece] | None:
    if isinstance(right, ast.Dict):
        return None
    args = list(right.elts) if isinstance(right, ast.Tuple) else [right]
    if any(isinstance(a, ast.Starred) for a in args):
        return None
    pieces: list[Piece] = []
    at = 0
    for match in re.finditer(r"%(.)", template, re.S):
        pieces.append(template[at:match.start()])
        at = match.end()
        kind = match.group(1)
        if kind == "%":
            pieces.append("%")
            continue
        if kind not in "srdi" or not args:
            return None
        arg = args.pop(0)
        if kind in "di":
            source = f"int({expression(doc, arg)})"  # "%d" % 3.7 == str(int(3.7))
            pieces.append(Value(node=arg, source=source, field=source, text=False))
        else:
            pieces.append(_value(doc, arg, "r" if kind == "r" else ""))
    pieces.append(template[at:])
    return None if args else [p for p in pieces if p != ""]


def _format_pieces(doc: Document, template: str, call: ast.Call) -> list[Piece] | None:
    if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
        return None
    named = {k.arg: k.value for k in call.keywords}
    pieces: list[Piece] = []
    auto, used = 0, []
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError:
        return None
    for literal, name, spec, conversion in parsed:
        pieces.append(literal)
        if name is None:
            continue
        if name == "":
            name, auto = str(auto), auto + 1
        if name.isdigit():
            arg = call.args[int(name)] if int(name) < len(call.args) else None
        else:
            arg = named.get(name)
        if arg is None or "{" in (spec or ""):
            return None
        if arg in used and not isinstance(arg, (ast.Name, ast.Attribute, ast.Constant)):
            return None  # evaluating a call twice could differ
        used.append(arg)
        pieces.append(_value(doc, arg, conversion or "", spec or ""))
    return [p for p in pieces if p != ""]


def sole_assignment(doc: Document, use: ast.Name) -> ast.Assign | None:
    """The one ``name = ...`` before ``use`` when ``use`` is the name's only read in its scope (the function,
    else the module), so rewriting the assigned value changes nothing else."""
    scope = doc.function_of(use) or doc.tree
    names = [n for n in ast.walk(scope) if isinstance(n, ast.Name) and n.id == use.id]
    if [n for n in names if isinstance(n.ctx, ast.Load)] != [use] or any(
            isinstance(n, (ast.Global, ast.Nonlocal)) for n in ast.walk(scope)):
        return None
    stores = [n for n in names if not isinstance(n.ctx, ast.Load)]
    if len(stores) != 1:
        return None
    assign = doc.parents.get(stores[0])
    if not isinstance(assign, ast.Assign) or assign.targets != [stores[0]]:
        return None
    return assign if (assign.end_lineno, assign.end_col_offset) <= (use.lineno, use.col_offset) else None


# -- a command string as an argument list ---------------------------------------------------


def quote_of(doc: Document, node: ast.expr) -> str:
    """The quotes the expression's first string literal is written with: one quote character, or three."""
    literals = [n for n in ast.walk(node) if isinstance(n, (ast.Constant, ast.JoinedStr))]
    for part in sorted(literals, key=lambda n: (n.lineno, n.col_offset)):
        text = doc.segment(part).lstrip("rRbBfFuU")
        if text[:1] in ("'", '"'):
            return text[:3] if text[:3] in ("'''", '"""') else text[0]
    return '"'


def _literal(text: str, quote: str) -> str:
    escaped = text.replace("\\", "\\\\").replace(quote, "\\" + quote).replace("\n", "\\n").replace("\r", "\\r") \
        .replace("\t", "\\t")
    return quote + escaped + quote


def formatted_string(parts: list[Piece], quote: str) -> str | None:
    """An f-string of ``parts``, or None where a field cannot sit in one (quotes or backslashes in it)."""
    fields = "".join(p.field for p in parts if isinstance(p, Value))
    for q in (quote, "'" if quote == '"' else '"'):
        if q not in fields and "\\" not in fields:
            body = "".join(p.replace("{", "{{").replace("}", "}}") if isinstance(p, str) else "{" + p.field + "}"
                           for p in parts)
            return "f" + _literal(body, q)
    return None


def _element(token: str, values: list[Value], quote: str) -> str | None:
    split = _SENTINEL.split(token)
    parts: list[Piece] = [values[int(s)] if i % 2 else s for i, s in enumerate(split) if i % 2 or s]
    if not any(isinstance(p, Value) for p in parts):
        return _literal(token, quote)
    if len(parts) == 1 and parts[0].field == parts[0].source:
        return parts[0].source if parts[0].text else f"str({parts[0].source})"
    return formatted_string(parts, quote)


def argument_list(doc: Document, node: ast.expr) -> str | None:
    """``["ping", "-c", "1", host]`` for ``"ping -c 1 " + host``; None when the shell would do more than split
    words (any shell syntax in the constant text) or a value would choose the program."""
    pieces = interpolation(doc, node)
    if pieces is None:
        return None
    template, values = "", []
    for piece in pieces:
        if isinstance(piece, Value):
            template += f"\x00{len(values)}\x00"
            values.append(piece)
        elif SHELL_SYNTAX.search(piece) or "\x00" in piece:
            return None
        else:
            template += piece
    try:
        tokens = shlex.split(template)
    except ValueError:
        return None
    if not tokens or "\x00" in tokens[0] or "=" in tokens[0] or tokens[0] in SHELL_BUILTINS:
        return None
    quote = quote_of(doc, node)[0]
    elements = [_element(token, values, quote) for token in tokens]
    return None if None in elements else "[" + ", ".join(elements) + "]"


def _plain_parameter(doc: Document, name: ast.Name) -> bool:
    """``name`` is a parameter of an undecorated function (not a route handler), unannotated or ``str``,
    never reassigned: a whole command line its caller chose."""
    function = doc.function_of(name)
    if function is None or any(not (isinstance(d, ast.Name) and d.id in ("staticmethod", "classmethod"))
                               for d in function.decorator_list):
        return False
    params = {p.arg: p for p in (*function.args.posonlyargs, *function.args.args, *function.args.kwonlyargs)}
    param = params.get(name.id)
    if param is None or _stores(function, name.id):
        return False
    return param.annotation is None or isinstance(param.annotation, ast.Name) and param.annotation.id == "str"


def command_argument(doc: Document, command: ast.expr) -> tuple[str, list[Edit]] | None:
    """What ``command`` (a shell command string) becomes as an argument list: the new text of the argument,
    and the edits elsewhere it needs (the assignment of a two-step command, ``import shlex``)."""
    listed = argument_list(doc, command)
    if listed is not None:
        return listed, []
    if not isinstance(command, ast.Name):
        return None
    assign = sole_assignment(doc, command)
    if assign is not None:
        listed = argument_list(doc, assign.value)
        if listed is None:
            return None
        start, end = doc.span(assign.value)
        return command.id, [Edit(start=start, end=end, new=listed)]
    if _plain_parameter(doc, command):
        edit = doc.ensure_import("import shlex")
        return f"shlex.split({command.id})", [edit] if edit else []
    return None


# -- the fixes ---------------------------------------------------------------------------------


def _subprocess_argument_list(doc: Document, finding) -> list[Edit] | None:
    for call in doc.nodes_at(finding, ast.Call):
        if doc.qualified(call.func) not in SUBPROCESS_CALLS:
            continue
        shell = keyword(call, "shell")
        if shell is None or not (isinstance(shell.value, ast.Constant) and shell.value.value is True):
            continue
        if keyword(call, "executable") is not None:
            return None  # the shell it names would become the program
        command = call.args[0] if call.args else getattr(keyword(call, "args"), "value", None)
        made = command_argument(doc, command) if command is not None else None
        if made is None:
            return None
        argument, edits = made
        start, end = doc.span(command)
        return [*edits, Edit(start=start, end=end, new=argument), remove_keyword(doc, call, "shell")]
    return None


def _import_binding(doc: Document, name: str) -> tuple[ast.stmt, ast.alias] | None:
    for statement in doc.tree.body:
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            for alias in statement.names:
                bound = alias.asname or (alias.name.split(".")[0] if isinstance(statement, ast.Import) else alias.name)
                if bound == name:
                    return statement, alias
    return None


def _drop_import(doc: Document, name: str, replaced: ast.AST) -> Edit | None:
    """The edit that removes the import of ``name`` when ``replaced`` holds its last use (pyflakes would report
    the import unused); None while it is used elsewhere."""
    inside = {id(n) for n in ast.walk(replaced)}
    if any(isinstance(n, ast.Name) and n.id == name and id(n) not in inside for n in doc.nodes(ast.Name)):
        return None
    found = _import_binding(doc, name)
    if found is None:
        return None
    statement, alias = found
    start, end = doc.span(statement)
    kept = [a for a in statement.names if a is not alias]
    if kept:
        names = ", ".join(a.name + (f" as {a.asname}" if a.asname else "") for a in kept)
        module = "." * getattr(statement, "level", 0) + (getattr(statement, "module", None) or "")
        head = "import" if isinstance(statement, ast.Import) else f"from {module} import"
        return Edit(start=start, end=end, new=f"{head} {names}")
    line_start, line_end = doc.line_offset(statement.lineno - 1), doc.line_offset(statement.end_lineno)
    if doc.text[line_start:start].strip() or doc.text[end:line_end].strip():
        return None  # shares its line with other code (`import os; import sys`)
    return Edit(start=line_start, end=line_end, new="")


def _os_shell_call(doc: Document, finding) -> tuple[ast.Call, ast.expr, str] | None:
    """The ``os.system(...)`` call, or the ``os.popen(...).read()`` call, at the finding: (the node to replace,
    the command, the shape)."""
    for call in doc.nodes_at(finding, ast.Call):
        name = doc.qualified(call.func)
        if name not in ("os.system", "os.popen") or len(call.args) != 1 or call.keywords \
                or isinstance(call.args[0], ast.Starred):
            continue
        if name == "os.system":
            used = not isinstance(doc.parents.get(call), ast.Expr)
            return call, call.args[0], "returncode" if used else "statement"
        read = doc.parents.get(call)
        outer = doc.parents.get(read)
        if isinstance(read, ast.Attribute) and read.attr == "read" and isinstance(outer, ast.Call) \
                and outer.func is read and not outer.args and not outer.keywords:
            return outer, call.args[0], "stdout"
        return None  # os.popen read line by line, written to or closed: not one shape
    return None


_OS_REPLACEMENTS = {
    "statement": "subprocess.run({}, check=False)",
    "returncode": "subprocess.run({}, check=False).returncode",
    "stdout": "subprocess.run({}, capture_output=True, text=True, check=False).stdout",
}


def _os_system_to_subprocess(doc: Document, finding) -> list[Edit] | None:
    found = _os_shell_call(doc, finding)
    if found is None:
        return None
    replaced, command, shape = found
    made = command_argument(doc, command)
    if made is None:
        return None
    argument, edits = made
    start, end = doc.span(replaced)
    edits.append(Edit(start=start, end=end, new=_OS_REPLACEMENTS[shape].format(argument)))
    os_call = replaced if shape != "stdout" else replaced.func.value
    root = os_call.func
    while isinstance(root, ast.Attribute):
        root = root.value
    dropped = _drop_import(doc, root.id, os_call.func) if isinstance(root, ast.Name) else None
    added = doc.ensure_import("import subprocess")
    if dropped is not None and added is not None and dropped.end == added.start and dropped.new == "":
        # `import os` becomes `import subprocess`
        edits.append(Edit(start=dropped.start, end=dropped.end, new=added.new))
    else:
        edits.extend(e for e in (dropped, added) if e is not None)
    return edits


FIXES = (
    SimpleFix(
        name="subprocess-argument-list",
        rules=frozenset({"B602", "B604", "command-line-injection"}),
        description="subprocess call with shell=True and a command string -> the same command as an argument list, "
                    "no shell",
        function=_subprocess_argument_list,
    ),
    SimpleFix(
        name="os-system-to-subprocess",
        rules=frozenset({"B605", "command-line-injection"}),
        description="os.system / os.popen(...).read() with a command string -> subprocess.run with the same command "
                    "as an argument list",
        function=_os_system_to_subprocess,
    ),
)
