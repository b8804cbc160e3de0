"""The severity policy over real analyzer findings, and its settings parser."""

from __future__ import annotations

import pytest

from secgen.analyzers.bandit import BanditAnalyzer
from secgen.analyzers.base import Source
from secgen.analyzers.finding import Confidence, Finding, Range, Severity
from secgen.analyzers.policy import SeverityPolicy
from secgen.analyzers.pyflakes import PyflakesAnalyzer
from secgen.analyzers.syntax import SyntaxAnalyzer


def one(findings: list[Finding], rule_id: str) -> Finding:
    [finding] = [f for f in findings if f.rule_id == rule_id]
    return finding


@pytest.fixture(scope="module")
def real_findings() -> dict[str, Finding]:
    """One real finding per rule the default policy must decide on."""
    security = BanditAnalyzer().analyze(
        Source(text="import subprocess\nimport pickle\nsubprocess.call(c, shell=True)\npickle.loads(b)\nassert b\n")
    )
    flakes = PyflakesAnalyzer().analyze(Source(text="import os\nprint(nowhere)\n"))
    [syntax] = SyntaxAnalyzer().analyze(Source(text="def f(\n"))
    found = {"syntax-error": syntax, "F821": one(flakes, "F821"), "F401": one(flakes, "F401")}
    found.update({rule: one(security, rule) for rule in ("B602", "B301", "B101", "B404")})
    return found


@pytest.mark.parametrize(
    ("rule", "blocks"),
    [
        ("syntax-error", True),
        ("F821", True),  # undefined name
        ("B602", True),  # Bandit HIGH
        ("B301", True),  # Bandit MEDIUM
        ("F401", False),  # unused import
        ("B101", False),  # Bandit LOW
        ("B404", False),  # Bandit LOW
    ],
)
def test_default_policy_follows_the_design_card(real_findings, rule, blocks):
    assert SeverityPolicy().is_blocking(real_findings[rule]) is blocks


def test_blocking_keeps_only_the_blocking_findings_in_order(real_findings):
    findings = list(real_findings.values())
    assert [f.rule_id for f in SeverityPolicy().blocking(findings)] == ["syntax-error", "F821", "B602", "B301"]


def finding(
    rule_id: str = "B999", severity: Severity = Severity.MEDIUM, confidence: Confidence = Confidence.HIGH
) -> Finding:
    return Finding(
        analyzer="test", rule_id=rule_id, message="m", severity=severity, confidence=confidence, range=Range.lines(0)
    )


def test_never_block_wins_over_always_block_and_severity():
    policy = SeverityPolicy(always_block=frozenset({"B101"}), never_block=frozenset({"B101", "B602"}))
    assert not policy.is_blocking(finding("B101", Severity.LOW))
    assert not policy.is_blocking(finding("B602", Severity.HIGH))


def test_always_block_overrides_low_severity():
    assert SeverityPolicy(always_block=frozenset({"F401"})).is_blocking(finding("F401", Severity.LOW))


def test_min_confidence_filters_unsure_findings():
    policy = SeverityPolicy(min_confidence=Confidence.MEDIUM)
    assert not policy.is_blocking(finding(confidence=Confidence.LOW))
    assert policy.is_blocking(finding(confidence=Confidence.MEDIUM))


def test_from_dict_reads_every_setting():
    policy = SeverityPolicy.from_dict(
        {"blockAt": "High", "minConfidence": " medium ", "alwaysBlock": ["B101"], "neverBlock": ["F401", "B404"]}
    )
    assert policy == SeverityPolicy(
        block_at=Severity.HIGH,
        min_confidence=Confidence.MEDIUM,
        always_block=frozenset({"B101"}),
        never_block=frozenset({"F401", "B404"}),
    )
    assert not policy.is_blocking(finding(severity=Severity.MEDIUM))
    assert policy.is_blocking(finding(severity=Severity.ERROR))


def test_from_empty_dict_is_the_default():
    assert SeverityPolicy.from_dict({}) == SeverityPolicy()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"blockat": "high"},
            "unknown policy setting(s): blockat; known: alwaysBlock, blockAt, minConfidence, neverBlock",
        ),
        ({"blockAt": "severe"}, "unknown severity 'severe'; use one of info, low, medium, high, error"),
        ({"minConfidence": "sure"}, "unknown confidence 'sure'; use low, medium or high"),
        ({"alwaysBlock": "B101"}, "policy setting alwaysBlock must be a list of rule ids"),
        ({"neverBlock": ["B101", 7]}, "policy setting neverBlock must be a list of rule ids"),
    ],
)
def test_from_dict_names_the_bad_key_or_value(data, message):
    with pytest.raises(ValueError) as raised:
        SeverityPolicy.from_dict(data)
    assert str(raised.value) == message


def test_describe_lists_the_settings():
    assert SeverityPolicy().describe() == "block at medium severity; min confidence low"
    policy = SeverityPolicy(never_block=frozenset({"F401", "B101"}))
    assert policy.describe() == "block at medium severity; min confidence low; never block: B101, F401"
