"""The registry: one failing analyzer is reported, the others' findings still come back."""

from __future__ import annotations

import os

import pytest

from secgen.analyzers.base import Source
from secgen.analyzers.finding import Finding, Range, Severity
from secgen.analyzers.registry import BUILTIN, DEFAULT_ANALYZERS, AnalyzerRegistry, default_registry


class NoteAnalyzer:
    """Reports one finding on line 0, named after itself."""

    languages = frozenset({"python"})
    speed = "fast"

    def __init__(self, name: str = "note", *, speed: str = "fast", languages: frozenset[str] | None = None) -> None:
        self.name = name
        self.speed = speed
        if languages is not None:
            self.languages = languages
        self.calls = 0

    def available(self) -> str | None:
        return None

    def analyze(self, source: Source) -> list[Finding]:
        self.calls += 1
        return [
            Finding(
                analyzer=self.name,
                rule_id=f"{self.name}-rule",
                message="note",
                severity=Severity.LOW,
                range=Range.lines(0),
            )
        ]


class CrashingAnalyzer(NoteAnalyzer):
    def analyze(self, source: Source) -> list[Finding]:
        raise RuntimeError("tool exploded")


class TupleAnalyzer(NoteAnalyzer):
    def analyze(self, source: Source):
        return tuple(super().analyze(source))


class StringsAnalyzer(NoteAnalyzer):
    def analyze(self, source: Source):
        return ["not a finding"]


class UnavailableAnalyzer(NoteAnalyzer):
    def available(self) -> str | None:
        return "svace is not installed"


def broken_factory():
    raise ImportError("no module named 'plugin_dependency'")


SOURCE = Source(text="x = 1\n")


def registry_with(**factories) -> AnalyzerRegistry:
    return AnalyzerRegistry({"good": lambda: NoteAnalyzer("good"), **factories})


@pytest.mark.parametrize(
    ("factory", "reason"),
    [
        pytest.param(
            broken_factory, "failed to load: ImportError: no module named 'plugin_dependency'", id="factory-raises"
        ),
        pytest.param(lambda: CrashingAnalyzer("bad"), "crashed: RuntimeError: tool exploded", id="analyze-raises"),
        pytest.param(
            lambda: TupleAnalyzer("bad"), "crashed: TypeError: returned tuple, not a list of Finding", id="not-a-list"
        ),
        pytest.param(
            lambda: StringsAnalyzer("bad"),
            "crashed: TypeError: returned list, not a list of Finding",
            id="not-findings",
        ),
        pytest.param(lambda: UnavailableAnalyzer("bad"), "svace is not installed", id="unavailable"),
        pytest.param(
            "secgen.analyzers.no_such_module:Analyzer", "failed to load: ModuleNotFoundError", id="bad-import-path"
        ),
    ],
)
def test_failure_is_reported_and_the_others_still_run(factory, reason):
    registry = registry_with(bad=factory)
    report = registry.analyze(SOURCE, ["bad", "good"])
    assert [f.rule_id for f in report.findings] == ["good-rule"]
    assert list(report.failures) == ["bad"]
    assert report.failures["bad"].startswith(reason)


def test_unknown_analyzer_is_reported_with_the_known_names():
    report = registry_with().analyze(SOURCE, ["good", "nope"])
    assert [f.analyzer for f in report.findings] == ["good"]
    assert report.failures == {"nope": "unknown analyzer 'nope' (known: good)"}


def test_slow_analyzer_runs_only_when_asked():
    slow = NoteAnalyzer("slow", speed="slow")
    registry = registry_with(slow=lambda: slow)
    assert [f.analyzer for f in registry.analyze(SOURCE, ["good", "slow"]).findings] == ["good"]
    assert slow.calls == 0
    report = registry.analyze(SOURCE, ["good", "slow"], include_slow=True)
    assert sorted(f.analyzer for f in report.findings) == ["good", "slow"]
    assert report.failures == {}


def test_analyzers_for_other_languages_are_skipped_not_failed():
    c_only = NoteAnalyzer("c_only", languages=frozenset({"c"}))
    registry = registry_with(c_only=lambda: c_only)
    report = registry.analyze(SOURCE, ["good", "c_only"])
    assert [f.analyzer for f in report.findings] == ["good"]
    assert report.failures == {}
    assert c_only.calls == 0
    c_report = registry.analyze(Source(text="int x;", language="c"), ["good", "c_only"])
    assert [f.analyzer for f in c_report.findings] == ["c_only"]


def test_factory_runs_once_and_a_broken_one_is_not_retried():
    made: list[str] = []

    def counting_factory():
        made.append("good")
        return NoteAnalyzer("good")

    def failing_factory():
        made.append("bad")
        raise RuntimeError("boom")

    registry = AnalyzerRegistry({"good": counting_factory, "bad": failing_factory})
    for _ in range(3):
        registry.analyze(SOURCE, ["good", "bad"])
    assert made == ["good", "bad"]
    assert registry.problem("bad") == "failed to load: RuntimeError: boom"
    assert registry.problem("good") is None


def test_register_replaces_a_broken_analyzer():
    registry = AnalyzerRegistry({"x": broken_factory})
    assert registry.get("x") is None
    registry.register("x", lambda: NoteAnalyzer("x"))
    assert registry.get("x") is not None
    assert registry.problem("x") is None


def test_each_run_is_timed():
    report = registry_with(bad=lambda: CrashingAnalyzer("bad")).analyze(SOURCE, ["good", "bad"])
    assert set(report.seconds) == {"good", "bad"}
    assert all(seconds >= 0 for seconds in report.seconds.values())


def test_builtins_run_together_and_come_back_in_position_order():
    text = "import os\n\ndef f(cmd)\n    os.system(cmd)\n"
    broken = AnalyzerRegistry().analyze(Source(text=text))
    assert [(f.analyzer, f.rule_id) for f in broken.findings] == [("syntax", "syntax-error")]
    assert broken.failures == {}

    text = "import os\nimport subprocess\n\n\ndef f(cmd):\n    os.system(cmd)\n    return undefined_name\n"
    report = AnalyzerRegistry().analyze(Source(text=text))
    assert report.failures == {}
    assert [(f.analyzer, f.rule_id, f.line) for f in report.findings] == [
        ("bandit", "B404", 1),
        ("pyflakes", "F401", 1),
        ("bandit", "B605", 5),
        ("pyflakes", "F821", 6),
    ]
    # tree-sitter and gcc are defaults too, but not for Python: skipped, so untimed.
    assert set(report.seconds) == set(DEFAULT_ANALYZERS) - {"tree-sitter", "gcc"}


def test_default_registry_knows_the_builtins():
    registry = default_registry()
    assert set(BUILTIN) <= set(registry.names())
    for name in BUILTIN:
        analyzer = registry.get(name)
        if analyzer is None and name == "svace":  # ISP RAS's tool cannot be installed here; see test_svace.py
            assert registry.problem(name).startswith("svace is not installed")
            continue
        if analyzer is None and name == "cppcheck" and os.environ.get("SECGEN_REQUIRE_TOOLS") != "1":
            assert registry.problem(name) == "cppcheck is not installed: apt-get install cppcheck"
            continue
        assert analyzer is not None, registry.problem(name)
        assert analyzer.name == name
