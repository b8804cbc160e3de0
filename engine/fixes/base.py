"""What a mechanical fix is, and the source-editing tools every fix is written with.

A :class:`Fix` removes one kind of finding by rewriting source text, with no
model: ``yaml.load`` becomes ``yaml.safe_load``, a shell command string becomes
an argument list, a formatted SQL string becomes a parameterized query. A fix
names the rule ids it removes (Bandit's ``B602``, the dataflow analyzer's
``command-line-injection``, pyflakes' ``F821``...) and has worked examples
(:class:`Example`: vulnerable text -> the exact text the fix makes of it),
which ``tests/engine/fixes`` run through the real analyzers. The examples are
data beside the code, one file per fix, ``examples/<fix name>.yaml``: a list
of ``{vulnerable: |, fixed: |}`` literal blocks, read by :func:`examples`.

Fixes work on a :class:`Document`: the text, its lines and its ``ast`` tree,
with helpers to find the node a finding points at and to turn a node into
character offsets. A fix returns :class:`Edit`\\ s (character offsets into
the text, replaced text); it never re-analyzes or decides whether its edit is
good: :mod:`secgen.engine.fixes.engine` applies, re-analyzes and guards.

Python's ``ast`` gives byte offsets in UTF-8 for columns; :meth:`Document.offset`
converts them, so a fix never counts bytes itself.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib import resources
from typing import Callable, Iterable, Iterator, Protocol, Sequence

import yaml

from secgen.analyzers import Finding


@dataclass(frozen=True, kw_only=True)
class Edit:
    """Replace ``text[start:end]`` (character offsets) with ``new``."""

    start: int
    end: int
    new: str


@dataclass(frozen=True, kw_only=True)
class Example:
    """A fix's worked example: the mechanical tier turns ``vulnerable`` into exactly ``fixed``."""

    vulnerable: str
    fixed: str


@cache
def examples(name: str) -> tuple[Example, ...]:
    """The worked examples of the fix called ``name``, read from ``examples/<name>.yaml`` beside this module.

    A missing file, or one that is not a list of ``{vulnerable: str, fixed: str}``, raises ``ValueError`` naming it.
    """
    path = resources.files(__package__).joinpath("examples", f"{name}.yaml")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"fix {name!r} has no examples file: {path} is missing") from None
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, list) or not all(
            isinstance(item, dict) and set(item) == {"vulnerable", "fixed"}
            and all(isinstance(v, str) for v in item.values()) for item in data):
        raise ValueError(f"{path}: expected a list of {{vulnerable: str, fixed: str}} mappings")
    return tuple(Example(vulnerable=item["vulnerable"], fixed=item["fixed"]) for item in data)


class Fix(Protocol):
    """One mechanical remedy. ``apply`` returns the edits that remove ``finding``, or ``None`` (not this shape)."""

    name: str  # kebab-case, shown to users ("fixed by subprocess-argument-list")
    rules: frozenset[str]  # the rule ids it removes
    description: str  # one line, for docs/analyzers.md and `secgen fix`
    examples: tuple[Example, ...]

    def apply(self, doc: "Document", finding: Finding) -> list[Edit] | None: ...


class Document:
    """A Python text, parsed once; positions in Finding terms (0-based lines, code-point columns)."""

    def __init__(self, text: str, *, context: str = "") -> None:
        self.text = text
        self.context = context  # what the code was asked to do (a task's description), "" when unknown
        self.lines = text.splitlines(keepends=True)
        self._starts = [0]
        for line in self.lines:
            self._starts.append(self._starts[-1] + len(line))

    @cached_property
    def tree(self) -> ast.Module | None:
        try:
            return ast.parse(self.text)
        except (SyntaxError, ValueError):
            return None

    @cached_property
    def parents(self) -> dict[ast.AST, ast.AST]:
        found: dict[ast.AST, ast.AST] = {}
        for node in ast.walk(self.tree) if self.tree else ():
            for child in ast.iter_child_nodes(node):
                found[child] = node
        return found

    # -- positions ------------------------------------------------------------------

    def line_offset(self, line: int) -> int:
        """Character offset of the start of 0-based ``line`` (the end of the text past the last line)."""
        return self._starts[min(max(line, 0), len(self.lines))]

    def offset(self, lineno: int, col_offset: int) -> int:
        """Character offset of an ``ast`` position (1-based line, UTF-8 byte column)."""
        line = self.lines[lineno - 1] if 0 < lineno <= len(self.lines) else ""
        return self.line_offset(lineno - 1) + len(line.encode("utf-8")[:col_offset].decode("utf-8", "replace"))

    def span(self, node: ast.AST) -> tuple[int, int]:
        return (self.offset(node.lineno, node.col_offset), self.offset(node.end_lineno, node.end_col_offset))

    def segment(self, node: ast.AST) -> str:
        start, end = self.span(node)
        return self.text[start:end]

    def column(self, node: ast.AST) -> int:
        """``node``'s start column in code points (Finding columns)."""
        return self.offset(node.lineno, node.col_offset) - self.line_offset(node.lineno - 1)

    def indent_of(self, node: ast.AST) -> str:
        line = self.lines[node.lineno - 1]
        return line[: len(line) - len(line.lstrip(" \t"))]

    # -- finding the nodes a finding is about -----------------------------------------

    def nodes(self, kind: type | tuple[type, ...] = ast.AST) -> Iterator[ast.AST]:
        for node in ast.walk(self.tree) if self.tree else ():
            if isinstance(node, kind):
                yield node

    def nodes_at(self, finding: Finding, kind: type | tuple[type, ...] = ast.Call) -> list[ast.AST]:
        """Nodes of ``kind`` on the finding's lines, the one starting at its column first, then outermost first."""
        lines = set(finding.range.line_span())
        found = [n for n in self.nodes(kind) if hasattr(n, "lineno") and n.lineno - 1 in lines]
        return sorted(found, key=lambda n: (n.lineno - 1 != finding.line or self.column(n) != finding.range.start.column,
                                            n.lineno, n.col_offset, -(n.end_lineno - n.lineno), -n.end_col_offset))

    def statement_of(self, node: ast.AST) -> ast.stmt:
        while not isinstance(node, ast.stmt):
            node = self.parents[node]
        return node

    def function_of(self, node: ast.AST) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        while node in self.parents:
            node = self.parents[node]
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                return node
        return None

    def names_in_scope(self, node: ast.AST) -> set[str]:
        """Every name bound or used in the function around ``node`` (the module when none): a new name avoids them."""
        scope = self.function_of(node) or self.tree
        names = {n.id for n in ast.walk(scope) if isinstance(n, ast.Name)}
        names |= {a.arg for a in ast.walk(scope) if isinstance(a, ast.arg)}
        return names

    def fresh_name(self, node: ast.AST, wanted: str) -> str:
        taken = self.names_in_scope(node)
        name, n = wanted, 1
        while name in taken:
            n += 1
            name = f"{wanted}{n}"
        return name

    # -- imports ---------------------------------------------------------------------

    def imports(self) -> dict[str, str]:
        """Local name -> what it imports (``{"ET": "xml.etree.ElementTree", "sha256": "hashlib.sha256"}``)."""
        found: dict[str, str] = {}
        for node in self.nodes((ast.Import, ast.ImportFrom)):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    local = alias.asname or alias.name.split(".")[0]
                    found[local] = alias.name if alias.asname else alias.name.split(".")[0]
            elif node.module and not node.level:
                for alias in node.names:
                    found[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        return found

    def qualified(self, node: ast.AST) -> str | None:
        """``os.path.join`` for ``os.path.join`` or ``join`` (``from os.path import join``); None for other shapes."""
        parts = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        head = self.imports().get(node.id, node.id)
        return ".".join([head, *reversed(parts)])

    def ensure_import(self, statement: str) -> Edit | None:
        """The edit that adds ``statement`` (``import shlex``, ``from typing import List``) with the file's other
        imports: after the last top-level import, else after the module docstring and ``__future__`` imports,
        else at the top. ``None`` when an equivalent import is already there."""
        module, names = _parse_import(statement)
        have = self.imports()
        if names is None and have.get(module.split(".")[0]) == module.split(".")[0] and module in _imported_modules(self):
            return None
        if names is not None and all(have.get(n) == f"{module}.{n}" for n in names):
            return None
        body = self.tree.body if self.tree else []
        anchor = None
        for node in body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                anchor = node
            elif anchor is None and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) \
                    and isinstance(node.value.value, str) and node is body[0]:
                continue
            elif anchor is not None or not isinstance(node, ast.Expr):
                break
        if anchor is not None:
            at = self.line_offset(anchor.end_lineno)
        elif body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                and isinstance(body[0].value.value, str):
            at = self.line_offset(body[0].end_lineno)
        else:
            at = 0
        prefix = "" if at == 0 or self.text[:at].endswith("\n") else "\n"
        return Edit(start=at, end=at, new=f"{prefix}{statement}\n")


def _parse_import(statement: str) -> tuple[str, list[str] | None]:
    match = re.fullmatch(r"from\s+([\w.]+)\s+import\s+([\w, ]+)", statement.strip())
    if match:
        return match.group(1), [n.strip() for n in match.group(2).split(",") if n.strip()]
    match = re.fullmatch(r"import\s+([\w.]+)", statement.strip())
    if not match:
        raise ValueError(f"not an import statement: {statement!r}")
    return match.group(1), None


def _imported_modules(doc: Document) -> set[str]:
    return {alias.name for node in doc.nodes(ast.Import) for alias in node.names if not alias.asname}


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """``text`` with non-overlapping ``edits`` applied (any order given); ``ValueError`` when two overlap."""
    ordered = sorted(edits, key=lambda e: (e.start, e.end))
    for a, b in zip(ordered, ordered[1:]):
        if b.start < a.end:
            raise ValueError(f"overlapping edits at {a.start}-{a.end} and {b.start}-{b.end}")
    out, last = [], 0
    for e in ordered:
        out.append(text[last:e.start])
        out.append(e.new)
        last = e.end
    out.append(text[last:])
    return "".join(out)


def keyword(call: ast.Call, name: str) -> ast.keyword | None:
    return next((k for k in call.keywords if k.arg == name), None)


def remove_keyword(doc: Document, call: ast.Call, name: str) -> Edit | None:
    """The edit that deletes ``name=...`` from ``call``'s arguments, with its comma."""
    kw = keyword(call, name)
    if kw is None:
        return None
    items = sorted([*call.args, *call.keywords], key=lambda n: (n.lineno, n.col_offset))
    index = items.index(kw)
    start, end = doc.span(kw)
    if index > 0:  # take the comma (and space) before it
        start = doc.span(items[index - 1])[1]
    elif len(items) > 1:  # first argument: take the comma after it up to the next argument
        end = doc.span(items[1])[0]
    return Edit(start=start, end=end, new="")


def add_keyword(doc: Document, call: ast.Call, text: str) -> Edit:
    """The edit that appends ``text`` (``timeout=10``) to ``call``'s arguments."""
    items = [*call.args, *call.keywords]
    if items:
        last = max(items, key=lambda n: (n.end_lineno, n.end_col_offset))
        at = doc.span(last)[1]
        return Edit(start=at, end=at, new=f", {text}")
    at = doc.span(call)[1] - 1  # before the closing parenthesis
    return Edit(start=at, end=at, new=text)


def insert_before(doc: Document, statement: ast.stmt, lines: Sequence[str]) -> Edit:
    """The edit that puts ``lines`` (no indentation, no newlines) above ``statement``, at its indentation."""
    indent = doc.indent_of(statement)
    at = doc.line_offset(statement.lineno - 1)
    return Edit(start=at, end=at, new="".join(f"{indent}{line}\n" for line in lines))


# -- helpers the fixes share: the flagged call, imports, names ------------------------------------------

def flagged_call(doc: Document, finding: Finding, accept: Callable[[ast.Call], bool]) -> ast.Call | None:
    """The call the finding points at (the one starting at its column when there is one) that ``accept`` takes."""
    candidates = doc.nodes_at(finding, ast.Call)
    exact = [c for c in candidates if c.lineno - 1 == finding.line and doc.column(c) == finding.range.start.column]
    return next((c for c in exact or candidates if accept(c)), None)


def attribute_name_span(doc: Document, func: ast.Attribute) -> tuple[int, int] | None:
    """Offsets of ``attr`` in ``value.attr`` (None when something other than the name sits before its end)."""
    end = doc.span(func)[1]
    start = end - len(func.attr)
    return (start, end) if doc.text[start:end] == func.attr else None


def has_star_arguments(call: ast.Call) -> bool:
    return any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords)


def is_constant(node: ast.AST | None, value: object) -> bool:
    return isinstance(node, ast.Constant) and node.value is value


def owns_its_lines(doc: Document, statement: ast.stmt) -> bool:
    """``statement`` starts its line (after the indentation) and nothing but a comment follows it on its last line."""
    if doc.column(statement) != len(doc.indent_of(statement)):
        return False
    end = doc.span(statement)[1]
    rest = doc.text[end:doc.line_offset(statement.end_lineno)].strip()
    return not rest or rest.startswith("#")


def insert_after(doc: Document, statement: ast.stmt, line: str) -> Edit:
    """The edit that puts ``line`` below ``statement`` at its indentation."""
    at = doc.line_offset(statement.end_lineno)
    indent = doc.indent_of(statement)
    if at == len(doc.text) and not doc.text.endswith("\n"):
        return Edit(start=at, end=at, new=f"\n{indent}{line}")
    return Edit(start=at, end=at, new=f"{indent}{line}\n")


def name_loads(doc: Document, name: str) -> list[ast.Name]:
    return [n for n in doc.nodes(ast.Name) if n.id == name and isinstance(n.ctx, ast.Load)]


def import_statement_of(doc: Document, local: str) -> tuple[ast.stmt, ast.alias] | None:
    """The one import that binds ``local`` (None when none does or several do)."""
    found = [(node, alias) for node in doc.nodes((ast.Import, ast.ImportFrom)) for alias in node.names
             if (alias.asname or alias.name.split(".")[0]) == local]
    return found[0] if len(found) == 1 else None


def import_text(statement: ast.Import | ast.ImportFrom, aliases: list[ast.alias]) -> str:
    """``statement`` written again with only ``aliases``."""
    names = ", ".join(f"{a.name} as {a.asname}" if a.asname else a.name for a in aliases)
    if isinstance(statement, ast.Import):
        return f"import {names}"
    return f"from {'.' * statement.level}{statement.module or ''} import {names}"


def drop_import(doc: Document, statement: ast.stmt, alias: ast.alias) -> Edit | None:
    """The edit that removes ``alias`` from its import statement (the whole statement when it is the only one)."""
    if not owns_its_lines(doc, statement):
        return None
    rest = [a for a in statement.names if a is not alias]
    if not rest:
        return Edit(start=doc.line_offset(statement.lineno - 1), end=doc.line_offset(statement.end_lineno), new="")
    start, end = doc.span(statement)
    return Edit(start=start, end=end, new=import_text(statement, rest))


def rebound(doc: Document, name: str) -> bool:
    """``name`` is assigned, deleted, a parameter, or a def/class anywhere in the text."""
    for node in doc.nodes():
        if isinstance(node, ast.Name) and node.id == name and not isinstance(node.ctx, ast.Load):
            return True
        if isinstance(node, ast.arg) and node.arg == name:
            return True
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
            return True
    return False


def dotted(node: ast.AST) -> str | None:
    """``a.b.c`` for the attribute chain ``a.b.c`` (None for other shapes)."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    return ".".join([node.id, *reversed(parts)]) if isinstance(node, ast.Name) else None


@dataclass(frozen=True, kw_only=True)
class SimpleFix:
    """A :class:`Fix` made of a function: ``SimpleFix(name=..., rules=..., description=..., function=fn)``.

    Its examples are read from ``examples/<name>.yaml`` when first asked for (:func:`examples`).
    """

    name: str
    rules: frozenset[str]
    description: str
    function: object = field(default=None, repr=False)

    @property
    def examples(self) -> tuple[Example, ...]:
        return examples(self.name)

    def apply(self, doc: Document, finding: Finding) -> list[Edit] | None:
        return self.function(doc, finding)
