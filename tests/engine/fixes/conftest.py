"""Fixtures for the mechanical fixes: the real analyzers (default set) and the policy the loop uses."""

from __future__ import annotations

import pytest

from secgen.analyzers import AnalyzerRegistry, SeverityPolicy, Source
from secgen.analyzers.registry import DEFAULT_ANALYZERS
from secgen.engine.fixes import mechanical_fix
from secgen.engine.guard import function_guard


@pytest.fixture(scope="session")
def registry():
    return AnalyzerRegistry()  # in process: the fix tests run thousands of small analyses


@pytest.fixture(scope="session")
def analyze(registry):
    def run(text: str):
        report = registry.analyze(Source(text=text, language="python"), DEFAULT_ANALYZERS)
        assert not report.failures, report.failures
        return report.findings
    return run


@pytest.fixture(scope="session")
def fix(analyze):
    """``fix(text, context="", policy=default)`` -> FixOutcome: the mechanical tier, real analyzers, the guard."""
    def run(text: str, context: str = "", policy: SeverityPolicy = SeverityPolicy()):
        return mechanical_fix(text, analyze(text), check=analyze, policy=policy, context=context,
                              guard=lambda before, after: function_guard(before, after))
    return run
