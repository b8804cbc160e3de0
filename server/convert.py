"""The one place that converts between secgen's types and lsprotocol's.

secgen's ranges are 0-based lines and code-point columns; LSP positions are
0-based lines and code units of the position encoding agreed at initialize
(UTF-16 unless the client offers UTF-8 or UTF-32 and pygls picks it). Lines
end at ``\n``, ``\r\n`` or ``\r`` for LSP and for Python alike, so
:func:`lsp_lines` is the analyzers' split (``str.splitlines`` would also
break at form feeds and ``\u2028``). A finding
becomes a diagnostic with the analyzer in ``source`` (``secgen/bandit``), the
rule in ``code``, the CWE page in ``codeDescription``, and what a quick fix
needs in ``data``.
"""

from __future__ import annotations

import re

from lsprotocol import types

from secgen.analyzers import Finding, Severity, SeverityPolicy
from secgen.analyzers.syntax import python_lines

SOURCE_PREFIX = "secgen/"
AI_MARK = "AI suggestion"
UTF16 = "utf-16"
_BREAK = re.compile(r"\r\n|\r|\n")


def lsp_lines(text: str) -> list[str]:
    """The text's lines as LSP (and Python, so the analyzers) count them, without their line breaks."""
    return python_lines(text)


def units(text: str, encoding: str = UTF16) -> int:
    """The length of ``text`` in code units of an LSP position encoding (a lone surrogate is one UTF-16 unit)."""
    if encoding == "utf-32":
        return len(text)
    if encoding == "utf-8":
        return len(text.encode("utf-8", "surrogatepass"))
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def utf16_column(line: str, column: int) -> int:
    return units(line[:column])


def codepoint_column(line: str, utf16: int) -> int:
    """The code-point column of a UTF-16 column (clamped to the line)."""
    count = 0
    for index, char in enumerate(line):
        if count >= utf16:
            return index
        count += 2 if ord(char) > 0xFFFF else 1
    return len(line)


def offset_at(text: str, position: types.Position, encoding: str = UTF16) -> int | None:
    """The code-point offset of an LSP position in ``text``; None for a line past the end.

    A character past the end of its line means the end of the line (as LSP says).
    """
    begin = 0
    if position.line:
        for number, match in enumerate(_BREAK.finditer(text), 1):
            if number == position.line:
                begin = match.end()
                break
        else:
            return None
    found = _BREAK.search(text, begin)
    line = text[begin:found.start() if found else len(text)]
    count = 0
    for column, char in enumerate(line):
        if count >= position.character:
            return begin + column
        count += units(char, encoding)
    return begin + len(line)


def to_lsp_range(finding: Finding, lines: list[str], encoding: str = UTF16) -> types.Range:
    def position(line: int, column: int) -> types.Position:
        line = max(0, min(line, max(len(lines) - 1, 0)))
        text = lines[line] if lines else ""
        return types.Position(line=line, character=units(text[:max(0, column)], encoding))

    start = position(finding.range.start.line, finding.range.start.column)
    end = position(finding.range.end.line, finding.range.end.column)
    if (end.line, end.character) <= (start.line, start.character):
        text = lines[start.line] if lines else ""
        end = types.Position(line=start.line, character=max(start.character, units(text, encoding)))
    return types.Range(start=start, end=end)


def _severity(finding: Finding, blocking: bool) -> types.DiagnosticSeverity:
    if blocking:
        return types.DiagnosticSeverity.Error
    if finding.severity >= Severity.MEDIUM:
        return types.DiagnosticSeverity.Warning
    if finding.severity == Severity.LOW:
        return types.DiagnosticSeverity.Information
    return types.DiagnosticSeverity.Hint


def to_diagnostic(finding: Finding, lines: list[str], policy: SeverityPolicy, *, ai: bool = False,
                  encoding: str = UTF16) -> types.Diagnostic:
    blocking = policy.is_blocking(finding)
    message = finding.message
    if finding.cwe:
        message += f" (CWE-{finding.cwe})"
    if ai:
        message = f"{AI_MARK}: {message}"
    return types.Diagnostic(
        range=to_lsp_range(finding, lines, encoding),
        message=message,
        severity=_severity(finding, blocking),
        code=finding.rule_id,
        code_description=types.CodeDescription(href=f"https://cwe.mitre.org/data/definitions/{finding.cwe}.html")
        if finding.cwe else None,
        source=SOURCE_PREFIX + finding.analyzer + (f" ({AI_MARK})" if ai else ""),
        data={"analyzer": finding.analyzer, "ruleId": finding.rule_id, "line": finding.line,
              "cwe": finding.cwe, "blocking": blocking, "ai": ai},
    )


def is_ours(diagnostic: types.Diagnostic) -> bool:
    return bool(diagnostic.source and diagnostic.source.startswith(SOURCE_PREFIX))
