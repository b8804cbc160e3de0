"""Does the snippet parse? The first check every suggestion gets.

A suggestion that does not compile is worthless however secure it looks, so
the syntax analyzer reports Python's own ``SyntaxError`` (``IndentationError``
and the null-byte error included) as one ``syntax-error`` finding of severity
``ERROR``, which the default policy always blocks. Nothing is executed: the
text is compiled to an AST only.

This module also owns the small coordinate helpers the pyflakes and Bandit
analyzers share: Python's idea of a line (``\\n``, ``\\r\\n`` or ``\\r``, unlike
``str.splitlines``), clamping a position onto the text, and turning the
UTF-8 byte columns that ``ast`` reports into the code-point columns a
:class:`~secgen.analyzers.finding.Finding` carries.
"""

from __future__ import annotations

import ast
import functools
import re

from secgen.analyzers.base import Source
from secgen.analyzers.finding import Confidence, Finding, Position, Range, Severity

_NEWLINE = re.compile(r"\r\n|\r|\n")


def python_lines(text: str) -> list[str]:
    """The text's lines as Python's tokenizer counts them, without line endings."""
    return _NEWLINE.split(text)


def clamp(lines: list[str], line: int, column: int) -> Position:
    """A 0-based position moved onto the text: last line at most, end of its line at most."""
    line = min(max(line, 0), len(lines) - 1)
    return Position(line=line, column=min(max(column, 0), len(lines[line])))


def char_column(line_text: str, byte_column: int) -> int:
    """The code-point column of an ``ast`` UTF-8 byte offset into ``line_text``."""
    if line_text.isascii():
        return byte_column
    return len(line_text.encode("utf-8")[:byte_column].decode("utf-8", errors="ignore"))


def parse(text: str, path: str | None) -> ast.Module:
    """Compile to an AST only; raises ``SyntaxError`` (or ``ValueError`` on older Pythons).

    Every Python analyzer needs the tree of the same text, one after another, so the last few trees of
    texts up to ``SHARED_TREE_LIMIT`` characters are kept and shared: the analyzers only read them (Bandit
    and pyflakes add their own parent links, each under its own attribute names). Bigger texts, whose trees
    would hold hundreds of megabytes, and texts that do not parse are compiled again by each caller.
    """
    if len(text) > SHARED_TREE_LIMIT:
        return _compile(text, path)
    return _shared_tree(text, path)


SHARED_TREE_LIMIT = 200_000


def _compile(text: str, path: str | None) -> ast.Module:
    return compile(text, path or "<snippet>", "exec", dont_inherit=True, flags=ast.PyCF_ONLY_AST)


_shared_tree = functools.lru_cache(maxsize=4)(_compile)


def forget_trees() -> None:
    """Drop the shared trees (benchmarks time each run as a fresh text)."""
    _shared_tree.cache_clear()


class SyntaxAnalyzer:
    name = "syntax"
    languages = frozenset({"python"})
    speed = "fast"

    def available(self) -> str | None:
        return None

    def analyze(self, source: Source) -> list[Finding]:
        try:
            parse(source.text, source.path)
        except SyntaxError as exc:
            return [self._finding(exc.msg, _error_range(source.text, exc))]
        except ValueError as exc:  # "source code string cannot contain null bytes" before 3.11.4
            return [self._finding(str(exc), _null_byte_range(source.text))]
        return []

    def _finding(self, message: str, where: Range) -> Finding:
        return syntax_error(self.name, message, where)


def _error_range(text: str, exc: SyntaxError) -> Range:
    """The error's span, 0-based; ``SyntaxError`` counts lines and columns from 1."""
    if exc.lineno is None:  # the null-byte error carries no location
        return _null_byte_range(text)
    lines = python_lines(text)
    start = clamp(lines, exc.lineno - 1, (exc.offset or 1) - 1)
    end = None
    if exc.end_lineno is not None and exc.end_offset is not None and exc.end_offset > 0:
        end = clamp(lines, exc.end_lineno - 1, exc.end_offset - 1)
    if end is None or end <= start:
        # No usable end (CPython gives 0 or -1 for many errors): run to the end of the line.
        end = Position(line=start.line, column=len(lines[start.line]))
    return Range(start=start, end=end)


def _null_byte_range(text: str) -> Range:
    lines = python_lines(text)
    for number, line in enumerate(lines):
        column = line.find("\0")
        if column >= 0:
            return Range(start=Position(line=number, column=column), end=Position(line=number, column=column + 1))
    return Range.lines(0)


def syntax_error(analyzer: str, message: str, where: Range) -> Finding:
    """The one shape of a syntax error, whichever parser found it: it always blocks."""
    return Finding(analyzer=analyzer, rule_id="syntax-error", message=message, severity=Severity.ERROR,
                   confidence=Confidence.HIGH, range=where)
