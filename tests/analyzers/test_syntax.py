"""The syntax analyzer reports CPython's own parse errors at 0-based positions."""

from __future__ import annotations

import pytest

from secgen.analyzers.base import Analyzer, Source
from secgen.analyzers.finding import Confidence, Position, Severity
from secgen.analyzers.syntax import SyntaxAnalyzer, char_column, clamp, python_lines


@pytest.fixture(scope="module")
def analyzer() -> SyntaxAnalyzer:
    return SyntaxAnalyzer()


# (snippet, words the message contains, 0-based (line, column) the range starts at)
BROKEN = [
    pytest.param("def f()\n    return 1\n", "expected ':'", (0, 7), id="missing-colon"),
    pytest.param("x = 1\nif x:\nprint(x)\n", "expected an indented block", (2, 0), id="missing-indent"),
    # CPython points the indentation errors at the last indent character / the line end.
    pytest.param("x = 1\n    y = 2\n", "unexpected indent", (1, 3), id="unexpected-indent"),
    pytest.param(
        "for x in y:\n    pass\n  z = 1\n", "unindent does not match", (2, 7), id="inconsistent-dedent"
    ),
    pytest.param("x = 1\ns = 'abc\n", "unterminated string literal", (1, 4), id="unterminated-string"),
    pytest.param('s = """abc\n\n', "unterminated triple-quoted string", (0, 4), id="unterminated-docstring"),
    pytest.param("x = 1\0\n", "null bytes", (0, 5), id="null-byte"),
    pytest.param("x = (1,\n", "never closed", (0, 4), id="unclosed-paren"),
    pytest.param("é = ('ü' +)\n", "invalid syntax", (0, 10), id="non-ascii-column"),
    pytest.param("x = 1\r\ny = (\r\n", "never closed", (1, 4), id="crlf-lines"),
]


@pytest.mark.parametrize(("text", "words", "start"), BROKEN)
def test_broken_snippet_gives_one_error_at_the_fault(analyzer, text, words, start):
    [finding] = analyzer.analyze(Source(text=text))
    assert finding.rule_id == "syntax-error"
    assert finding.analyzer == "syntax"
    assert words in finding.message
    assert (finding.range.start.line, finding.range.start.column) == start
    assert finding.severity is Severity.ERROR
    assert finding.confidence is Confidence.HIGH
    assert finding.cwe is None


@pytest.mark.parametrize(("text", "words", "start"), BROKEN)
def test_error_range_lies_inside_the_text(analyzer, text, words, start):
    [finding] = analyzer.analyze(Source(text=text))
    lines = python_lines(text)
    for position in (finding.range.start, finding.range.end):
        assert 0 <= position.line < len(lines)
        assert 0 <= position.column <= len(lines[position.line])
    assert finding.range.start <= finding.range.end


def test_null_byte_range_covers_the_null_byte(analyzer):
    [finding] = analyzer.analyze(Source(text="a = 1\nb = 'x\0y'\n"))
    assert finding.range.start == Position(line=1, column=6)
    assert finding.range.end == Position(line=1, column=7)


def test_range_without_usable_end_runs_to_end_of_line(analyzer):
    # CPython gives end_offset -1 for an unexpected indent.
    [finding] = analyzer.analyze(Source(text="x = 1\n  y = 2  \n"))
    assert finding.range.end == Position(line=1, column=9)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "x = 1\n",
        "def f(a: int) -> int:\n    return a + 1\n",
        "async def g():\n    async with x as y:\n        await y\n",
        "match p:\n    case [1, *rest]:\n        pass\n",
        "return 1\n",  # a compile-time, not a parse-time, error: pyflakes reports it
        "x = 1  # no trailing newline",
    ],
)
def test_valid_snippet_gives_nothing(analyzer, text):
    assert analyzer.analyze(Source(text=text)) == []


def test_path_is_only_a_display_name(analyzer, tmp_path):
    missing = tmp_path / "does" / "not" / "exist.py"
    [finding] = analyzer.analyze(Source(text="def f(:\n", path=str(missing)))
    assert finding.range.start.line == 0
    assert not missing.exists()


def test_fits_the_analyzer_protocol(analyzer):
    assert isinstance(analyzer, Analyzer)
    assert analyzer.name == "syntax"
    assert analyzer.languages == frozenset({"python"})
    assert analyzer.speed == "fast"
    assert analyzer.available() is None


def test_python_lines_split_like_the_tokenizer():
    assert python_lines("a\r\nb\rc\nd") == ["a", "b", "c", "d"]
    # str.splitlines would also split on form feed and U+2028; Python's tokenizer does not.
    assert python_lines("a\x0cb\u2028c\n") == ["a\x0cb\u2028c", ""]


def test_clamp_keeps_positions_on_the_text():
    lines = ["abc", "de"]
    assert clamp(lines, 5, 9) == Position(line=1, column=2)
    assert clamp(lines, -1, -3) == Position(line=0, column=0)
    assert clamp(lines, 0, 2) == Position(line=0, column=2)


def test_char_column_converts_utf8_byte_offsets():
    assert char_column("x = 1", 4) == 4
    assert char_column("é = ü", 4) == 3  # "é" is two bytes
    assert char_column("😀x", 4) == 1  # an astral character is four bytes and one code point


def test_one_tree_per_text_is_shared_and_big_texts_are_not_kept():
    from secgen.analyzers import syntax

    text = "def f(x):\n    return x + 1\n"
    syntax.forget_trees()
    assert syntax.parse(text, "a.py") is syntax.parse(text, "a.py")
    assert syntax.parse(text, "a.py") is not syntax.parse(text + "\n", "a.py")
    big = "x = 1\n" * (syntax.SHARED_TREE_LIMIT // 6 + 1)
    assert syntax.parse(big, None) is not syntax.parse(big, None)
    syntax.forget_trees()
    with pytest.raises(SyntaxError):
        syntax.parse("def f(:\n", None)


def test_analyzers_sharing_a_tree_give_what_each_gives_alone():
    from secgen.analyzers import default_registry, syntax

    text = ("import os, pickle, sys\n\n\ndef load(path):\n    data = open(os.path.join('/srv', path)).read()\n"
            "    return pickle.loads(data) + undefined\n\n\nload(sys.argv[1])\n")
    registry = default_registry()
    alone = []
    for name in ("syntax", "pyflakes", "bandit", "dataflow"):
        syntax.forget_trees()
        alone += registry.analyze(Source(text=text), [name]).findings
    syntax.forget_trees()
    shared = registry.analyze(Source(text=text), ["syntax", "pyflakes", "bandit", "dataflow"]).findings
    again = registry.analyze(Source(text=text), ["dataflow", "bandit", "pyflakes", "syntax"]).findings
    assert {f.rule_id for f in alone} >= {"F821", "B301", "path-injection"}
    key = sorted((f.analyzer, f.rule_id, f.range.start.line, f.range.start.column) for f in alone)
    assert sorted((f.analyzer, f.rule_id, f.range.start.line, f.range.start.column) for f in shared) == key
    assert sorted((f.analyzer, f.rule_id, f.range.start.line, f.range.start.column) for f in again) == key
