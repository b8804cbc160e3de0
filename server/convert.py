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
    if encoding == "utf-32" or text.isascii():
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

    A character past the end of its line means the end of the line (as LSP says); one inside a
    character (half of a UTF-16 surrogate pair, part of a UTF-8 sequence) means the end of that
    character. No step walks the text one character or one line at a time in Python: the line is
    found by counting line breaks in blocks (:func:`line_start`), the column by encoding the part of
    the line before it, so a position on a document of ten million characters costs milliseconds
    (the fuzzer's documents), whatever its lines.
    """
    begin = line_start(text, position.line)
    if begin is None:
        return None
    wanted = max(0, position.character)
    stop = min(begin + wanted, len(text))  # every character is at least one code unit
    for line_break in "\n\r":
        found = text.find(line_break, begin, stop)
        stop = stop if found < 0 else found
    if wanted == 0 or encoding == "utf-32" or text.isascii():
        return stop
    if encoding == "utf-8":
        data = text[begin:stop].encode("utf-8", "surrogatepass")
        if len(data) <= wanted:
            return stop
        return begin + len(data[:wanted].translate(None, _CONTINUATION))  # the characters that start before it
    if stop - begin < wanted and units(text[begin:stop]) <= wanted:  # the line ends first
        return stop
    # A binary search for the first column whose code units before it reach ``wanted``; no column
    # before (wanted - 1) // 2 can (two units at most per character), so the text is encoded once.
    low = (wanted - 1) // 2
    low_units, high = units(text[begin:begin + low]), stop - begin
    while high - low > 1:
        middle = (low + high) // 2
        middle_units = low_units + units(text[begin + low:begin + middle])
        if middle_units >= wanted:
            high = middle
        else:
            low, low_units = middle, middle_units
    return begin + high


def line_start(text: str, line: int) -> int | None:
    """The offset where ``line`` (0-based) begins; None when ``text`` has fewer lines.

    The line breaks are counted a block at a time (``str.count``), 65,536 characters and then 1,024,
    so only the last block's breaks are visited one by one.
    """
    if line < 0:
        return None
    begin, left = 0, line
    for size in (65_536, 1_024):
        begin, left = _skip_blocks(text, begin, left, size)
    if left == 0:
        return begin
    for match in _BREAK.finditer(text, begin):
        left -= 1
        if left == 0:
            return match.end()
    return None


def _skip_blocks(text: str, begin: int, left: int, size: int) -> tuple[int, int]:
    """Move past whole blocks of ``size`` characters while they hold fewer than ``left`` line breaks."""
    while left:
        end = min(begin + size, len(text))
        if text[end - 1:end + 1] == "\r\n":
            end += 1  # a block never splits a \r\n
        breaks = text.count("\n", begin, end) + text.count("\r", begin, end) - text.count("\r\n", begin, end)
        if breaks >= left or end >= len(text):
            break
        begin, left = end, left - breaks
    return begin, left


def apply_edit(text: str, edit_range: types.Range, new_text: str, encoding: str = UTF16) -> str:
    """``text`` with an incremental ``didChange`` edit applied, by offsets.

    A position on a line past the end means the end of the text (as pygls has it); a range whose
    end comes before its start covers the text between the two (as VS Code's ``Range`` reads it).
    The cost is finding two positions plus copying the text once, whatever its lines.
    """
    def offset(position: types.Position) -> int:
        found = offset_at(text, position, encoding)
        return len(text) if found is None else found

    start = offset(edit_range.start)
    end = start if edit_range.end == edit_range.start else offset(edit_range.end)
    start, end = min(start, end), max(start, end)
    return text[:start] + new_text + text[end:]


_CONTINUATION = bytes(range(0x80, 0xC0))  # UTF-8 bytes that do not start a character


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
