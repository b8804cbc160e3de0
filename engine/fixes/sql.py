"""Mechanical fix for SQL built by formatting: the values become parameters of a parameterized query.

``cur.execute(f"SELECT * FROM users WHERE name = '{name}'")`` lets a ``'`` in ``name``
end the string and append SQL (Bandit B608, the dataflow analyzer's ``sql-injection``).
Where every interpolated value sits where the database takes a value (after ``=``,
``LIKE``, in a quoted literal, in a ``VALUES (...)`` list) the same query runs as
``cur.execute("SELECT * FROM users WHERE name = ?", (name,))``: a quoted placeholder loses
its quotes, and a quoted literal with more text around the value (``'%{term}%'``) becomes
one parameter, ``f"%{term}%"``. The placeholder follows the driver the file imports:
``?`` for sqlite3 (and when none is imported), ``%s`` for psycopg and the MySQL drivers.

A value in any other place (a table or column name, ``ORDER BY {col}``, a whole
``IN ({ids})`` list), a driver whose placeholders differ (asyncpg, SQLAlchemy, Oracle),
or a call that already passes parameters is left to the model tiers. ``LIMIT {n}`` is
parameterized for ``?`` drivers only: the MySQL drivers quote a string parameter and
MySQL rejects ``LIMIT '10'``.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from secgen.engine.fixes.base import Document, Edit, SimpleFix
from secgen.engine.fixes.commands import (Piece, Value, expression, formatted_string, interpolation, quote_of,
                                          sole_assignment)

PLACEHOLDERS = {"sqlite3": "?", "aiosqlite": "?", "pyodbc": "?", "psycopg2": "%s", "psycopg": "%s",
                "pymysql": "%s", "MySQLdb": "%s", "mysql": "%s", "django": "%s"}
# Drivers (or layers) whose placeholders are neither: a query for them is not rewritten.
OTHER_PARAMSTYLES = frozenset({"asyncpg", "sqlalchemy", "cx_Oracle", "oracledb", "databases", "peewee", "pony"})
_POSTGRES = frozenset({"psycopg2", "psycopg"})  # where "..." is an identifier, never a string
_COMPARISON = re.compile(r"[=<>]$|(?i:\b(like|ilike|glob|between)$)")
_BOUND = re.compile(r"(?i:\b(limit|offset)$)")
_AFTER_VALUE = set(" \t\r\n),;")


def placeholder(doc: Document) -> str | None:
    """The placeholder for the file's database driver; None when it imports one with another style, or two."""
    modules = {target.split(".")[0] for target in doc.imports().values()}
    if modules & OTHER_PARAMSTYLES:
        return None
    found = {PLACEHOLDERS[m] for m in modules if m in PLACEHOLDERS}
    return None if len(found) > 1 else found.pop() if found else "?"


@dataclass(kw_only=True)
class _Group:
    """An open parenthesis of the SQL text: the word before it and what is inside so far."""

    keyword: str
    commas: int = 0
    values: int = 0  # unquoted values put directly in it


@dataclass(kw_only=True)
class ParameterizedQuery:
    """SQL text with placeholders, and the parameters' expressions, built from a formatted query's pieces."""

    doc: Document
    mark: str  # the placeholder
    postgres: bool = False
    sql: str = ""
    params: list[str] = field(default_factory=list)
    quote: str | None = None  # the SQL quote character open at the end of `sql`
    literal: list[Piece] = field(default_factory=list)  # the open quoted literal's pieces, values included
    literal_start: int = 0
    reopened: bool = False  # the open literal continues one just closed ('it''s')
    quote_closed_at: int = -1
    groups: list[_Group] = field(default_factory=list)
    closed: str = ""  # the keyword of the group just closed (`VALUES (..), (..)`)
    after_value: bool = False

    def add_text(self, text: str) -> bool:
        for at, char in enumerate(text):
            if self.after_value and char not in _AFTER_VALUE:
                return False  # `{prefix}_users`: the value is part of a name
            self.after_value = False
            if not self._add_char(char, text[at + 1:at + 2]):
                return False
        return True

    def _add_char(self, char: str, following: str) -> bool:
        escaped = "%%" if char == "%" and self.mark == "%s" else char
        if self.quote is not None:
            if char != self.quote:
                self.literal.append(char)
            elif any(isinstance(p, Value) for p in self.literal):
                if following == char:
                    return False  # '' in a literal with a value: unescaping it is not worth the risk
                self._close_literal()
                return True
            else:
                self.quote, self.quote_closed_at = None, len(self.sql) + 1
            self.sql += escaped
            return True
        if char in "'\"`":
            self.reopened = self.quote_closed_at == len(self.sql) and self.sql[-1:] == char  # 'it''s'
            self.quote, self.literal, self.literal_start = char, [], len(self.sql)
        elif char == "(":
            word = re.search(r"(\w*)\s*(,?)\s*$", self.sql)
            self.groups.append(_Group(keyword=(word.group(1) or (self.closed if word.group(2) else "")).upper()))
        elif char == ")" and self.groups:
            group = self.groups.pop()
            if group.values and not group.commas:
                return False  # `IN ({ids})`: one value may be a whole comma-joined list
            self.closed = group.keyword
        elif char == "," and self.groups:
            self.groups[-1].commas += 1
        elif char == "?" or char + following in ("--", "/*"):
            return False  # a placeholder already, or a comment a placeholder could hide in
        self.sql += escaped
        return True

    def _close_literal(self) -> None:
        parts = _merged(self.literal)
        if len(parts) == 1 and isinstance(parts[0], Value) and parts[0].field == parts[0].source:
            self.params.append(parts[0].source)
        else:
            self.params.append(formatted_string(parts, '"'))
        self.sql = self.sql[:self.literal_start] + self.mark
        self.quote = None

    def add_value(self, value: Value, bound_allowed: bool) -> bool:
        if self.after_value:
            return False
        if self.quote == "`" or (self.quote == '"' and self.postgres):
            return False  # an identifier
        if self.quote is not None:
            self.literal.append(value)
            return not self.reopened
        before = self.sql.rstrip()
        in_list = before[-1:] in ("(", ",") and self.groups and self.groups[-1].keyword in ("VALUES", "IN")
        if self.sql[-1:].isalnum() or self.sql[-1:] == "_" or value.field != value.source or not (
                _COMPARISON.search(before) or in_list or (bound_allowed and _BOUND.search(before))
                or re.search(r"(?i)\bbetween\s+\S+\s+and$", before)):
            return False
        if in_list:
            self.groups[-1].values += 1
        node = value.node  # `"... id = " + str(n)` put the number n in the SQL text: the parameter is n
        unwrapped = isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "str" \
            and len(node.args) == 1 and not node.keywords and not isinstance(node.args[0], ast.Starred)
        self.params.append(expression(self.doc, node.args[0]) if unwrapped else value.source)
        self.sql += self.mark
        self.after_value = True
        return True


def _merged(parts: list[Piece]) -> list[Piece]:
    merged: list[Piece] = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        else:
            merged.append(part)
    return merged


def parameterize(doc: Document, query: ast.expr) -> tuple[str, str] | None:
    """(the query as a string literal with placeholders, the parameters tuple) for a formatted query; None when a
    value is not in a place a placeholder can take, or the driver's placeholder is unknown."""
    pieces = interpolation(doc, query)
    mark = placeholder(doc)
    if not pieces or mark is None or not any(isinstance(p, Value) for p in pieces):
        return None
    modules = {target.split(".")[0] for target in doc.imports().values()}
    built = ParameterizedQuery(doc=doc, mark=mark, postgres=bool(modules & _POSTGRES))
    for piece in pieces:
        ok = built.add_value(piece, mark == "?") if isinstance(piece, Value) else built.add_text(piece)
        if not ok:
            return None
    if built.quote is not None or built.groups or None in built.params:
        return None
    params = "(" + ", ".join(built.params) + ("," if len(built.params) == 1 else "") + ")"
    return _python_string(built.sql, quote_of(doc, query)), params


def _python_string(text: str, quote: str) -> str:
    text = text.replace("\\", "\\\\")
    if len(quote) == 3 and quote not in text and not text.endswith(quote[0]):
        return quote + text + quote
    quote = quote[0]
    return quote + text.replace(quote, "\\" + quote).replace("\n", "\\n").replace("\r", "\\r") + quote


def _is_execute(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "execute"


def _query_site(doc: Document, finding) -> tuple[ast.Call, ast.expr, ast.Assign | None] | None:
    """The ``execute`` call at the finding (on the call, its query, or a ``query = ...`` executed below it), its
    formatted query, and the assignment when the query is built in a statement of its own."""
    for node in doc.nodes_at(finding, (ast.Call, ast.JoinedStr, ast.BinOp, ast.Constant)):
        parent = doc.parents.get(node)
        if isinstance(parent, ast.Assign) and parent.value is node and len(parent.targets) == 1 \
                and isinstance(parent.targets[0], ast.Name):
            scope = doc.function_of(parent) or doc.tree
            reads = [n for n in ast.walk(scope) if isinstance(n, ast.Name) and n.id == parent.targets[0].id
                     and isinstance(n.ctx, ast.Load)]
            call = doc.parents.get(reads[0]) if len(reads) == 1 else None
            node = call if _is_execute(call) and call.args and call.args[0] is reads[0] else node
        elif _is_execute(parent) and parent.args and parent.args[0] is node:
            node = parent
        if not _is_execute(node):
            continue
        if len(node.args) != 1 or node.keywords or isinstance(node.args[0], ast.Starred):
            return None  # parameters passed already, or a shape not understood
        query = node.args[0]
        if not isinstance(query, ast.Name):
            return node, query, None
        assign = sole_assignment(doc, query)
        return (node, assign.value, assign) if assign is not None and _moves_safely(doc, assign, node) else None
    return None


def _moves_safely(doc: Document, assign: ast.Assign, call: ast.Call) -> bool:
    """The values of ``query = f"..."``, now read at ``call`` instead, are still the same values: nothing between
    assigns their names, no loop repeats the call alone, and calls in them are moved only past nothing."""
    values = [p.node for p in interpolation(doc, assign.value) or () if isinstance(p, Value)]
    names = {n.id for v in values for n in ast.walk(v) if isinstance(n, ast.Name)}
    begin, end = (assign.end_lineno, assign.end_col_offset), (call.lineno, call.col_offset)
    for node in ast.walk(doc.function_of(call) or doc.tree):
        target = node
        while isinstance(target, (ast.Attribute, ast.Subscript)):
            target = target.value
        if isinstance(node, (ast.Name, ast.Attribute, ast.Subscript)) and not isinstance(node.ctx, ast.Load) \
                and isinstance(target, ast.Name) and target.id in names \
                and begin <= (node.lineno, node.col_offset) < end:
            return False
    node = call
    while node is not assign and node in doc.parents:
        node = doc.parents[node]
        if isinstance(node, (ast.For, ast.AsyncFor, ast.While)) and assign not in set(ast.walk(node)):
            return False
    calls = [n for v in values for n in ast.walk(v) if isinstance(n, ast.Call)
             and not (isinstance(n.func, ast.Name) and n.func.id in ("str", "int", "float"))]
    if not calls:
        return True
    block = next((getattr(doc.parents[assign], f) for f in ("body", "orelse", "finalbody")
                  if assign in getattr(doc.parents[assign], f, ())), [])
    at = block.index(assign)
    return at + 1 < len(block) and block[at + 1] is doc.statement_of(call)


def _sql_parameterize(doc: Document, finding) -> list[Edit] | None:
    site = _query_site(doc, finding)
    made = parameterize(doc, site[1]) if site is not None else None
    if made is None:
        return None
    (call, query, assign), (literal, params) = site, made
    start, end = doc.span(query)
    if assign is None:
        return [Edit(start=start, end=end, new=f"{literal}, {params}")]
    after_name = doc.span(call.args[0])[1]
    return [Edit(start=start, end=end, new=literal), Edit(start=after_name, end=after_name, new=f", {params}")]


FIXES = (
    SimpleFix(
        name="sql-parameterize",
        rules=frozenset({"B608", "sql-injection"}),
        description="execute() of SQL formatted with values -> a parameterized query (placeholders and a "
                    "parameters tuple)",
        function=_sql_parameterize,
    ),
)
