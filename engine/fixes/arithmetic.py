"""``eval`` of an arithmetic expression -> a small evaluator that computes numbers and operators only.

``ast.literal_eval`` is the remedy for ``eval`` of data, but a calculator's
``eval("2 + 3")`` is arithmetic, which ``literal_eval`` refuses, and the
function guard refuses that swap (:mod:`secgen.engine.guard`). This fix keeps
the calculator computing: ``eval(expression)`` becomes ``_arithmetic(expression)``
and the helper below is added above the function, with the imports it needs.
It parses the text (``ast.parse(..., mode="eval")``) and evaluates numbers,
``+ - * / // % **``, unary ``+ -`` and parentheses; anything else (a name, a
call, an attribute) raises ``ValueError``. Exponents are capped at 100 so
``9 ** 9 ** 9`` cannot stall the process. Division by zero still raises
``ZeroDivisionError``, as ``eval`` did.

It applies where the code computes expressions (the function, its
parameters, the result's name or the task speak of calculating, expressions,
arithmetic or formulas, or of evaluating without saying that a dict or a list
comes out: the same test as the guard's, :func:`secgen.engine.guard.computes`) and the call is ``eval(x)`` with one
argument; ``eval-literal`` (in :mod:`~secgen.engine.fixes.apis`) takes the
calls that read data.
"""

from __future__ import annotations

import ast

from secgen.analyzers import Finding
from secgen.engine.fixes.base import Document, Edit, SimpleFix
from secgen.engine.guard import computes


HELPER = '''_ARITHMETIC = {{ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
               ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow,
               ast.USub: operator.neg, ast.UAdd: operator.pos}}


def {name}(expression):
    """The value of an arithmetic expression: numbers, + - * / // % ** and parentheses, nothing else."""
    def value(node):
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in _ARITHMETIC:
            left, right = value(node.left), value(node.right)
            if isinstance(node.op, ast.Pow) and abs(right) > 100:
                raise ValueError("exponent too large")
            return _ARITHMETIC[type(node.op)](left, right)
        if isinstance(node, ast.UnaryOp) and type(node.op) in _ARITHMETIC:
            return _ARITHMETIC[type(node.op)](value(node.operand))
        raise ValueError("not an arithmetic expression")
    return value(ast.parse(str(expression).strip(), mode="eval").body)


'''


def _computes(doc: Document, call: ast.Call) -> bool:
    function = doc.function_of(call)
    words = [doc.context]
    if function is not None:
        words += [function.name, *(a.arg for a in ast.walk(function.args) if isinstance(a, ast.arg))]
    words += [n.id for n in ast.walk(call.args[0]) if isinstance(n, ast.Name)]
    statement = doc.statement_of(call)
    if isinstance(statement, ast.Assign):  # content_dict = eval(...): the result is data, not a number
        words += [doc.segment(t) for t in statement.targets]
    return computes(words)


def _eval_arithmetic(doc: Document, finding: Finding) -> list[Edit] | None:
    calls = [c for c in doc.nodes_at(finding) if isinstance(c.func, ast.Name) and c.func.id == "eval"
             and len(c.args) == 1 and not c.keywords and not isinstance(c.args[0], ast.Starred)]
    if not calls or not _computes(doc, calls[0]):
        return None
    call = calls[0]
    top = doc.statement_of(call)
    while doc.parents.get(top) is not doc.tree and top in doc.parents:
        top = doc.statement_of(doc.parents[top])
    if "_ARITHMETIC" in {n.id for n in doc.nodes(ast.Name)}:
        return None  # someone's table of that name: do not shadow it
    name = doc.fresh_name(doc.tree, "_arithmetic")
    first = min([top.lineno, *(d.lineno for d in getattr(top, "decorator_list", []))])
    at = doc.line_offset(first - 1)
    edits = [e for e in (doc.ensure_import("import ast"), doc.ensure_import("import operator")) if e is not None]
    edits += [Edit(start=at, end=at, new=HELPER.format(name=name)),
              Edit(start=doc.span(call.func)[0], end=doc.span(call.func)[1], new=name)]
    return _merge_same_point(edits)  # the imports first where they land at the same point as the helper


def _merge_same_point(edits: list[Edit]) -> list[Edit]:
    """Two insertions at one offset (both imports) become one edit, in order."""
    merged: dict[tuple[int, int], Edit] = {}
    for e in edits:
        key = (e.start, e.end)
        merged[key] = Edit(start=e.start, end=e.end, new=merged[key].new + e.new) if key in merged and e.start == e.end \
            else e
    return list(merged.values())


FIXES = (SimpleFix(
    name="eval-arithmetic",
    rules=frozenset({"B307", "code-injection"}),
    description="eval of an arithmetic expression -> a small evaluator of numbers and operators (names and calls refused)",
    function=_eval_arithmetic,
),)
