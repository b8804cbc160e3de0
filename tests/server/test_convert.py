from lsprotocol import types

from secgen.analyzers import Confidence, Finding, Position, Range, Severity, SeverityPolicy
from secgen.server.actions import _nosec_edit, _task_at, line_edits
from secgen.server.convert import codepoint_column, is_ours, to_diagnostic, utf16_column


def _finding(line=0, col=0, end=4, rule="B307", severity=Severity.MEDIUM, cwe=78):
    return Finding(analyzer="bandit", rule_id=rule, message="Use of possibly insecure function", severity=severity,
                   confidence=Confidence.HIGH, cwe=cwe,
                   range=Range(start=Position(line=line, column=col), end=Position(line=line, column=end)))


def test_utf16_columns_count_astral_characters_twice():
    line = 'x = "😀"; eval(x)'
    col = line.index("eval")
    assert utf16_column(line, col) == col + 1
    assert codepoint_column(line, col + 1) == col
    assert codepoint_column("ab", 99) == 2


def test_diagnostic_fields():
    lines = ['x = "😀"; eval(x)']
    f = _finding(col=9, end=16)
    d = to_diagnostic(f, lines, SeverityPolicy())
    assert (d.range.start.character, d.range.end.character) == (10, 17)
    assert d.severity == types.DiagnosticSeverity.Error and d.code == "B307" and d.source == "secgen/bandit"
    assert d.code_description.href.endswith("/78.html") and d.message.endswith("(CWE-78)")
    assert d.data["blocking"] and is_ours(d)
    ai = to_diagnostic(_finding(severity=Severity.LOW, cwe=None), lines, SeverityPolicy(), ai=True)
    assert ai.source == "secgen/bandit (AI suggestion)" and ai.message.startswith("AI suggestion: ")
    assert ai.severity == types.DiagnosticSeverity.Information and ai.code_description is None


def test_out_of_range_finding_is_clamped_to_the_document():
    d = to_diagnostic(_finding(line=9, col=50, end=2), ["a = 1", "b = 2"], SeverityPolicy())
    assert d.range.start.line == 1 and d.range.end.character >= d.range.start.character


def test_line_edits_are_minimal():
    old = "a\nb\nc\nd\n"
    new = "a\nB\nB2\nc\nd\n"
    [edit] = line_edits(old, new)
    assert (edit.range.start.line, edit.range.end.line, edit.new_text) == (1, 2, "B\nB2\n")
    assert line_edits(old, old) == []


def test_nosec_edit_appends_or_extends():
    lines = ["subprocess.run(c, shell=True)", "os.system(c)  # nosec B605", "eval(x)  # nosec"]
    assert _nosec_edit(lines, 0, "B602").new_text == "subprocess.run(c, shell=True)  # nosec B602"
    assert _nosec_edit(lines, 1, "B607").new_text == "os.system(c)  # nosec B605, B607"
    assert _nosec_edit(lines, 1, "B605") is None
    assert _nosec_edit(lines, 7, "B605") is None


def test_task_from_comment_block():
    lines = ["def f():", "    # read the file", "    # and count lines", "", "x = 1"]
    assert _task_at(lines, 2) == ("read the file and count lines", 3, "    ")
    assert _task_at(lines, 3) == ("read the file and count lines", 3, "    ")
    assert _task_at(lines, 4) is None
