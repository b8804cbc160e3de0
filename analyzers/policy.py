"""Which findings count as errors for the repair loop.

Default, as the design card says: syntax errors and undefined names (both
reported with severity ``ERROR``), and security findings of medium severity or
higher. Everything else (unused imports, low-severity Bandit notes) is shown
but never blocks a suggestion. Rules can be forced on or off by id.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Iterable

from secgen.analyzers.finding import Confidence, Finding, Severity


@dataclass(frozen=True, kw_only=True)
class SeverityPolicy:
    block_at: Severity = Severity.MEDIUM
    min_confidence: Confidence = Confidence.LOW
    always_block: frozenset[str] = field(default_factory=frozenset)
    never_block: frozenset[str] = field(default_factory=frozenset)

    def is_blocking(self, finding: Finding) -> bool:
        if finding.rule_id in self.never_block:
            return False
        if finding.rule_id in self.always_block:
            return True
        return finding.severity >= self.block_at and finding.confidence >= self.min_confidence

    def blocking(self, findings: Iterable[Finding]) -> list[Finding]:
        return [f for f in findings if self.is_blocking(f)]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "SeverityPolicy":
        """Build from settings such as ``{"blockAt": "high", "neverBlock": ["B101"]}``.

        Raises ``ValueError`` naming the bad key or value.
        """
        known = {"blockAt", "minConfidence", "alwaysBlock", "neverBlock"}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown policy setting(s): {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}")
        kwargs: dict[str, Any] = {}
        if "blockAt" in data:
            kwargs["block_at"] = Severity.parse(str(data["blockAt"]))
        if "minConfidence" in data:
            kwargs["min_confidence"] = Confidence.parse(str(data["minConfidence"]))
        for wire, attr in (("alwaysBlock", "always_block"), ("neverBlock", "never_block")):
            if wire in data:
                value = data[wire]
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise ValueError(f"policy setting {wire} must be a list of rule ids")
                kwargs[attr] = frozenset(value)
        return cls(**kwargs)

    def describe(self) -> str:
        parts = [f"block at {self.block_at.name.lower()} severity", f"min confidence {self.min_confidence.name.lower()}"]
        for f in fields(self)[2:]:
            rules = getattr(self, f.name)
            if rules:
                parts.append(f"{f.name.replace('_', ' ')}: {', '.join(sorted(rules))}")
        return "; ".join(parts)
