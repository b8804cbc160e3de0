"""The one place that converts between secgen's types and lsprotocol's.

secgen's ranges are 0-based lines and code-point columns; LSP positions are
0-based lines and UTF-16 code units (the default position encoding). A finding
becomes a diagnostic with the analyzer in ``source`` (``secgen/bandit``), the
rule in ``code``, the CWE page in ``codeDescription``, and what a quick fix
needs in ``data``.
"""

from __future__ import annotations

from lsprotocol import types

from secgen.analyzers import Finding, Severity, SeverityPolicy

SOURCE_PREFIX = "secgen/"
AI_MARK = "AI suggestion"


def utf16_column(line: str, column: int) -> int:
    return len(line[:column].encode("utf-16-le")) // 2


def codepoint_column(line: str, utf16: int) -> int:
    """The code-point column of a UTF-16 column (clamped to the line)."""
    units = 0
    for index, char in enumerate(line):
        if units >= utf16:
            return index
        units += 2 if ord(char) > 0xFFFF else 1
    return len(line)


def to_lsp_range(finding: Finding, lines: list[str]) -> types.Range:
    def position(line: int, column: int) -> types.Position:
        line = max(0, min(line, max(len(lines) - 1, 0)))
        text = lines[line] if lines else ""
        return types.Position(line=line, character=utf16_column(text, max(0, column)))

    start = position(finding.range.start.line, finding.range.start.column)
    end = position(finding.range.end.line, finding.range.end.column)
    if (end.line, end.character) <= (start.line, start.character):
        text = lines[start.line] if lines else ""
        end = types.Position(line=start.line, character=max(start.character, utf16_column(text, len(text))))
    return types.Range(start=start, end=end)


def _severity(finding: Finding, blocking: bool) -> types.DiagnosticSeverity:
    if blocking:
        return types.DiagnosticSeverity.Error
    if finding.severity >= Severity.MEDIUM:
        return types.DiagnosticSeverity.Warning
    if finding.severity == Severity.LOW:
        return types.DiagnosticSeverity.Information
    return types.DiagnosticSeverity.Hint


def to_diagnostic(finding: Finding, lines: list[str], policy: SeverityPolicy, *, ai: bool = False) -> types.Diagnostic:
    blocking = policy.is_blocking(finding)
    message = finding.message
    if finding.cwe:
        message += f" (CWE-{finding.cwe})"
    if ai:
        message = f"{AI_MARK}: {message}"
    return types.Diagnostic(
        range=to_lsp_range(finding, lines),
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
