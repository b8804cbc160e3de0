"""The function guard: a repair must keep what the code does, not just silence the analyzer.

Every repair tier (mechanical fixes, guided re-decoding, model repair rounds)
passes its candidate through :func:`function_guard` against the code it
repairs. A candidate is refused, with the reason, when it

* does not parse where the original did, or names something undefined that
  the original did not;
* drops or renames a function, class or method of the original, or changes a
  kept function's parameters (names, order, kinds);
* drops the *purpose* of a function: every family of effect the original
  function had (reads or writes a file, runs a process, makes an HTTP request,
  runs SQL, unpacks an archive, hashes, parses data, renders a page,
  redirects...) must still be there. A path check added before ``open`` keeps
  the read; ``return secure_filename(name)`` instead of reading the file does
  not. Swapping one call for a safer one of the same family (``os.system`` ->
  ``subprocess.run``, ``yaml.load`` -> ``yaml.safe_load``, ``eval`` ->
  ``ast.literal_eval``) keeps it;
* stops running a program it ran by name: ``"tar czf ..." + folder`` made
  into ``subprocess.run([folder])`` still runs a process, but not ``tar``;
* stops using a parameter it used (a command runner that no longer runs
  ``cmd``), or a variable it still assigns (``username`` read from the
  request, no longer passed to the template), or passes a whole command line as one string to a process call
  without a shell (``subprocess.run("ping " + host)`` looks for a program
  named ``ping example.com``);
* swaps ``eval`` for ``ast.literal_eval`` where the code computes expressions
  (a calculator: the function, its parameters or the task speak of
  calculating, expressions, arithmetic or formulas): ``literal_eval("2+3")``
  raises, so the repair computes nothing.

Where a benchmark knows the task's own examples (doctests, ``assert`` lines),
it passes ``examples``: a callable that runs them in the sandbox and says why
they fail; a repair is refused when its examples fail where the original's
passed. The editor path never runs generated code.

Python only; for other languages the guard checks nothing and says so by
returning ``None`` (no objection).
"""

from __future__ import annotations

import ast
import re
from typing import Callable, Iterable

# Effect families: a call's dotted name (or its last part, for methods) -> the family it belongs to.
FAMILIES: dict[str, tuple[str, ...]] = {
    "file": ("open", "io.open", "codecs.open", "*.read_text", "*.read_bytes", "*.write_text", "*.write_bytes",
             "send_file", "flask.send_file", "send_from_directory", "flask.send_from_directory", "os.remove",
             "os.unlink", "os.listdir", "os.scandir", "shutil.*", "os.makedirs", "os.mkdir", "os.rename",
             "os.open", "*.open", "os.walk", "glob.glob"),
    "process": ("os.system", "os.popen", "subprocess.*", "os.exec*", "os.spawn*", "asyncio.create_subprocess_*",
                "commands.getoutput"),
    "http": ("requests.*", "urllib.request.urlopen", "urllib.request.Request", "urlopen", "httpx.*",
             "http.client.*", "urllib3.*", "*.urlopen", "*.request", "aiohttp.*"),
    "sql": ("*.execute", "*.executemany", "*.executescript", "*.raw", "sqlalchemy.text"),
    "archive": ("*.extractall", "*.extract", "tarfile.open", "zipfile.ZipFile", "tarfile.TarFile", "shutil.unpack_archive"),
    "hash": ("hashlib.*", "*.hexdigest", "*.digest", "bcrypt.*", "hmac.*", "argon2.*", "passlib.*", "crypt.*"),
    # eval and exec are not a purpose: running code is the weakness, and computing the value directly is a repair
    "parse": ("pickle.*", "json.load*", "yaml.*", "marshal.load*", "ast.literal_eval", "*.fromstring", "*.parse",
              "*.parseString", "xml.*", "defusedxml.*", "lxml.*", "jsonpickle.*", "shelve.open", "dill.*"),
    "render": ("render_template", "render_template_string", "flask.render_template*", "*.render",
               "jinja2.Template", "Template", "make_response", "flask.make_response", "Markup", "markupsafe.*"),
    "redirect": ("redirect", "flask.redirect", "*.redirect"),
    "network": ("socket.*", "*.connect", "*.bind", "*.sendall", "*.recv", "ssl.*", "ftplib.*", "smtplib.*",
                "paramiko.*", "telnetlib.*"),
    "crypto": ("Crypto.*", "Cryptodome.*", "cryptography.*", "jwt.*", "*.encrypt", "*.decrypt", "rsa.*"),
    "random": ("random.*", "secrets.*", "os.urandom", "uuid.*"),
    "tempfile": ("tempfile.*",),
    "ldap": ("ldap.*", "*.search_s", "*.search"),
    "log": ("logging.*", "*.info", "*.warning", "*.error", "*.debug", "*.critical", "*.exception", "*.log"),
}

Examples = Callable[[str], str | None]  # candidate code -> why its examples fail, or None


def _call_name(node: ast.Call) -> str | None:
    parts, func = [], node.func
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if isinstance(func, ast.Name):
        parts.append(func.id)
    elif parts:
        parts.append("*")  # a call on an expression: only its method name is known
    else:
        return None
    return ".".join(reversed(parts))


def _matches(name: str, pattern: str) -> bool:
    regex = re.escape(pattern).replace(r"\*", r"[\w.]*")
    if pattern.startswith("*."):  # a method of anything: the last part(s) of the name
        return re.fullmatch(r"(?:[\w*]+\.)*" + re.escape(pattern[2:]).replace(r"\*", r"\w*"), name) is not None
    return re.fullmatch(regex, name) is not None


def families(node: ast.AST) -> set[str]:
    """The effect families of every call inside ``node``."""
    found: set[str] = set()
    for call in ast.walk(node):
        if not isinstance(call, ast.Call) or (name := _call_name(call)) is None:
            continue
        for family, patterns in FAMILIES.items():
            if family not in found and any(_matches(name, p) for p in patterns):
                found.add(family)
    return found


def _program(node: ast.AST) -> str | None:
    """The program a command names by a constant: ``tar`` in ``"tar czf " + x``, ``["tar", ...]``, f"tar {x}"."""
    if isinstance(node, (ast.List, ast.Tuple)) and node.elts:
        node = node.elts[0]
    while isinstance(node, ast.BinOp):
        node = node.left
    if isinstance(node, ast.JoinedStr) and node.values:
        node = node.values[0]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("split", "format"):
        return _program(node.func.value)  # "ls -l".split(), "ping {}".format(h)
    if isinstance(node, ast.Call) and node.args and (_call_name(node) or "").endswith("split"):
        return _program(node.args[0])  # shlex.split("tar czf ...")
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.split():
        return node.value.split()[0].rsplit("/", 1)[-1]
    return None


def _assigned(node: ast.AST) -> dict[str, ast.AST]:
    """Names assigned exactly once inside ``node`` (``command = f"ping {host}"``), with their values."""
    values: dict[str, list[ast.AST]] = {}
    for stmt in ast.walk(node):
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            values.setdefault(stmt.targets[0].id, []).append(stmt.value)
    return {name: found[0] for name, found in values.items() if len(found) == 1}


def _process_calls(node: ast.AST) -> list[tuple[str, ast.Call, ast.AST]]:
    """(call name, call, its command with a once-assigned name resolved) for each process call with arguments."""
    assigned = _assigned(node)
    found = []
    for call in ast.walk(node):
        if isinstance(call, ast.Call) and call.args and (name := _call_name(call)) is not None \
                and any(_matches(name, p) for p in FAMILIES["process"]):
            command = call.args[0]
            if isinstance(command, ast.Name) and command.id in assigned:
                command = assigned[command.id]
            found.append((name, call, command))
    return found


def programs(node: ast.AST) -> set[str]:
    """Programs that process calls inside ``node`` run by name (their command's first word, when constant)."""
    return {program for _, _, command in _process_calls(node) if (program := _program(command))}


def _one_string_without_shell(node: ast.AST) -> str | None:
    """The first subprocess call given a whole command line as one string and no shell, if any."""
    for name, call, command in _process_calls(node):
        if not name.startswith("subprocess.") or any(k.arg == "shell" and not (
                isinstance(k.value, ast.Constant) and k.value.value is False) for k in call.keywords):
            continue
        text = command.values[0] if isinstance(command, ast.JoinedStr) and command.values else command
        while isinstance(text, ast.BinOp):
            text = text.left
        if isinstance(text, ast.Constant) and isinstance(text.value, str) and " " in text.value.strip() \
                or isinstance(command, ast.JoinedStr) and isinstance(text, ast.Constant) and " " in str(text.value):
            return name
    return None


def _inputs_dropped(old: ast.AST, new: ast.AST) -> set[str]:
    """Parameters and local variables ``old`` uses in its body that ``new`` no longer uses.

    A local counts when ``new`` still assigns it: ``username = request.args.get(...)`` kept, but the template
    no longer given ``username``, computes the value and throws it away. A local that ``new`` no longer
    assigns either went with the code that needed it (a temporary of a rewritten line), which is allowed."""
    def params(node):
        return {a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg)} if hasattr(node, "args") else set()

    def names(node, context):
        return {n.id for stmt in node.body for n in ast.walk(stmt) if isinstance(n, ast.Name)
                and isinstance(n.ctx, context)}
    read_old, read_new = names(old, ast.Load), names(new, ast.Load)
    inputs = params(old) | (names(old, ast.Store) & names(new, ast.Store))
    return (inputs & read_old) - read_new


def _defs(tree: ast.Module) -> dict[str, ast.AST]:
    """Qualified name -> function or class node, for module-level and nested definitions."""
    found: dict[str, ast.AST] = {}

    def visit(body, prefix):
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{node.name}"
                found.setdefault(name, node)
                visit(node.body, f"{name}.")
            elif isinstance(node, (ast.If, ast.Try, ast.With)):  # conditional definitions count as the module's
                visit([n for block in ("body", "orelse", "finalbody") for n in getattr(node, block, [])], prefix)
    visit(tree.body, "")
    return found


def _signature(node: ast.AST) -> tuple | None:
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    a = node.args
    return (tuple(p.arg for p in a.posonlyargs), tuple(p.arg for p in a.args),
            a.vararg.arg if a.vararg else None, tuple(p.arg for p in a.kwonlyargs), a.kwarg.arg if a.kwarg else None)


def undefined_names(code: str) -> set[str]:
    """Names pyflakes reports undefined in ``code`` (empty when it does not parse)."""
    from pyflakes import checker, messages

    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return set()
    found = checker.Checker(tree, filename="<guard>")
    return {m.message_args[0] for m in found.messages if isinstance(m, messages.UndefinedName)}


# Words that say code computes expressions (a calculator): the guard and the eval-arithmetic fix share this test
COMPUTES = re.compile(r"calc|comput|expr|arith|formula|math|operator", re.I)
# "Evaluate" says so too, unless the text says what comes out is data: "evaluate it to a dictionary"
EVALUATES = re.compile(r"evaluat", re.I)
DATA_WORDS = frozenset({"dict", "dictionary", "dictionaries", "list", "lists", "tuple", "tuples", "json", "literal",
                        "literals"})


def computes(texts: Iterable[str | None]) -> bool:
    """Whether the names and prose in ``texts`` say the code computes expressions (a calculator, a formula)."""
    joined = " ".join(t for t in texts if t)
    if COMPUTES.search(joined):
        return True
    words = set(re.findall(r"[a-z]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", joined).lower()))
    return bool(EVALUATES.search(joined)) and not words & DATA_WORDS


def _literal_eval_for_arithmetic(old: ast.AST, new: ast.AST, name: str, context: str) -> str | None:
    calls = lambda node: {_call_name(c) for c in ast.walk(node) if isinstance(c, ast.Call)}
    if "eval" not in calls(old) or not any(n and n.endswith("literal_eval") for n in calls(new)):
        return None
    if computes([name, context, *(a.arg for a in ast.walk(old) if isinstance(a, ast.arg))]):
        return f"ast.literal_eval cannot compute the expressions eval did in {name}"
    return None


def function_guard(before: str, after: str, *, language: str = "python",
                   examples: Examples | None = None, context: str = "") -> str | None:
    """Why ``after`` does not keep what ``before`` does (one line), or ``None`` when it does."""
    if language != "python":
        return None
    try:
        old = ast.parse(before)
    except (SyntaxError, ValueError):
        old = None
    try:
        new = ast.parse(after)
    except (SyntaxError, ValueError) as exc:
        return None if old is None else f"the repair does not parse ({exc.msg}, line {exc.lineno})"
    if old is not None:
        if why := _compare_definitions(old, new, context):
            return why
        if added := undefined_names(after) - undefined_names(before):
            return f"the repair uses undefined name(s) {', '.join(sorted(added))}"
    if examples is not None and (why := examples(after)) and examples(before) is None:
        return f"the task's examples fail: {why}"  # they passed on the code it repairs
    return None


def _compare_definitions(old: ast.Module, new: ast.Module, context: str = "") -> str | None:
    old_defs, new_defs = _defs(old), _defs(new)
    for name, node in old_defs.items():
        kind = "class" if isinstance(node, ast.ClassDef) else "function"
        if name not in new_defs:
            return f"the repair drops {kind} {name}"
        if _signature(node) != _signature(new_defs[name]):
            return f"the repair changes the signature of {name}"
        if kind == "function":
            if why := _purpose_lost(node, new_defs[name], name) or _literal_eval_for_arithmetic(
                    node, new_defs[name], name, context):
                return why
    if not old_defs:  # a script or a fragment: the whole text's purpose
        return _purpose_lost(old, new, "the code")
    return None


def _purpose_lost(old: ast.AST, new: ast.AST, name: str) -> str | None:
    if lost := families(old) - families(new):
        return f"the repair removes what {name} does ({', '.join(sorted(lost))})"
    if lost := programs(old) - programs(new):
        return f"the repair no longer runs {', '.join(sorted(lost))} in {name}"
    if isinstance(old, (ast.FunctionDef, ast.AsyncFunctionDef)) and (lost := _inputs_dropped(old, new)):
        return f"the repair no longer uses {', '.join(sorted(lost))} in {name}"
    if (call := _one_string_without_shell(new)) and not _one_string_without_shell(old):
        return f"the repair passes {call} one command string without a shell in {name}"
    return None
