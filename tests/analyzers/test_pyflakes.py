"""The pyflakes analyzer: real pyflakes runs, flake8 codes, design-card severities."""

from __future__ import annotations

import inspect

import pytest
from pyflakes import messages as pyflakes_messages

from secgen.analyzers.base import Analyzer, Source
from secgen.analyzers.finding import Confidence, Position, Severity
from secgen.analyzers.pyflakes import FLAKE8_CODES, HARD_ERRORS, PyflakesAnalyzer


@pytest.fixture(scope="module")
def analyzer() -> PyflakesAnalyzer:
    return PyflakesAnalyzer()


def found(analyzer: PyflakesAnalyzer, text: str) -> list[tuple[str, int]]:
    return sorted((f.rule_id, f.line) for f in analyzer.analyze(Source(text=text)))


MODULE = """\
import os
import json
import json


def handler(request):
    unused = 1
    return render(request)


def handler(request):
    return json.dumps(request)
"""


def test_module_findings_table(analyzer):
    assert found(analyzer, MODULE) == [
        ("F401", 0),  # os
        ("F811", 2),  # json imported twice
        ("F811", 10),  # handler redefined
        ("F821", 7),  # render
        ("F841", 6),  # unused
    ]


E, L = Severity.ERROR, Severity.LOW

# (snippet, the one (rule id, 0-based line, severity) it yields): ERROR only where the code cannot run
SINGLE = [
    pytest.param("x = 1\ndef f():\n    print(x)\n    x = 2\n    return x\n", ("F823", 2, E), id="undefined-local"),
    pytest.param("__all__ = ['nope']\n", ("F822", 0, E), id="undefined-export"),
    pytest.param("def f(a, a):\n    pass\n", ("F831", 0, E), id="duplicate-argument"),
    pytest.param("x = 1\nreturn x\n", ("F706", 1, E), id="return-outside-function"),
    pytest.param("def f():\n    yield 1\nyield 2\n", ("F704", 2, E), id="yield-outside-function"),
    pytest.param("for x in []:\n    pass\nbreak\n", ("F701", 2, E), id="break-outside-loop"),
    pytest.param("continue\n", ("F702", 0, E), id="continue-outside-loop"),
    pytest.param("a, *b, *c = [1, 2, 3]\n", ("F622", 0, E), id="two-starred"),
    pytest.param("assert (1, 'message')\n", ("F631", 0, L), id="assert-tuple"),
    pytest.param("x = 'a'\nif x is 'a':\n    pass\n", ("F632", 1, L), id="is-literal"),
    pytest.param("if (1, 2):\n    pass\n", ("F634", 0, L), id="if-tuple"),
    pytest.param("x = f'plain'\n", ("F541", 0, L), id="f-string-placeholders"),
    pytest.param("raise NotImplemented\n", ("F901", 0, L), id="raise-not-implemented"),
    pytest.param("'%s %s' % (1,)\n", ("F507", 0, L), id="percent-format-count"),
    pytest.param(
        "try:\n    pass\nexcept:\n    pass\nexcept ValueError:\n    pass\n", ("F707", 2, L), id="bare-except-first"
    ),
]


@pytest.mark.parametrize(("text", "expected"), SINGLE)
def test_single_finding_table(analyzer, text, expected):
    assert [(f.rule_id, f.line, f.severity) for f in analyzer.analyze(Source(text=text))] == [expected]


def test_repeated_key_is_reported_at_each_occurrence(analyzer):
    findings = analyzer.analyze(Source(text="d = {'k': 1, 'k': 2}\n"))
    assert [(f.rule_id, f.severity, f.range.start.column) for f in findings] == [
        ("F601", Severity.LOW, 5),
        ("F601", Severity.LOW, 13),
    ]


def test_undefined_name_is_an_error_spanning_the_name(analyzer):
    [finding] = analyzer.analyze(Source(text="def f():\n    return missing_thing + 1\n"))
    assert finding.rule_id == "F821"
    assert finding.analyzer == "pyflakes"
    assert finding.severity is Severity.ERROR
    assert finding.confidence is Confidence.HIGH
    assert finding.cwe is None
    assert finding.message == "undefined name 'missing_thing'"
    assert finding.range.start == Position(line=1, column=11)
    assert finding.range.end == Position(line=1, column=24)


def test_unused_import_is_low_and_spans_the_statement(analyzer):
    [finding] = analyzer.analyze(Source(text="import os  \n"))
    assert (finding.rule_id, finding.severity) == ("F401", Severity.LOW)
    assert finding.message == "'os' imported but unused"
    assert finding.range.start == Position(line=0, column=0)
    assert finding.range.end == Position(line=0, column=9)  # trailing blanks are not part of it


def test_columns_are_code_points_not_bytes(analyzer):
    [finding] = analyzer.analyze(Source(text="é = 'ü'; total = é + nowhere\n"))
    assert finding.rule_id == "F821"
    assert finding.range.start.column == 21
    assert finding.range.end.column == 28


def test_undefined_local_shadowing_a_builtin(analyzer):
    # pyflakes stores this message's argument as a bare string, not a tuple.
    findings = analyzer.analyze(Source(text="def f():\n    n = len\n    len = 1\n    return n, len\n"))
    [finding] = [f for f in findings if f.rule_id == "F823"]
    assert "'len'" in finding.message
    assert (finding.range.start.column, finding.range.end.column) == (8, 11)


def test_unparsable_text_is_left_to_the_syntax_analyzer(analyzer):
    assert analyzer.analyze(Source(text="def f(:\n    undefined\n")) == []
    assert analyzer.analyze(Source(text="x = 1\0\n")) == []


def test_clean_snippet_gives_nothing(analyzer):
    text = "import os\n\n\ndef home() -> str:\n    return os.environ.get('HOME', '')\n"
    assert analyzer.analyze(Source(text=text)) == []


def test_findings_come_in_line_order(analyzer):
    lines = [f.line for f in analyzer.analyze(Source(text=MODULE))]
    assert lines == sorted(lines)


def test_doctests_are_not_checked_even_when_the_environment_asks(analyzer, monkeypatch):
    monkeypatch.setenv("PYFLAKES_DOCTEST", "1")
    text = 'def f():\n    """\n    >>> undefined_in_doctest\n    """\n'
    assert analyzer.analyze(Source(text=text)) == []


def test_every_pyflakes_message_has_a_flake8_code():
    classes = {
        name
        for name, cls in inspect.getmembers(pyflakes_messages, inspect.isclass)
        if issubclass(cls, pyflakes_messages.Message) and cls is not pyflakes_messages.Message
    }
    assert classes - set(FLAKE8_CODES) == set()
    assert HARD_ERRORS <= classes


def test_fits_the_analyzer_protocol(analyzer):
    assert isinstance(analyzer, Analyzer)
    assert (analyzer.name, analyzer.speed, analyzer.languages) == ("pyflakes", "fast", frozenset({"python"}))
    assert analyzer.available() is None
