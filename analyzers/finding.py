"""The one result type every analyzer produces.

A :class:`Finding` carries what Bandit's result model and SARIF 2.1.0 carry:
analyzer, rule id, message, severity, confidence, CWE, a 0-based range and an
optional fix. Positions are 0-based lines and 0-based columns counted in
Unicode code points of the line (the LSP layer converts to UTF-16 itself).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace


class Severity(enum.IntEnum):
    """Ordered so that ``a >= Severity.MEDIUM`` reads naturally."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    ERROR = 4  # the code is broken: it does not compile, or names something undefined

    @classmethod
    def parse(cls, text: str) -> "Severity":
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r}; use one of {', '.join(s.name.lower() for s in cls)}") from None


class Confidence(enum.IntEnum):
    LOW = 1
    MEDIUM = 2
    HIGH = 3

    @classmethod
    def parse(cls, text: str) -> "Confidence":
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown confidence {text!r}; use low, medium or high") from None


@dataclass(frozen=True, kw_only=True, order=True)
class Position:
    line: int
    column: int = 0


@dataclass(frozen=True, kw_only=True)
class Range:
    start: Position
    end: Position

    @classmethod
    def lines(cls, first: int, last: int | None = None, *, end_column: int = 0) -> "Range":
        """A range from the start of line ``first`` to ``end_column`` of ``last``."""
        last = first if last is None else last
        return cls(start=Position(line=first), end=Position(line=last, column=end_column))

    def line_span(self) -> range:
        return range(self.start.line, self.end.line + 1)


@dataclass(frozen=True, kw_only=True)
class TextEdit:
    range: Range
    new_text: str


@dataclass(frozen=True, kw_only=True)
class Finding:
    analyzer: str
    rule_id: str
    message: str
    severity: Severity
    range: Range
    confidence: Confidence = Confidence.HIGH
    cwe: int | None = None
    fix: TextEdit | None = None
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def line(self) -> int:
        """0-based first line."""
        return self.range.start.line

    def moved(self, lines: int) -> "Finding":
        """The same finding ``lines`` lines further down (up when negative); a fix's edit is dropped."""
        r = self.range
        return replace(self, fix=None, range=Range(start=Position(line=r.start.line + lines, column=r.start.column),
                                                   end=Position(line=r.end.line + lines, column=r.end.column)))

    def label(self) -> str:
        """``B602 (CWE-78)``: the rule as a human reads it."""
        return f"{self.rule_id} (CWE-{self.cwe})" if self.cwe else self.rule_id

    def brief(self) -> dict:
        """``{analyzer, rule_id, cwe}``: what a record of an attempt says of a finding it does not keep whole."""
        return {"analyzer": self.analyzer, "rule_id": self.rule_id, "cwe": self.cwe}

    def to_dict(self) -> dict:
        return {
            "analyzer": self.analyzer,
            "rule_id": self.rule_id,
            "message": self.message,
            "severity": self.severity.name.lower(),
            "confidence": self.confidence.name.lower(),
            "cwe": self.cwe,
            "range": {
                "start": {"line": self.range.start.line, "column": self.range.start.column},
                "end": {"line": self.range.end.line, "column": self.range.end.column},
            },
            "fix": None
            if self.fix is None
            else {"range": {"start": vars(self.fix.range.start), "end": vars(self.fix.range.end)}, "new_text": self.fix.new_text},
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Finding":
        """The finding :meth:`to_dict` wrote; ``ValueError`` naming what is missing or wrong."""
        try:
            fix = data.get("fix")
            return cls(analyzer=str(data["analyzer"]), rule_id=str(data["rule_id"]), message=str(data["message"]),
                       severity=Severity.parse(data["severity"]), confidence=Confidence.parse(data["confidence"]),
                       cwe=data.get("cwe"), range=_range(data["range"]),
                       fix=None if fix is None else TextEdit(range=_range(fix["range"]), new_text=fix["new_text"]))
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"not a finding ({type(exc).__name__}: {exc})") from None


def _range(data: dict) -> Range:
    return Range(start=Position(line=int(data["start"]["line"]), column=int(data["start"]["column"])),
                 end=Position(line=int(data["end"]["line"]), column=int(data["end"]["column"])))
