"""The Svace adapter, driven end to end against a STAND-IN for Svace and Svacer.

Svace cannot be installed here. ``tests/analyzers/standin/svace`` and
``svacer`` follow the documented command line and serve hand-made results
from ``tests/analyzers/data/svace/`` (see the README there); they are not
analyzers. What these tests establish is the adapter's side: the commands it
runs, where it runs them, how it reads results, and how it fails.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from secgen.analyzers.base import Analyzer, AnalyzerError, Source
from secgen.analyzers.finding import Position, Severity
from secgen.analyzers.pyflakes import PyflakesAnalyzer
from secgen.analyzers.registry import BUILTIN, DEFAULT_ANALYZERS, AnalyzerRegistry
from secgen.analyzers.sarif import read_sarif
from secgen.analyzers.svace import SVACE_LEVELS, SVACE_SEVERITIES, SvaceAnalyzer, SvaceSettings

STANDIN = Path(__file__).parent / "standin"
SVACE = str(STANDIN / "svace")
SVACER = str(STANDIN / "svacer")

APP = """\
import subprocess


def run(cmd, items):
    subprocess.call(cmd, shell=True)
    total = count + 1
    handle = open("/tmp/x")
    unused = items[0]
    return total
"""

# What the hand-made results say about app.py: one warning per Svace severity.
EXPECTED = [
    ("OS_COMMAND_INJECTION", 4, Severity.HIGH),
    ("UNDEFINED_VARIABLE", 5, Severity.MEDIUM),
    ("HANDLE_LEAK", 6, Severity.LOW),
    ("UNUSED_VALUE", 7, Severity.INFO),
]


@pytest.fixture
def user_dir(tmp_path: Path) -> Path:
    """The user's project: the adapter may read the path's name, never write there."""
    folder = tmp_path / "user"
    folder.mkdir()
    (folder / "app.py").write_text("# the version on disk, older than the editor's\n")
    return folder


@pytest.fixture
def scratch_root(tmp_path: Path) -> Path:
    folder = tmp_path / "scratch"
    folder.mkdir()
    return folder


@pytest.fixture
def log(tmp_path: Path) -> Path:
    return tmp_path / "standin.log"


def settings(scratch_root: Path, log: Path, mode: str = "", **changes) -> SvaceSettings:
    env = {"SVACE_STANDIN_LOG": str(log), "SVACE_STANDIN_MODE": mode}
    return SvaceSettings(**{"svace": SVACE, "svacer": SVACER, "scratch_root": str(scratch_root), "env": env, **changes})


def calls(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()]


def summary(findings) -> list[tuple[str, int, Severity]]:
    return [(f.rule_id, f.line, f.severity) for f in findings]


def test_sarif_results_end_to_end(user_dir, scratch_root, log):
    analyzer = SvaceAnalyzer(settings(scratch_root, log))
    assert isinstance(analyzer, Analyzer)
    assert analyzer.available() is None

    findings = analyzer.analyze(Source(text=APP, path=str(user_dir / "app.py")))

    assert summary(findings) == EXPECTED  # lib/helper.py's warning is left out
    assert {f.analyzer for f in findings} == {"svace"}
    assert findings[0].range.start == Position(line=4, column=4)  # SARIF's 1-based line 5, column 5
    assert findings[0].message.startswith("Tainted value from parameter 'cmd'")
    assert [f.extra["level"] for f in findings] == ["error", "warning", "note", "none"]


def test_commands_run_in_order_in_the_scratch_project(user_dir, scratch_root, log):
    before = {p: p.read_bytes() for p in user_dir.rglob("*")}
    SvaceAnalyzer(settings(scratch_root, log)).analyze(Source(text=APP, path=str(user_dir / "app.py")))

    entries = calls(log)
    project = Path(entries[0]["cwd"])
    assert [(e["tool"], e["argv"]) for e in entries] == [
        ("svace", ["init"]),
        ("svace", ["build", "--python", "."]),
        ("svace", ["analyze"]),
        ("svacer", ["sarif", "-o", str(project.parent / "svace.sarif"), "--svace", SVACE, str(project)]),
    ]
    assert {e["cwd"] for e in entries} == {str(project)}
    assert project.is_relative_to(scratch_root.resolve())
    assert entries[1]["files"] == ["app.py"]  # the editor's text, under the file's own name

    assert {p: p.read_bytes() for p in user_dir.rglob("*")} == before  # no .svace-dir, no rewrite
    assert list(scratch_root.iterdir()) == []  # the scratch project is gone


def test_native_results(user_dir, scratch_root, log):
    analyzer = SvaceAnalyzer(settings(scratch_root, log, results="native", svacer=str(STANDIN / "missing")))
    assert analyzer.available() is None  # svacer is only needed for SARIF

    findings = analyzer.analyze(Source(text=APP, path=str(user_dir / "app.py")))

    assert summary(findings) == EXPECTED
    assert findings[0].range.start == Position(line=4, column=4)
    assert findings[1].range.end == Position(line=5, column=len("    total = count + 1"))
    assert [f.extra["level"] for f in findings] == ["error", "warning", "note", "none"]
    assert [e["tool"] for e in calls(log)] == ["svace", "svace", "svace"]
    assert list(scratch_root.iterdir()) == []


def test_native_and_sarif_severities_agree():
    """Svace's four severities mean the same whether read natively or through Svacer's SARIF levels."""
    for svace_severity, level in SVACE_LEVELS.items():
        document = {"version": "2.1.0", "runs": [{"results": [{"ruleId": "R", "level": level}]}]}
        [finding] = read_sarif(document, analyzer="svace")
        assert finding.severity == SVACE_SEVERITIES[svace_severity], svace_severity


def test_extra_flags_and_build_targets_are_settings(scratch_root, log):
    analyzer = SvaceAnalyzer(settings(
        scratch_root, log,
        init_flags=("--bare",), build_flags=("--verbose",), analyze_flags=("--with-cache",),
        svacer_flags=("--host", "svacer.example", "--user", "ci"),
        build_targets={"python": ("--python", "{file}")},
    ))
    findings = analyzer.analyze(Source(text="x = 1\n"))  # no path: written as snippet.py

    assert findings == []  # the recorded warnings are all about app.py
    argvs = [e["argv"] for e in calls(log)]
    assert argvs[:3] == [["init", "--bare"], ["build", "--verbose", "--python", "snippet.py"],
                         ["analyze", "--with-cache"]]
    assert argvs[3][-5:] == ["--host", "svacer.example", "--user", "ci", calls(log)[0]["cwd"]]


def test_languages_follow_the_build_targets():
    assert "python" in SvaceAnalyzer().languages
    assert SvaceAnalyzer(SvaceSettings(build_targets={"java": ("javac", "{file}")})).languages == {"java"}
    with pytest.raises(AnalyzerError, match="no svace build command for 'python'"):
        SvaceAnalyzer(SvaceSettings(build_targets={})).analyze(Source(text="x = 1\n"))


def test_missing_svace_is_unavailable_not_an_error(tmp_path):
    assert SvaceAnalyzer(SvaceSettings(svace="secgen-no-such-svace")).available() == (
        "svace is not installed (not on PATH; set the svace path setting)")
    missing = str(tmp_path / "bin" / "svace")
    assert SvaceAnalyzer(SvaceSettings(svace=missing)).available() == (
        f"svace not found at {missing} (set the svace path setting)")
    reason = SvaceAnalyzer(SvaceSettings(svace=SVACE, svacer="secgen-no-such-svacer")).available()
    assert reason.startswith("svacer is not installed") and "\n" not in reason


def test_registry_reports_missing_svace_and_runs_the_others():
    registry = AnalyzerRegistry({
        "svace": lambda: SvaceAnalyzer(SvaceSettings(svace="secgen-no-such-svace")),
        "pyflakes": PyflakesAnalyzer,
    })
    report = registry.analyze(Source(text="print(undefined_name)\n"), ["svace", "pyflakes"], include_slow=True)

    assert report.failures == {"svace": "svace is not installed (not on PATH; set the svace path setting)"}
    assert [(f.analyzer, f.rule_id) for f in report.findings] == [("pyflakes", "F821")]


def test_svace_is_built_in_but_not_a_default():
    assert BUILTIN["svace"] == "secgen.analyzers.svace:SvaceAnalyzer"
    assert "svace" not in DEFAULT_ANALYZERS
    assert SvaceAnalyzer.speed == "slow"


def test_a_hanging_step_is_killed_at_its_timeout(user_dir, scratch_root, log):
    analyzer = SvaceAnalyzer(settings(scratch_root, log, mode="hang:analyze", analyze_timeout_s=0.5))

    with pytest.raises(AnalyzerError, match=r"^svace analyze: svace timed out after 0.5 s and was killed$"):
        analyzer.analyze(Source(text=APP, path=str(user_dir / "app.py")))

    hung = calls(log)[-1]
    assert hung["argv"] == ["analyze"]
    with pytest.raises(ProcessLookupError):
        os.kill(hung["pid"], 0)  # killed and reaped, not left running
    assert list(scratch_root.iterdir()) == []


@pytest.mark.parametrize(("mode", "step"), [
    ("fail:init", "svace init"),
    ("fail:build", "svace build"),
    ("fail:analyze", "svace analyze"),
    ("fail:sarif", "svacer sarif"),
])
def test_a_failing_step_is_named_with_its_stderr(scratch_root, log, mode, step):
    analyzer = SvaceAnalyzer(settings(scratch_root, log, mode=mode))

    with pytest.raises(AnalyzerError) as caught:
        analyzer.analyze(Source(text=APP, path="app.py"))

    tool, _, name = step.partition(" ")
    assert str(caught.value) == (
        f"{step} failed (exit 3): {tool} {name}: error: stand-in asked to fail (SVACE_STANDIN_MODE={mode})")
    assert list(scratch_root.iterdir()) == []


def test_missing_results_are_an_error(scratch_root, log):
    analyzer = SvaceAnalyzer(settings(scratch_root, log, results="native",
                                      native_results=".svace-dir/analyze-res/*.json"))
    with pytest.raises(AnalyzerError, match=r"svace analyze left no results matching .*\*\.json"):
        analyzer.analyze(Source(text=APP, path="app.py"))


def test_invalid_settings_are_refused():
    with pytest.raises(ValueError, match="'sarif' or 'native'"):
        SvaceSettings(results="xml")
    with pytest.raises(ValueError, match="analyze_timeout_s must be positive"):
        SvaceSettings(analyze_timeout_s=0)
