"""Mechanical fixes that swap an unsafe library call for the safe call of the same library.

Each remedy here is the one the analyzer's own message names, applied only where it keeps
what the code does:

* ``yaml-safe-load``: ``yaml.load`` with no or an object-building loader -> ``yaml.safe_load``.
* ``secure-tempfile``: ``name = tempfile.mktemp()`` -> ``fd, name = tempfile.mkstemp()`` and
  ``os.close(fd)``, unless ``name`` is later used in a way that needs the file not to exist.
* ``requests-timeout``, ``requests-verify``, ``flask-debug-off``, ``jinja2-autoescape``:
  one keyword added, changed or removed.
* ``chmod-least-privilege``: the flagged permission bits cleared from a literal mode.
* ``eval-literal``: ``eval(x)`` -> ``ast.literal_eval(x)`` only where the code reads a literal (a list,
  dict, number: names such as ``data``, ``config``, ``line``); never where the function, the argument,
  the names around it or the task speak of expressions (``calc``, ``expr``, ``formula``, ``math``, an
  operator in a constant), since ``ast.literal_eval("2+3")`` raises. ``exec`` is never rewritten.

Every fix returns ``None`` for a shape it cannot rewrite with certainty; the model tiers
get those findings. The XML parser fixes (``defusedxml``, ``lxml-safe-parser``) are in
:mod:`secgen.engine.fixes.xml`; the helpers these fixes share are in :mod:`secgen.engine.fixes.base`.
"""

from __future__ import annotations

import ast
import re
import stat

from secgen.analyzers import Finding
from secgen.engine.fixes.base import (Document, Edit, SimpleFix, add_keyword, attribute_name_span, drop_import,
                                      flagged_call, has_star_arguments, import_statement_of, insert_after,
                                      is_constant, keyword, name_loads, owns_its_lines, rebound, remove_keyword)
from secgen.engine.guard import DATA_WORDS


# -- yaml-safe-load ------------------------------------------------------------------------------------------

_YAML_SAFE = {"load": "safe_load", "load_all": "safe_load_all", "unsafe_load": "safe_load",
              "full_load": "safe_load", "unsafe_load_all": "safe_load_all", "full_load_all": "safe_load_all"}
_YAML_UNSAFE_LOADERS = frozenset({"Loader", "FullLoader", "UnsafeLoader", "CLoader", "CFullLoader", "CUnsafeLoader"})


def _yaml_safe_load(doc: Document, finding: Finding) -> list[Edit] | None:
    def accept(call: ast.Call) -> bool:
        func = call.func
        return isinstance(func, ast.Attribute) and func.attr in _YAML_SAFE \
            and doc.qualified(func) == f"yaml.{func.attr}" and not has_star_arguments(call)

    call = flagged_call(doc, finding, accept)
    if call is None or len(call.args) > 2:
        return None
    loader = keyword(call, "Loader")
    loader_node = loader.value if loader else (call.args[1] if len(call.args) == 2 else None)
    if loader and len(call.args) == 2:
        return None
    edits = []
    if loader_node is not None:
        if call.func.attr not in ("load", "load_all"):
            return None
        qualified = doc.qualified(loader_node)
        if qualified is None or not qualified.startswith("yaml.") or qualified[5:] not in _YAML_UNSAFE_LOADERS:
            return None
        if loader:
            edits.append(remove_keyword(doc, call, "Loader"))
        else:
            edits.append(Edit(start=doc.span(call.args[0])[1], end=doc.span(loader_node)[1], new=""))
        if isinstance(loader_node, ast.Name) and len(name_loads(doc, loader_node.id)) == 1:
            binding = import_statement_of(doc, loader_node.id)
            if binding is None or (drop := drop_import(doc, *binding)) is None:
                return None
            edits.append(drop)
    span = attribute_name_span(doc, call.func)
    if span is None:
        return None
    edits.append(Edit(start=span[0], end=span[1], new=_YAML_SAFE[call.func.attr]))
    return edits


YAML_SAFE_LOAD = SimpleFix(
    name="yaml-safe-load",
    rules=frozenset({"B506", "unsafe-deserialization"}),
    description="yaml.load / unsafe_load / full_load (with no or an object-building Loader) -> yaml.safe_load",
    function=_yaml_safe_load,
)


# -- secure-tempfile -----------------------------------------------------------------------------------------

# Calls that fail, or mean something else, when the path already exists (mkstemp creates the file).
_NEEDS_NO_FILE = frozenset({"os.mkdir", "os.makedirs", "os.mkfifo", "os.mknod", "os.symlink", "os.link", "os.open",
                            "os.path.exists", "os.path.lexists", "os.path.isfile", "os.path.isdir", "os.path.join",
                            "shutil.copytree", "shutil.unpack_archive", "pathlib.Path", "Path", "os.system",
                            "os.popen"})
_NEEDS_NO_FILE_METHODS = frozenset({"mkdir", "makedirs", "bind", "symlink_to", "hardlink_to", "extractall"})


def _keeps_working_with_a_file(doc: Document, use: ast.Name) -> bool:
    """``use`` of the temp name does the same whether or not the file exists: an argument of an ordinary call
    (``open(name, "w")``, ``shutil.copy(src, name)``), a return or an assignment."""
    parent = doc.parents.get(use)
    if isinstance(parent, ast.keyword):
        parent = doc.parents.get(parent)
    if isinstance(parent, (ast.Return, ast.Assign)) or isinstance(parent, ast.Tuple) \
            and isinstance(doc.parents.get(parent), ast.Return):
        return True
    if not isinstance(parent, ast.Call) or parent.func is use:
        return False
    name = doc.qualified(parent.func) or ""
    if name in _NEEDS_NO_FILE or name.startswith("subprocess.") or name.rpartition(".")[2] in _NEEDS_NO_FILE_METHODS:
        return False
    if name in ("open", "io.open", "codecs.open"):  # exclusive creation fails on an existing file
        mode = parent.args[1] if len(parent.args) > 1 else getattr(keyword(parent, "mode"), "value", None)
        return not (isinstance(mode, ast.Constant) and "x" in str(mode.value))
    return True


def _secure_tempfile(doc: Document, finding: Finding) -> list[Edit] | None:
    call = flagged_call(doc, finding, lambda c: isinstance(c.func, ast.Attribute)
                        and doc.qualified(c.func) == "tempfile.mktemp")
    if call is None or has_star_arguments(call):
        return None
    statement = doc.statement_of(call)
    if not (isinstance(statement, ast.Assign) and statement.value is call and len(statement.targets) == 1
            and isinstance(target := statement.targets[0], ast.Name) and owns_its_lines(doc, statement)):
        return None
    scope = doc.function_of(statement) or doc.tree
    uses = [n for n in ast.walk(scope) if isinstance(n, ast.Name) and n.id == target.id and n is not target]
    if not all(isinstance(n.ctx, ast.Load) and _keeps_working_with_a_file(doc, n) for n in uses):
        return None
    if doc.imports().get("os", "os") != "os" or (rebound(doc, "os") and "os" not in doc.imports()):
        return None
    span = attribute_name_span(doc, call.func)
    if span is None:
        return None
    descriptor = doc.fresh_name(call, "fd")
    start = doc.span(target)[0]
    edits = [Edit(start=start, end=start, new=f"{descriptor}, "), Edit(start=span[0], end=span[1], new="mkstemp"),
             insert_after(doc, statement, f"os.close({descriptor})")]
    if (added := doc.ensure_import("import os")) is not None:
        edits.append(added)
    return edits


SECURE_TEMPFILE = SimpleFix(
    name="secure-tempfile",
    rules=frozenset({"B306"}),
    description="name = tempfile.mktemp(...) -> fd, name = tempfile.mkstemp(...); os.close(fd)",
    function=_secure_tempfile,
)


# -- requests-timeout / requests-verify ----------------------------------------------------------------------

_HTTP_VERBS = frozenset({"get", "options", "head", "post", "put", "patch", "delete"})
_HTTPX_CALLS = _HTTP_VERBS | {"request", "stream", "Client", "AsyncClient"}
DEFAULT_TIMEOUT = "10"


def _requests_timeout(doc: Document, finding: Finding) -> list[Edit] | None:
    def accept(call: ast.Call) -> bool:
        library, _, name = (doc.qualified(call.func) or "").rpartition(".")
        return (library == "requests" and name in _HTTP_VERBS or library == "httpx" and name in _HTTPX_CALLS) \
            and not has_star_arguments(call)

    call = flagged_call(doc, finding, accept)
    if call is None:
        return None
    timeout = keyword(call, "timeout")
    if timeout is None:
        return [add_keyword(doc, call, f"timeout={DEFAULT_TIMEOUT}")] \
            if doc.qualified(call.func).startswith("requests.") else None
    if is_constant(timeout.value, None):
        start, end = doc.span(timeout.value)
        return [Edit(start=start, end=end, new=DEFAULT_TIMEOUT)]
    return None


REQUESTS_TIMEOUT = SimpleFix(
    name="requests-timeout",
    rules=frozenset({"B113"}),
    description=f"requests.get/post/... without a timeout (or timeout=None) -> timeout={DEFAULT_TIMEOUT}",
    function=_requests_timeout,
)


def _requests_verify(doc: Document, finding: Finding) -> list[Edit] | None:
    call = flagged_call(doc, finding, lambda c: isinstance(c.func, ast.Attribute)
                        and is_constant(getattr(keyword(c, "verify"), "value", None), False))
    return [remove_keyword(doc, call, "verify")] if call is not None else None


REQUESTS_VERIFY = SimpleFix(
    name="requests-verify",
    rules=frozenset({"B501", "request-without-cert-validation"}),
    description="verify=False removed from a requests / httpx call (certificates checked again)",
    function=_requests_verify,
)


# -- flask-debug-off / jinja2-autoescape ---------------------------------------------------------------------

def _flask_debug_off(doc: Document, finding: Finding) -> list[Edit] | None:
    call = flagged_call(doc, finding, lambda c: isinstance(c.func, ast.Attribute) and c.func.attr == "run"
                        and is_constant(getattr(keyword(c, "debug"), "value", None), True))
    return [remove_keyword(doc, call, "debug")] if call is not None else None


FLASK_DEBUG_OFF = SimpleFix(
    name="flask-debug-off",
    rules=frozenset({"B201", "flask-debug"}),
    description="app.run(..., debug=True) -> the debug=True argument removed",
    function=_flask_debug_off,
)

# Template names that say the output is not HTML: escaping it would change it.
_PLAIN_TEXT_TEMPLATE = re.compile(r"\.(txt|text|sql|ya?ml|json|ini|cfg|conf|toml|py|sh|md|csv|tex|j2)\b", re.I)


def _jinja2_autoescape(doc: Document, finding: Finding) -> list[Edit] | None:
    call = flagged_call(doc, finding, lambda c: (doc.qualified(c.func) or "").split(".")[0] == "jinja2"
                        and (doc.qualified(c.func) or "").endswith(".Environment"))
    if call is None or has_star_arguments(call):
        return None
    scope = doc.function_of(call) or doc.tree
    if any(isinstance(n, ast.Constant) and isinstance(n.value, str) and _PLAIN_TEXT_TEMPLATE.search(n.value)
           for n in ast.walk(scope)):
        return None
    autoescape = keyword(call, "autoescape")
    if autoescape is None:
        return [add_keyword(doc, call, "autoescape=True")]
    if is_constant(autoescape.value, False):
        start, end = doc.span(autoescape.value)
        return [Edit(start=start, end=end, new="True")]
    return None


JINJA2_AUTOESCAPE = SimpleFix(
    name="jinja2-autoescape",
    rules=frozenset({"B701"}),
    description="jinja2.Environment(...) without autoescape, or autoescape=False -> autoescape=True "
                "(left alone when its templates are not HTML: .txt, .sql, .yaml...)",
    function=_jinja2_autoescape,
)


# -- chmod-least-privilege -----------------------------------------------------------------------------------

# What each analyzer flags: Bandit's B103 any group/other write or execute bit on a chmod; the dataflow
# analyzer's overly-permissive-file a world-write bit on chmod and on the modes files and directories are
# created with. A fix clears exactly those bits: the owner keeps every right, group and others keep read
# (chmod) or read and execute (a created directory stays traversable).
_CHMOD_FLAGGED = stat.S_IWGRP | stat.S_IXGRP | stat.S_IWOTH | stat.S_IXOTH
_CREATE_FLAGGED = stat.S_IWGRP | stat.S_IWOTH
_CREATE_MODE_AT = {"os.mkdir": 1, "os.makedirs": 1, "os.mkfifo": 1, "os.open": 2}
_STAT_SPECIAL = (("S_ISUID", stat.S_ISUID), ("S_ISGID", stat.S_ISGID), ("S_ISVTX", stat.S_ISVTX))
_STAT_CLASSES = (("U", "USR", stat.S_IRWXU), ("G", "GRP", stat.S_IRWXG), ("O", "OTH", stat.S_IRWXO))


def _mode_argument(doc: Document, call: ast.Call) -> tuple[ast.expr, int] | None:
    """The mode ``call`` sets and the bits an analyzer flags in it."""
    name = doc.qualified(call.func) or ""
    method = call.func.attr if isinstance(call.func, ast.Attribute) else name
    given = getattr(keyword(call, "mode"), "value", None)
    if method == "chmod" or name in ("os.chmod", "os.fchmod", "os.lchmod"):
        if given is None and len(call.args) in (1, 2) and (len(call.args) == 2 or not name.startswith("os.")):
            given = call.args[-1]  # Path.chmod(mode), os.chmod(path, mode), sftp.chmod(path, mode)
        return (given, _CHMOD_FLAGGED) if given is not None else None
    if name in _CREATE_MODE_AT and given is None and len(call.args) > _CREATE_MODE_AT[name]:
        given = call.args[_CREATE_MODE_AT[name]]
    if given is not None and (name in _CREATE_MODE_AT or method in ("mkdir", "touch")):
        return given, _CREATE_FLAGGED
    return None


def _mode_value(doc: Document, node: ast.expr) -> tuple[int, str | None] | None:
    """(value, the name ``stat`` is imported as when the mode is written with it) of a literal mode:
    an integer, ``stat.S_I*`` constants, or both joined with ``|``."""
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value, None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        left, right = _mode_value(doc, node.left), _mode_value(doc, node.right)
        return (left[0] | right[0], left[1] or right[1]) if left and right else None
    qualified = doc.qualified(node) or ""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and qualified.startswith("stat.S_I") \
            and isinstance(value := getattr(stat, qualified[5:], None), int):
        return value, node.value.id
    return None


def stat_expression(module: str, mode: int) -> str:
    """``mode`` written with ``stat`` constants (``stat.S_IRWXU | stat.S_IRGRP``)."""
    names = [name for name, bit in _STAT_SPECIAL if mode & bit]
    for short, long, mask in _STAT_CLASSES:
        if mode & mask == mask:
            names.append(f"S_IRWX{short}")
        else:
            names += [f"S_I{right}{long}" for right, bits in (("R", 0o444), ("W", 0o222), ("X", 0o111))
                      if mode & mask & bits]
    return " | ".join(f"{module}.{name}" for name in names) or "0"


def _chmod_least_privilege(doc: Document, finding: Finding) -> list[Edit] | None:
    call = flagged_call(doc, finding, lambda c: _mode_argument(doc, c) is not None)
    if call is None:
        return None
    node, flagged = _mode_argument(doc, call)
    found = _mode_value(doc, node)
    if found is None or not found[0] & flagged:
        return None
    mode, module = found[0] & ~flagged, found[1]
    start, end = doc.span(node)
    return [Edit(start=start, end=end, new=stat_expression(module, mode) if module else oct(mode))]


CHMOD_LEAST_PRIVILEGE = SimpleFix(
    name="chmod-least-privilege",
    rules=frozenset({"B103", "overly-permissive-file"}),
    description="a literal permission mode loses the group/other bits flagged (0o777 -> 0o744 on chmod, "
                "0o755 on mkdir)",
    function=_chmod_least_privilege,
)


# -- eval-literal --------------------------------------------------------------------------------------------

# Words that say the evaluated text is data (a list, a dict, a number...): one must be there.
_LITERAL_WORDS = frozenset({"data", "config", "cfg", "conf", "settings", "setting", "options", "value", "values",
                            "val", "payload", "line", "lines", "literal", "literals", "s", "string", "str", "text",
                            "raw", "list", "lists", "dict", "dictionary", "tuple", "tuples", "number", "numbers",
                            "items", "item", "record", "row", "parse", "parsed", "parsing", "load", "loads",
                            "content", "contents", "entry", "obj", "structure", "json", "repr", "representation",
                            "serialized", "deserialize", "field"})
# Words that say it is an expression or code: literal_eval would refuse it ("2+3" raises).
_EXPRESSION_WORDS = frozenset({"calc", "calculate", "calculator", "calculation", "compute", "computes",
                               "computation", "expression", "expressions", "expr", "exp", "formula", "formulas",
                               "math", "maths", "arithmetic", "equation", "equations", "operator", "operators",
                               "operation", "operations", "op", "ops", "evaluate", "evaluates", "evaluating",
                               "evaluator", "interpret", "interpreter", "code", "command", "cmd", "script",
                               "lambda", "function", "func", "callback", "execute", "run", "plus", "minus",
                               "multiply", "divide", "add", "subtract", "sum", "product", "result", "answer",
                               "total"})
_EVALUATE_WORDS = frozenset({"evaluate", "evaluates", "evaluating", "evaluator"})
# Names anywhere in the function (or the file's imports) that say expressions are around: ``math.sqrt``,
# ``operator.add``, ``sympy``... Narrower than the words above: ``sum(values)`` of a parsed list is data work.
_EXPRESSION_NAMES = frozenset({"math", "cmath", "operator", "sympy", "numexpr", "calc", "calculate", "calculator",
                               "compute", "expression", "expr", "formula", "arithmetic", "equation", "evaluate"})
_ARITHMETIC = re.compile(r"\d\s*[-+*/%^]\s*[\d(]|[\w)]\s*(\*\*|//)\s*[\w(]")


def words(text: str) -> set[str]:
    """The lower-case words of identifiers and prose (``parseConfig_line`` -> parse, config, line)."""
    return set(re.findall(r"[a-z]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", text).lower()))


def _reads_a_literal(doc: Document, call: ast.Call) -> bool:
    """Whether ``eval``'s argument is data. Read from the function's name and parameters, the names the result
    is assigned to, the argument's names and strings, the function's strings (prompts, docstring) and the task
    description: a data word (``data``, ``config``, ``line``, ``list``...) must appear, no expression word
    (``calc``, ``expr``, ``formula``, ``result``...), no name of an expression library in the function or
    the imports (``math``, ``operator``, ``sympy``) and no arithmetic in a string constant. A constant
    argument is data when ``ast.literal_eval`` reads it."""
    function = doc.function_of(call)
    statement = doc.statement_of(call)
    argument = call.args[0]
    text = [doc.context, doc.segment(argument)]
    if function is not None:
        text += [function.name, *(a.arg for a in ast.walk(function.args) if isinstance(a, ast.arg))]
    if isinstance(statement, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        text += [doc.segment(t) for t in targets]
    strings = [n.value for n in ast.walk(function or argument)
               if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    if isinstance(argument, ast.Constant):  # eval("[1, 2]"): the constant says it all
        try:
            ast.literal_eval(argument.value)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            return False
        return True
    found = words(" ".join(text + strings))
    names = words(" ".join([*doc.imports(), *(n.id for n in ast.walk(function or argument) if isinstance(n, ast.Name)),
                            *(n.attr for n in ast.walk(function or argument) if isinstance(n, ast.Attribute))]))
    expression = found & _EXPRESSION_WORDS
    if found & DATA_WORDS:  # "evaluate it to a dictionary": evaluating data, not an expression
        expression -= _EVALUATE_WORDS
    return bool(found & _LITERAL_WORDS) and not expression and not names & _EXPRESSION_NAMES \
        and not any(_ARITHMETIC.search(s) for s in strings + [doc.context])


def _eval_literal(doc: Document, finding: Finding) -> list[Edit] | None:
    call = flagged_call(doc, finding, lambda c: isinstance(c.func, ast.Name) and c.func.id == "eval")
    if call is None or len(call.args) != 1 or call.keywords or has_star_arguments(call) or rebound(doc, "eval") \
            or "eval" in doc.imports():
        return None
    argument = call.args[0]
    if isinstance(argument, (ast.JoinedStr, ast.BinOp)) or isinstance(argument, ast.Call) \
            and isinstance(argument.func, ast.Attribute) and argument.func.attr == "format":
        return None  # code built from pieces: an expression, not data
    if not _reads_a_literal(doc, call):
        return None
    if doc.imports().get("ast", "ast") != "ast" or rebound(doc, "ast"):
        return None
    start, end = doc.span(call.func)
    edits = [Edit(start=start, end=end, new="ast.literal_eval")]
    if (added := doc.ensure_import("import ast")) is not None:
        edits.append(added)
    return edits


EVAL_LITERAL = SimpleFix(
    name="eval-literal",
    rules=frozenset({"B307", "code-injection"}),
    description="eval(text) that reads a literal (a list, dict, number...) -> ast.literal_eval(text); "
                "left alone for expressions and code",
    function=_eval_literal,
)


FIXES = (YAML_SAFE_LOAD, SECURE_TEMPFILE, REQUESTS_TIMEOUT, REQUESTS_VERIFY, FLASK_DEBUG_OFF, JINJA2_AUTOESCAPE,
         CHMOD_LEAST_PRIVILEGE, EVAL_LITERAL)
