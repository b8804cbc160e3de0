"""Every mechanical fix's worked examples, through the real analyzers (syntax, pyflakes, Bandit, dataflow).

For each example: the vulnerable text has a finding of one of the fix's rules; the mechanical tier
turns it into exactly the fixed text, which has no finding of those rules and no blocking finding the
vulnerable text did not have; and the fixed text, given to the tier again, is left as it is. The fix's
rules block here whatever their severity (B311 is low, so it never blocks by default, but "Fix with
analyzer" offers its fix on any finding).
"""

from __future__ import annotations

from collections import Counter

import pytest

from secgen.analyzers import SeverityPolicy
from secgen.engine.fixes import all_fixes

CASES = [pytest.param(fix, number, example, id=f"{fix.name}-{number}")
         for fix in all_fixes() for number, example in enumerate(fix.examples, 1)]


def test_every_fix_has_examples_and_rules():
    assert all_fixes(), "no mechanical fix is registered"
    for fix in all_fixes():
        assert fix.rules and fix.description and len(fix.examples) >= 1, fix.name


def _keys(findings):
    return Counter((f.analyzer, f.rule_id) for f in findings)


@pytest.mark.parametrize(("fix_", "number", "example"), CASES)
def test_example_is_fixed_exactly(fix_, number, example, analyze, fix):
    policy = SeverityPolicy(always_block=fix_.rules)
    before = analyze(example.vulnerable)
    assert fix_.rules & {f.rule_id for f in before}, f"{fix_.name} example {number} is not flagged: {before}"
    outcome = fix(example.vulnerable, policy=policy)
    assert fix_.name in outcome.applied, outcome.rejected
    assert outcome.text == example.fixed
    after = analyze(outcome.text)
    assert not fix_.rules & {f.rule_id for f in after}, after
    assert not _keys(policy.blocking(after)) - _keys(policy.blocking(before))


@pytest.mark.parametrize(("fix_", "number", "example"), CASES)
def test_fixed_example_is_left_alone(fix_, number, example, fix):
    outcome = fix(example.fixed, policy=SeverityPolicy(always_block=fix_.rules))
    assert outcome.text == example.fixed and fix_.name not in outcome.applied


def test_the_docs_list_every_fix_with_its_rules():
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[3] / "docs" / "analyzers.md").read_text()
    for fix_ in all_fixes():
        assert f"| `{fix_.name}` | {', '.join(sorted(fix_.rules))} |" in docs, fix_.name
