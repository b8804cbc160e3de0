"""Does the snippet parse? The syntax check for the paper's non-Python languages.

C, C++, C#, Java, JavaScript, PHP and Rust are parsed with tree-sitter, using
the compiled grammars that the ``tree-sitter-<language>`` wheels bundle
(nothing is downloaded or compiled at run time). Tree-sitter never fails a
parse: it recovers, and marks what it could not fit as ``ERROR`` nodes
(tokens it had to skip) and ``MISSING`` nodes (tokens it had to invent, such
as a ``;``). Each becomes one ``syntax-error`` finding of severity ``ERROR``,
like Python's own syntax analyzer reports, so the default policy blocks it.

Errors nested inside an ``ERROR`` node are the same mistake and are not
reported again, and a snippet gets at most :data:`MAX_FINDINGS` of them: past
the first few, recovery mostly reports its own confusion.

Tree-sitter counts a point's column in UTF-8 bytes; a finding's column counts
code points, so each column is converted with its line's text. Rows are
counted at ``\\n`` (a ``\\r\\n`` line ends with a ``\\r`` that no column
reaches), as tree-sitter counts them.

PHP has two grammars: a file with an open tag (``<?php``, ``<?=``, ``<?``)
is parsed as PHP embedded in HTML, and anything else (a generated snippet)
as bare PHP code, which the HTML grammar would take for page text.
"""

from __future__ import annotations

import importlib
import re

from secgen.analyzers.base import AnalyzerError, Source
from secgen.analyzers.finding import Finding, Position, Range
from secgen.analyzers.syntax import syntax_error

MAX_FINDINGS = 20

# our language -> (module of its grammar wheel, the function returning the grammar's pointer)
GRAMMARS = {
    "c": ("tree_sitter_c", "language"),
    "cpp": ("tree_sitter_cpp", "language"),
    "csharp": ("tree_sitter_c_sharp", "language"),
    "java": ("tree_sitter_java", "language"),
    "javascript": ("tree_sitter_javascript", "language"),
    "php": ("tree_sitter_php", "language_php_only"),
    "rust": ("tree_sitter_rust", "language"),
}
PHP_IN_HTML = ("tree_sitter_php", "language_php")
_PHP_OPEN_TAG = re.compile(r"<\?(?:php\b|=|\s)", re.IGNORECASE)
_SNIPPET_CHARS = 30


class TreeSitterSyntaxAnalyzer:
    name = "tree-sitter"
    languages = frozenset(GRAMMARS)
    speed = "fast"

    def __init__(self) -> None:
        # Grammars are immutable and shared; a race only loads one twice. Parsers are not
        # thread-safe, so each call makes its own (well under a microsecond).
        self._grammars: dict[tuple[str, str], object] = {}

    def available(self) -> str | None:
        try:
            import tree_sitter  # noqa: F401
        except ImportError as exc:
            return f"the tree-sitter bindings cannot be imported ({exc}); pip install tree-sitter"
        return None

    def analyze(self, source: Source) -> list[Finding]:
        from tree_sitter import Parser

        grammar = GRAMMARS.get(source.language)
        if grammar is None:
            raise AnalyzerError(f"no tree-sitter grammar for {source.language!r}")
        if source.language == "php" and _PHP_OPEN_TAG.search(source.text):
            grammar = PHP_IN_HTML
        data = source.text.encode("utf-8", errors="surrogatepass")
        root = Parser(self._grammar(grammar)).parse(data).root_node
        if not root.has_error:
            return []
        lines = source.text.split("\n")
        return [self._finding(node, data, lines) for node in error_nodes(root, MAX_FINDINGS)]

    def _grammar(self, grammar: tuple[str, str]):
        cached = self._grammars.get(grammar)
        if cached is not None:
            return cached
        from tree_sitter import Language

        module, function = grammar
        package = module.replace("_", "-")
        try:
            loaded = Language(getattr(importlib.import_module(module), function)())
        except ImportError as exc:
            raise AnalyzerError(f"{package} is not installed ({exc}); pip install {package}") from None
        except ValueError as exc:  # the grammar's ABI is outside what the bindings support
            raise AnalyzerError(f"{package} does not fit the installed tree-sitter: {exc}") from None
        self._grammars[grammar] = loaded
        return loaded

    def _finding(self, node, data: bytes, lines: list[str]) -> Finding:
        if node.is_missing:
            message = f"syntax error: missing {node.type}" if node.is_named else f"syntax error: missing `{node.type}`"
        else:
            snippet = _snippet(data[node.start_byte:node.end_byte])
            message = f"syntax error: unexpected `{snippet}`" if snippet else "syntax error: unexpected end of input"
        return syntax_error(self.name, message,
                            Range(start=point_position(lines, node.start_point), end=point_position(lines, node.end_point)))


def error_nodes(root, limit: int = MAX_FINDINGS) -> list:
    """The tree's ``ERROR`` and ``MISSING`` nodes in document order, outermost only, at most ``limit``."""
    found, seen = [], set()
    stack = [root]
    while stack and len(found) < limit:
        node = stack.pop()
        if node.is_error or node.is_missing:
            where = (node.start_byte, node.end_byte, node.is_missing)
            if where not in seen:
                seen.add(where)
                found.append(node)
            continue  # what lies inside an error is the same error
        if node.has_error:
            stack.extend(reversed(node.children))
    return found


def code_point_column(line_text: str, byte_column: int) -> int:
    """The code-point column of a UTF-8 byte offset into ``line_text``."""
    if line_text.isascii():
        return byte_column
    encoded = line_text.encode("utf-8", errors="surrogatepass")
    return len(encoded[:byte_column].decode("utf-8", errors="ignore"))


def point_position(lines: list[str], point) -> Position:
    """A tree-sitter point ``(row, byte column)`` as a 0-based code-point position on the text."""
    row, byte_column = point
    row = min(max(row, 0), len(lines) - 1)
    text = lines[row]
    return Position(line=row, column=min(code_point_column(text, byte_column), len(text.rstrip("\r"))))


def _snippet(raw: bytes) -> str:
    """The first line of an error's text, whitespace collapsed, cut short."""
    text = " ".join(raw.decode("utf-8", errors="replace").strip().split("\n", 1)[0].split())
    return text if len(text) <= _SNIPPET_CHARS else text[: _SNIPPET_CHARS - 1] + "…"
