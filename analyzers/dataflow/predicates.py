"""The value tests rule conditions use, constant folding, and the nested-quantifier regex check.

A rule condition (``analyzers/dataflow/rules/README.md``) points at a value (a call's
argument or keyword, an assignment's value) and names tests it must pass:
``equals``, ``in``, ``not_in``, ``is``, ``int_below``, ``mask``, ``matches``,
``nested_quantifier``, ``has_key``, ``contains``, ``item``, ``made_by``,
``present`` and ``not_literal``. Each is a small function of the operand the
rule gives, the AST node, and a :class:`Lookup` the engine supplies (the
qualified name of an expression after the file's imports, and the value last
assigned to a variable), so a test sees through ``KEY_SIZE = 1024`` and
``parser = etree.XMLParser(...)``.

:func:`fold` evaluates constant expressions: literals, arithmetic and bit
operations on ints, names bound to constants, and the ``stat`` module's mode
bits (``stat.S_IWOTH | stat.S_IRWXU``).

:func:`nested_quantifier` is the regex check behind ``polynomial-redos``: an
unbounded repeat whose body can match the same text in more than one way
(``(a+)+``, ``(\\w+\\s?)*``, ``(.*,)*``, ``(a|a)*``) followed by something that can
fail (``$``, a literal), the shape that makes a backtracking engine take
exponential time on a near-miss input. A body whose
mandatory parts cannot be eaten by its inner repeat (``(\\s\\w+)*``,
``\\d+(\\.\\d+)*``) is unambiguous and passes. It reads the pattern with the
``re`` module's own parser; atomic groups and possessive repeats pass.
"""

from __future__ import annotations

import ast
import re
import stat
import warnings
from typing import Any, Callable, Mapping, Protocol

try:  # Python 3.11+ keeps the parser here; sre_parse is its deprecated alias
    from re import _constants as sre_c
    from re import _parser as sre_parse
except ImportError:  # pragma: no cover
    import sre_constants as sre_c  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

NOTHING: Any = object()  # fold()'s "not a constant"


class Lookup(Protocol):
    def qualname(self, node: ast.expr) -> str | None:
        """The dotted name after the file's imports (``sp.run`` -> ``subprocess.run``)."""
        ...

    def value(self, node: ast.expr) -> ast.expr | None:
        """The expression last assigned to a variable, when ``node`` names one."""
        ...

    def matches(self, name: str | None, patterns: Any) -> bool:
        """Does a qualified name match rule name patterns (``os.system``, ``*.execute``, ``hashlib.*``)?"""
        ...


def fold(node: ast.expr | None, lookup: Lookup, depth: int = 0) -> Any:
    """The constant value of ``node``, or :data:`NOTHING`."""
    if node is None or depth > 8:
        return NOTHING
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, (ast.Name, ast.Attribute)):
        name = lookup.qualname(node)
        if name and name.startswith("stat.") and name.count(".") == 1:
            value = getattr(stat, name[5:], NOTHING)
            return value if isinstance(value, int) else NOTHING
        assigned = lookup.value(node)
        return fold(assigned, lookup, depth + 1) if assigned is not None else NOTHING
    if isinstance(node, ast.UnaryOp):
        operand = fold(node.operand, lookup, depth + 1)
        if isinstance(operand, bool) or not isinstance(operand, (int, float)):
            return operand if isinstance(node.op, ast.UAdd) else NOTHING
        if isinstance(node.op, ast.USub):
            return -operand
        if isinstance(node.op, ast.Invert) and isinstance(operand, int):
            return ~operand
        return NOTHING
    if isinstance(node, ast.BinOp):
        left, right = fold(node.left, lookup, depth + 1), fold(node.right, lookup, depth + 1)
        if not (_is_int(left) and _is_int(right)):
            return NOTHING
        return _int_op(node.op, left, right)
    return NOTHING


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int_op(op: ast.operator, left: int, right: int) -> Any:
    if isinstance(op, ast.Pow):
        return left**right if 0 <= right <= 64 and abs(left) < 2**16 else NOTHING
    if isinstance(op, (ast.LShift,)):
        return left << right if 0 <= right <= 64 else NOTHING
    table: dict[type, Callable[[int, int], int]] = {
        ast.Add: lambda a, b: a + b,
        ast.Sub: lambda a, b: a - b,
        ast.Mult: lambda a, b: a * b,
        ast.BitOr: lambda a, b: a | b,
        ast.BitAnd: lambda a, b: a & b,
        ast.BitXor: lambda a, b: a ^ b,
        ast.FloorDiv: lambda a, b: a // b if b else NOTHING,
    }
    fn = table.get(type(op))
    return fn(left, right) if fn else NOTHING


def _same(a: Any, b: Any) -> bool:
    """Equality that keeps ``False`` and ``0`` apart."""
    return type(a) is type(b) and a == b or (_is_int(a) and isinstance(b, float) and a == b)


def _string(node: ast.expr | None, lookup: Lookup) -> str | None:
    value = fold(node, lookup)
    return value if isinstance(value, str) else None


def _elements(node: ast.expr | None, lookup: Lookup) -> list[ast.expr] | None:
    """The items of a list/tuple/set literal, through one variable."""
    if isinstance(node, (ast.Name, ast.Attribute)):
        node = lookup.value(node) or node
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return list(node.elts)
    return None


def _dict_items(node: ast.expr | None, lookup: Lookup) -> dict[str, ast.expr] | None:
    """A dict literal's (or ``dict(k=v)`` call's) constant-keyed entries, through one variable."""
    if isinstance(node, (ast.Name, ast.Attribute)):
        node = lookup.value(node) or node
    if isinstance(node, ast.Dict):
        return {k.value: v for k, v in zip(node.keys, node.values)
                if isinstance(k, ast.Constant) and isinstance(k.value, str)}
    if isinstance(node, ast.Call) and lookup.qualname(node.func) == "dict":
        return {kw.arg: kw.value for kw in node.keywords if kw.arg}
    return None


def _check_equals(operand, node, lookup) -> bool:
    return _same(fold(node, lookup), operand)


def _check_in(operand, node, lookup) -> bool:
    value = fold(node, lookup)
    return value is not NOTHING and any(_same(value, o) for o in operand)


def _check_not_in(operand, node, lookup) -> bool:
    value = fold(node, lookup)
    return value is not NOTHING and not any(_same(value, o) for o in operand)


def _check_is(operand, node, lookup) -> bool:
    if node is None:
        return False
    target = node
    if isinstance(node, ast.Name) and lookup.qualname(node) == node.id:
        target = lookup.value(node) or node  # a local alias of the constant
    return lookup.matches(lookup.qualname(target), operand)


def _check_int_below(operand, node, lookup) -> bool:
    value = fold(node, lookup)
    return _is_int(value) and value < operand


def _check_mask(operand, node, lookup) -> bool:
    value = fold(node, lookup)
    return _is_int(value) and bool(value & operand)


def _check_matches(operand, node, lookup) -> bool:
    text = _string(node, lookup)
    return text is not None and operand.search(text) is not None


def _check_nested_quantifier(operand, node, lookup) -> bool:
    text = fold(node, lookup)
    if isinstance(text, bytes):
        text = text.decode("latin-1")
    return isinstance(text, str) and nested_quantifier(text) == operand


def _check_has_key(operand, node, lookup) -> bool:
    items = _dict_items(node, lookup)
    if items is None:
        return False
    return all(key in items and check(checks, items[key], lookup) for key, checks in operand.items())


def _check_contains(operand, node, lookup) -> bool:
    elements = _elements(node, lookup)
    if elements is None:
        return False
    values = [fold(e, lookup) for e in elements]
    wanted = operand.lower() if isinstance(operand, str) else operand
    return any((v.lower() if isinstance(v, str) else v) == wanted for v in values if v is not NOTHING)


def _check_item(operand, node, lookup) -> bool:
    elements = _elements(node, lookup)
    index, checks = operand
    if elements is None or not -len(elements) <= index < len(elements):
        return False
    return check(checks, elements[index], lookup)


def _check_made_by(operand, node, lookup) -> bool:
    names, conditions = operand
    if isinstance(node, (ast.Name, ast.Attribute)):
        node = lookup.value(node) or node
    if not isinstance(node, ast.Call) or not lookup.matches(lookup.qualname(node.func), names):
        return False
    return all(condition.holds(node, lookup) for condition in conditions)


def _check_present(operand, node, lookup) -> bool:
    return (node is not None) == operand


def _check_not_literal(operand, node, lookup) -> bool:
    literal = isinstance(node, ast.Constant) or (
        isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.Constant)
    )
    return node is not None and literal != operand


CHECKS: dict[str, Callable[[Any, ast.expr | None, Lookup], bool]] = {
    "equals": _check_equals,
    "in": _check_in,
    "not_in": _check_not_in,
    "is": _check_is,
    "int_below": _check_int_below,
    "mask": _check_mask,
    "matches": _check_matches,
    "nested_quantifier": _check_nested_quantifier,
    "has_key": _check_has_key,
    "contains": _check_contains,
    "item": _check_item,
    "made_by": _check_made_by,
    "present": _check_present,
    "not_literal": _check_not_literal,
}


def check(checks: Mapping[str, Any], node: ast.expr | None, lookup: Lookup) -> bool:
    """Do all the tests hold for ``node`` (``None``: the argument is absent)?"""
    for name, operand in checks.items():
        if name != "present" and node is None:
            return False
        if not CHECKS[name](operand, node, lookup):
            return False
    return True


# --- the nested-quantifier check -------------------------------------------------------------

_UNIVERSE = frozenset(chr(i) for i in range(128)) | frozenset("é\u00a0٣")
_CATEGORIES = {
    "DIGIT": frozenset(c for c in _UNIVERSE if c.isdigit()),
    "WORD": frozenset(c for c in _UNIVERSE if c.isalnum() or c == "_"),
    "SPACE": frozenset(c for c in _UNIVERSE if c.isspace()),
    "LINEBREAK": frozenset("\n"),
}
_REPEATS = {sre_c.MAX_REPEAT, sre_c.MIN_REPEAT}


def _category(code) -> frozenset[str]:
    name = str(code).removeprefix("CATEGORY_").removeprefix("UNI_").removeprefix("LOC_")
    negate = name.startswith("NOT_")
    chars = _CATEGORIES.get(name.removeprefix("NOT_"), _UNIVERSE)
    return _UNIVERSE - chars if negate else chars


def _charset(op, av) -> frozenset[str] | None:
    """The characters a one-character item matches (over a small universe), or ``None``."""
    if op == sre_c.LITERAL:
        return frozenset({chr(av)})
    if op == sre_c.NOT_LITERAL:
        return _UNIVERSE - {chr(av)}
    if op == sre_c.ANY:
        return _UNIVERSE - {"\n"}
    if op == sre_c.CATEGORY:
        return _category(av)
    if op == sre_c.IN:
        chars: set[str] = set()
        negate = False
        for sub_op, sub_av in av:
            if sub_op == sre_c.NEGATE:
                negate = True
            elif sub_op == sre_c.RANGE:
                chars.update(c for c in _UNIVERSE if sub_av[0] <= ord(c) <= sub_av[1])
            else:
                chars.update(_charset(sub_op, sub_av) or ())
        return _UNIVERSE - chars if negate else frozenset(chars)
    if op == sre_c.SUBPATTERN and len(av[-1]) == 1:
        return _charset(*av[-1][0])
    return None


def _nullable(op, av) -> bool:
    if op in _REPEATS:
        return av[0] == 0 or all(_nullable(*item) for item in av[2])
    if op == sre_c.SUBPATTERN:
        return all(_nullable(*item) for item in av[-1])
    if op == sre_c.BRANCH:
        return any(all(_nullable(*item) for item in branch) for branch in av[1])
    return op in (sre_c.AT, sre_c.ASSERT, sre_c.ASSERT_NOT, sre_c.GROUPREF)


def _unwrap(items: list) -> list:
    """A body that is one capturing/non-capturing group is read as the group's items."""
    while len(items) == 1 and items[0][0] == sre_c.SUBPATTERN:
        items = list(items[0][1][-1])
    return items


def _ambiguous_body(items: list) -> bool:
    """Can one iteration's text be split between iterations in several ways?"""
    items = _unwrap(list(items))
    if len(items) == 1 and items[0][0] == sre_c.BRANCH:
        branches = [_unwrap(list(b)) for b in items[0][1][1]]
        firsts = [_charset(*b[0]) if len(b) == 1 else None for b in branches]
        for i, a in enumerate(firsts):
            for b in firsts[i + 1:]:
                if a is not None and b is not None and a & b:
                    return True
        return any(_ambiguous_body(b) for b in branches)
    for op, av in items:
        # re's parser factors a common prefix out of alternatives: (a|a) becomes a(?:|), two equal branches
        if op == sre_c.BRANCH and len({repr(b) for b in av[1]}) < len(av[1]):
            return True
    items = [_unwrap([item])[0] if item[0] == sre_c.SUBPATTERN else item for item in items]
    for index, (op, av) in enumerate(items):
        if op not in _REPEATS or av[1] != sre_c.MAXREPEAT or all(_nullable(*i) for i in av[2]):
            continue
        inner = _charset(*av[2][0]) if len(av[2]) == 1 else None
        mandatory = [item for k, item in enumerate(items) if k != index and not _nullable(*item)]
        if not mandatory:
            return True
        if inner is not None and all((cs := _charset(*m)) is not None and cs <= inner for m in mandatory):
            return True
    return False


def _can_fail(op, av) -> bool:
    """Can this item reject the input (so that the engine backtracks into what came before)?"""
    if op == sre_c.AT:
        return av not in (sre_c.AT_BEGINNING, sre_c.AT_BEGINNING_STRING, sre_c.AT_BEGINNING_LINE)
    if op in (sre_c.ASSERT, sre_c.ASSERT_NOT):
        return True
    return not _nullable(op, av)


def _has_nested(items, suffix: bool = False) -> bool:
    """An ambiguous repeat with something after it that can fail (``(a+)+$``; a bare ``(a+)+`` just matches)."""
    items = list(items)
    for index, (op, av) in enumerate(items):
        after = suffix or any(_can_fail(*item) for item in items[index + 1:])
        if op in _REPEATS:
            if after and av[1] == sre_c.MAXREPEAT and _ambiguous_body(av[2]):
                return True
            if _has_nested(av[2], after):
                return True
        elif op == sre_c.SUBPATTERN:
            if _has_nested(av[-1], after):
                return True
        elif op == sre_c.BRANCH:
            if any(_has_nested(b, after) for b in av[1]):
                return True
        elif op in (sre_c.ASSERT, sre_c.ASSERT_NOT):
            if _has_nested(av[1], True):
                return True
    return False


def nested_quantifier(pattern: str) -> bool:
    """Does the regex hold an ambiguous nested repeat (exponential backtracking)? False when it does not compile."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Possible nested set" FutureWarnings about the user's pattern
            parsed = sre_parse.parse(pattern)
    except (re.error, RecursionError, OverflowError, ValueError):
        return False
    return _has_nested(list(parsed))
