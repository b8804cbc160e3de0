"""Building strings: f-strings, ``%``, ``.format``, ``+``, ``str.join`` and path joins.

A value built from parts learns, for each tainted part, the text before it
(its ``prefix``) and the literal text around it (its ``text``): literal
parts read as themselves, names bound to string constants as their value,
other untainted parts as ``{}``. Rules use this to tell
``os.path.join(BASE, name)`` (joined after a base) from a bare ``name``, SQL
around a value from a value alone, and a fixed host before a URL path from a
whole URL. Number formats (``f"{x:d}"``, ``"%d" % x``) make a part clean;
``!r`` and ``%r`` count as a call to ``repr`` (its sanitizers apply).
:class:`Builders` is a mixin of the scope walker.
"""

from __future__ import annotations

import ast
import re
import string

from secgen.analyzers.dataflow.values import EMPTY, Part, Taint, build, union, with_cleared

_PRINTF = re.compile(r"%(?:\((\w+)\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?([diouxXeEfFgGcrsa%])")
_NUMERIC_SPEC = re.compile(r"[bcdoxXneEfFgG%]$")


class Builders:
    """The string-building half of expression evaluation."""

    def part(self, node: ast.expr) -> Part:
        taints = self.ev(node)
        if taints:
            return Part("{}", taints)
        text = self.literal(node)
        return Part(text if text is not None else "{}")

    def as_repr(self, part: Part) -> Part:
        """``f"{x!r}"`` and ``"%r" % x`` are calls to ``repr``: its sanitizers apply."""
        cleared = self.sanitized("repr", None)
        return Part(part.text, with_cleared(part.taints, cleared)) if cleared else part

    def ev_JoinedStr(self, node: ast.JoinedStr) -> frozenset[Taint]:
        parts = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(Part(str(value.value)))
                continue
            spec = value.format_spec
            if spec is not None:
                self.ev(spec)
            spec_text = ""
            if isinstance(spec, ast.JoinedStr):
                spec_text = "".join(v.value for v in spec.values if isinstance(v, ast.Constant))
            part = self.part(value.value)
            if part.taints is not None and _NUMERIC_SPEC.search(spec_text):
                part = Part("{}")  # f"{x:d}" only formats numbers
            elif part.taints is not None and value.conversion == ord("r"):
                part = self.as_repr(part)
            parts.append(part)
        return build(parts) if any(p.taints for p in parts) else EMPTY

    def ev_BinOp(self, node: ast.BinOp) -> frozenset[Taint]:
        if isinstance(node.op, ast.Add):
            operands = _flatten_add(node)
            parts = [self.part(o) for o in operands]
            return build(parts) if any(p.taints for p in parts) else EMPTY
        if isinstance(node.op, ast.Mod):
            fmt = self.literal(node.left)
            if fmt is not None:
                return self.printf(fmt, node.right)
        if isinstance(node.op, ast.Div):
            left, right = self.part(node.left), self.part(node.right)
            if (left.taints or right.taints) and not _number(node.left) and not _number(node.right):
                return build([left, Part("/"), right])
            return union(p.taints or EMPTY for p in (left, right))
        return self.ev(node.left) | self.ev(node.right)

    def printf(self, fmt: str, args: ast.expr) -> frozenset[Taint]:
        named = isinstance(args, ast.Dict)
        values = list(args.elts) if isinstance(args, ast.Tuple) else [args]
        if named:
            mapping = {k.value: v for k, v in zip(args.keys, args.values) if isinstance(k, ast.Constant)}
            taints_all = self.ev(args)
        parts, last, index = [], 0, 0
        for match in _PRINTF.finditer(fmt):
            parts.append(Part(fmt[last:match.start()]))
            last = match.end()
            name, conv = match.group(1), match.group(2)
            if conv == "%":
                parts.append(Part("%"))
                continue
            if name is not None:
                target = mapping.get(name) if named else None
                if target is not None:
                    part = self.part(target)
                else:  # a key the dict literal does not spell out: any of its values
                    part = Part("{}", taints_all) if named and taints_all else Part("{}")
            elif index < len(values):
                part = self.part(values[index])
                index += 1
            else:
                part = Part("{}", self.ev(args)) if not isinstance(args, ast.Tuple) else Part("{}")
            if part.taints is not None and conv in "diouxXeEfFgGc":
                part = Part("{}")
            elif part.taints is not None and conv in "ra":
                part = self.as_repr(part)
            parts.append(part)
        parts.append(Part(fmt[last:]))
        for extra in values[index:]:
            if not named:
                self.ev(extra)
        return build(parts) if any(p.taints for p in parts) else EMPTY

    def format_call(self, fmt: str, node: ast.Call) -> frozenset[Taint]:
        args = node.args
        keywords = {kw.arg: kw.value for kw in node.keywords if kw.arg}
        parts, auto = [], 0
        try:
            fields = list(string.Formatter().parse(fmt))
        except ValueError:
            return union([self.ev(a) for a in args] + [self.ev(v) for v in keywords.values()])
        for literal_text, field_name, spec, conversion in fields:
            parts.append(Part(literal_text))
            if field_name is None:
                continue
            head = field_name.split(".", 1)[0].split("[", 1)[0]
            if head == "":
                target = args[auto] if auto < len(args) else None
                auto += 1
            elif head.isdigit():
                target = args[int(head)] if int(head) < len(args) else None
            else:
                target = keywords.get(head)
            part = self.part(target) if target is not None else Part("{}")
            if part.taints is not None and spec and _NUMERIC_SPEC.search(spec):
                part = Part("{}")
            elif part.taints is not None and conversion in ("r", "a"):
                part = self.as_repr(part)
            parts.append(part)
        for kw in node.keywords:
            if kw.arg is None:
                self.ev(kw.value)
        return build(parts) if any(p.taints for p in parts) else EMPTY

    def join_call(self, separator: str, node: ast.Call) -> frozenset[Taint]:
        if not node.args:
            return EMPTY
        items = node.args[0]
        if isinstance(items, (ast.List, ast.Tuple)) and not any(isinstance(e, ast.Starred) for e in items.elts):
            parts: list[Part] = []
            for i, element in enumerate(items.elts):
                if i:
                    parts.append(Part(separator))
                parts.append(self.part(element))
            return build(parts) if any(p.taints for p in parts) else EMPTY
        taints = self.ev(items)
        return build([Part(separator), Part("{}", taints)]) if taints else EMPTY

    def path_join(self, pieces: list[ast.expr]) -> frozenset[Taint]:
        parts: list[Part] = []
        for i, piece in enumerate(pieces):
            if i:
                parts.append(Part("/"))
            parts.append(self.part(piece.value if isinstance(piece, ast.Starred) else piece))
        return build(parts) if any(p.taints for p in parts) else EMPTY


def _flatten_add(node: ast.expr) -> list[ast.expr]:
    out: list[ast.expr] = []
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, ast.BinOp) and isinstance(item.op, ast.Add):
            stack.append(item.right)
            stack.append(item.left)
        else:
            out.append(item)
    return out


def _number(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool)
