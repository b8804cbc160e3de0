"""Meta's Insecure Code Detector, both halves: its regex rules in process, its Semgrep rules in the real Semgrep.

The fixtures (``tests/analyzers/data/icd/``, see its README) hold one insecure
and one clean file per language. The Semgrep half runs the Semgrep installed with
secgen; ``tests/analyzers/standin/semgrep`` is a STAND-IN used only
where a real Semgrep cannot show the adapter's side (its command line, a hang,
a run that scans nothing).
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import json
import os
import sys
import time
import types
from pathlib import Path

import pytest

from secgen.analyzers.base import Analyzer, AnalyzerError, Source
from secgen.analyzers.finding import Position, Range, Severity
from secgen.analyzers.icd import (SEMGREP_LANGUAGES, IcdRegexAnalyzer, IcdSemgrepAnalyzer, IcdSettings,
                                  regex_rules, rules_root, semgrep_rules)
from secgen.analyzers.languages import LANGUAGES
from secgen.analyzers.registry import BUILTIN, DEFAULT_ANALYZERS, AnalyzerRegistry

DATA = Path(__file__).parent / "data" / "icd"
STANDIN = str(Path(__file__).parent / "standin" / "semgrep")
FILES = {"python": "py", "c": "c", "cpp": "cpp", "csharp": "cs", "java": "java", "javascript": "js", "php": "php",
         "rust": "rs"}

# What ICD flags in each insecure fixture: (rule id, 0-based line, CWE), per half.
REGEX = {
    "python": {("insecure-md5-hash-usage", 9, 328)},
    "c": {("bugprone-strcpy", 7, 120), ("bugprone-gets", 8, 242)},
    "cpp": {("deprecated-auto_ptr-usage", 7, 665)},
    "csharp": set(),  # C#'s two regex rules look at web.config; the Semgrep half covers C# code
    "java": {("weak-md5-hashing", 6, 327), ("potential-command-injection", 11, 78)},
    "javascript": {("unencrypted-fetch-usage", 8, 319)},
    "php": {("risky-crypto-algorithm", 2, 327), ("potential-code-injection", 3, 94)},
    "rust": {("RUST-R-002", 3, 78), ("RUST-R-003", 8, 676)},
}
SEMGREP = {
    "python": {("insecure-subprocess-using-shell", 6, 78), ("unsafe-pickle-use", 7, 502), ("insecure-eval-use", 8, 94)},
    "c": {("vulnerable-strcpy", 7, None), ("potential-command-injection", 9, 78)},  # ICD's rule names no CWE
    "cpp": {("vulnerable-sprintf", 6, 120)},
    "csharp": {("crypto-weak-hashing-function", 8, 327), ("command-injection", 14, 78)},
    "java": {("deserialization_insecure_untrusted_data", 15, 502)},
    "javascript": {("child-process", 3, 95), ("eval-with-expression", 4, 95), ("unencrypted-fetch", 8, 319)},
    "php": {("unsafe-hash-use", 2, 327), ("insecure-eval-use", 3, 94)},  # opted in: ICD runs no Semgrep on PHP
}
WITH_PHP = IcdSettings(semgrep_languages=(*SEMGREP_LANGUAGES, "php"))


def fixture(kind: str, language: str) -> Source:
    name = f"{kind}.{FILES[language]}"
    path = DATA / (name.capitalize() if language == "java" else name)
    return Source(text=path.read_text(encoding="utf-8"), language=language, path=path.name)


def summary(findings) -> set[tuple[str, int, int | None]]:
    return {(f.rule_id, f.line, f.cwe) for f in findings}


@pytest.fixture(scope="module")
def regex() -> IcdRegexAnalyzer:
    return IcdRegexAnalyzer()


@pytest.fixture(scope="module")
def semgrep() -> IcdSemgrepAnalyzer:
    analyzer = IcdSemgrepAnalyzer(WITH_PHP)
    assert analyzer.available() is None, analyzer.available()
    return analyzer


def test_both_halves_report_on_python(regex, semgrep):
    source = fixture("insecure", "python")
    registry = AnalyzerRegistry({"icd-regex": lambda: regex, "icd-semgrep": lambda: semgrep})
    report = registry.analyze(source, ["icd-regex", "icd-semgrep"], include_slow=True)
    assert report.failures == {}
    by_half = {name: [f for f in report.findings if f.analyzer == name] for name in ("icd-regex", "icd-semgrep")}
    assert summary(by_half["icd-regex"]) == REGEX["python"]
    assert summary(by_half["icd-semgrep"]) == SEMGREP["python"]
    md5 = by_half["icd-regex"][0]
    assert md5.range == Range(start=Position(line=9, column=13), end=Position(line=9, column=25))  # `hashlib.md5(`
    assert md5.severity is Severity.MEDIUM and md5.extra == {"icd": "regex", "cwe_id": "CWE-328", "level": "Warning"}
    shell = next(f for f in by_half["icd-semgrep"] if f.rule_id == "insecure-subprocess-using-shell")
    assert shell.range == Range(start=Position(line=6, column=4), end=Position(line=6, column=35))
    assert shell.message == "Potential command injection due to subprocess usage with shell=True."
    assert shell.severity is Severity.MEDIUM and shell.extra["cwe_id"] == "CWE-78"
    print(f"\nicd-regex {report.seconds['icd-regex'] * 1e3:.2f} ms, icd-semgrep {report.seconds['icd-semgrep']:.2f} s")


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_language_insecure_flagged_clean_not(regex, semgrep, language):
    insecure, clean = fixture("insecure", language), fixture("clean", language)
    assert summary(regex.analyze(insecure)) == REGEX[language]
    assert regex.analyze(clean) == []
    if language in SEMGREP:
        assert summary(semgrep.analyze(insecure)) == SEMGREP[language]
        assert semgrep.analyze(clean) == []
    assert REGEX[language] or SEMGREP[language]  # ICD flags each language's insecure fixture


@pytest.fixture
def codeshield_regex(monkeypatch):
    """codeshield's own ``analyze``, regex half only, without its ``oss`` module.

    Importing ``codeshield.insecure_code_detector.oss`` makes a symlink inside the
    installed Semgrep wheel; this stands in for it with the same rule paths and
    Semgrep switched off. Its other modules are codeshield's, unchanged.
    """
    rules = rules_root()
    oss = types.ModuleType("codeshield.insecure_code_detector.oss")
    oss.RULES_ROOT, oss.SEMGREP_RULE_REPO_PATH = rules, rules / "semgrep"
    oss.ENABLE_REGEX_ANALYZER, oss.ENABLE_SEMGREP, oss.SEMGREP_COMMAND = True, False, []
    before = set(sys.modules)
    monkeypatch.setitem(sys.modules, oss.__name__, oss)
    detector = importlib.import_module("codeshield.insecure_code_detector.insecure_code_detector")
    language = importlib.import_module("codeshield.insecure_code_detector.languages").Language
    yield lambda source: asyncio.run(detector.analyze(language(source.language), source.text))
    for name in set(sys.modules) - before:
        if name.startswith("codeshield"):
            del sys.modules[name]


@pytest.mark.parametrize("kind", ["insecure", "clean"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_regex_half_agrees_with_codeshield(regex, codeshield_regex, language, kind):
    source = fixture(kind, language)
    theirs = {(i.pattern_id, i.line, i.cwe_id, str(i.severity)) for i in codeshield_regex(source)}
    ours = {(f.rule_id, f.line + 1, f.extra["cwe_id"], f.extra["level"].lower()) for f in regex.analyze(source)}
    assert ours == theirs


def test_regex_matching_follows_icd():
    analyzer = IcdRegexAnalyzer()
    [after_code] = analyzer.analyze(Source(text="value = 1  # hashlib.md5(b'x')\n"))
    assert (after_code.line, after_code.range.start.column) == (0, 13)  # only a line's start is checked for a comment
    [first] = analyzer.analyze(Source(text="a = hashlib.md5(b'x')\nb = hashlib.md5(b'y')\n"))
    assert first.line == 0  # a rule reports its first match only
    # ICD's quirk, kept for the benchmark's sake: a first match in a comment hides the rule's later matches.
    assert analyzer.analyze(Source(text="# hashlib.md5(b'x')\ndigest = hashlib.md5(b'y')\n")) == []
    assert analyzer.analyze(Source(text="#define COPY(a, b) strcpy(a, b)\n", language="c")) == []  # a directive


def test_columns_count_code_points(regex, semgrep):
    text = 'import hashlib\n\n\ndef f(expr):\n    s = "é😀"; d = hashlib.md5(s); v = eval(expr)\n'
    line = text.splitlines()[4]
    [md5] = regex.analyze(Source(text=text))
    [evaluated] = semgrep.analyze(Source(text=text))
    start = line.index("hashlib.md5(")
    assert md5.range == Range(start=Position(line=4, column=start), end=Position(line=4, column=start + 12))
    start = line.index("eval(")  # Semgrep counts UTF-8 bytes: 4 more before it
    assert evaluated.range == Range(start=Position(line=4, column=start), end=Position(line=4, column=start + 10))


def test_severities_map_the_same_for_both_halves(regex):
    rust = regex.analyze(fixture("insecure", "rust"))
    assert {f.rule_id: f.severity for f in rust} == {"RUST-R-002": Severity.MEDIUM, "RUST-R-003": Severity.LOW}
    c = regex.analyze(fixture("insecure", "c"))
    assert {f.severity for f in c} == {Severity.HIGH}  # ICD's "Error"
    rules = dict(semgrep_rules(rules_root(), "java")[1])
    assert rules["xxe-insecure-sax-parser"]["severity"] == "ERROR"  # read as HIGH, as SARIF's error is


def test_rule_counts():
    root = rules_root()
    counts = {language: len(regex_rules(root, language)) for language in LANGUAGES}
    assert counts == {"python": 11, "c": 16, "cpp": 19, "csharp": 10, "java": 31, "javascript": 9, "php": 30,
                      "rust": 21}  # each includes the 8 language-agnostic key and token rules; C++ also C's
    semgrep = {language: len(semgrep_rules(root, language)[1]) for language in (*SEMGREP_LANGUAGES, "php")}
    assert semgrep == {"c": 19, "cpp": 19, "csharp": 20, "java": 12, "javascript": 15, "python": 13, "php": 7}


def test_default_semgrep_is_the_one_installed_with_secgen():
    assert IcdSemgrepAnalyzer().executable() == str(Path(sys.executable).parent / "semgrep")


@pytest.fixture
def log(tmp_path: Path) -> Path:
    return tmp_path / "standin.log"


def standin(tmp_path: Path, log: Path, mode: str = "", **changes) -> IcdSemgrepAnalyzer:
    scratch = tmp_path / "scratch"
    scratch.mkdir(exist_ok=True)
    env = {"SEMGREP_STANDIN_LOG": str(log), "SEMGREP_STANDIN_MODE": mode}
    return IcdSemgrepAnalyzer(IcdSettings(**{"semgrep": STANDIN, "scratch_root": str(scratch), "env": env, **changes}))


def test_command_line_and_scratch_directory(tmp_path, log):
    user = tmp_path / "user"
    user.mkdir()
    analyzer = standin(tmp_path, log)
    assert analyzer.analyze(Source(text="x = 1\n", path=str(user / "app.py"))) == []
    [call] = [json.loads(line) for line in log.read_text().splitlines()]
    assert call["argv"][1:] == ["scan", "--experimental", "--config", str(semgrep_rules(rules_root(), "python")[0]),
                                "--json", "--quiet", "--metrics", "off", "--disable-version-check", "--no-git-ignore",
                                "snippet.py"]  # no --project-root: with `/` Semgrep 1.185 scans nothing
    assert Path(call["cwd"]).parent.parent == tmp_path / "scratch" and call["files"] == ["snippet.py"]
    assert list((tmp_path / "scratch").iterdir()) == [] and list(user.iterdir()) == []  # removed; user's untouched


def test_a_run_that_scans_nothing_is_an_error(tmp_path, log):
    with pytest.raises(AnalyzerError, match=r"semgrep scanned nothing \(paths.scanned lacks snippet.py\)"):
        standin(tmp_path, log, mode="scanned-nothing").analyze(Source(text="x = eval(y)\n"))
    with pytest.raises(AnalyzerError, match=r"semgrep failed \(exit 2\), no JSON report: .*asked to fail"):
        standin(tmp_path, log, mode="fail").analyze(Source(text="x = eval(y)\n"))


def test_a_hanging_semgrep_is_killed_at_its_timeout(tmp_path, log):
    analyzer = standin(tmp_path, log, mode="hang", timeout_s=0.5)
    registry = AnalyzerRegistry({"icd-semgrep": lambda: analyzer})
    started = time.monotonic()
    report = registry.analyze(Source(text="x = 1\n"), ["icd-semgrep"], include_slow=True)
    assert time.monotonic() - started < 10
    assert report.failures == {"icd-semgrep": "crashed: AnalyzerError: semgrep timed out after 0.5 s and was killed"}
    [call] = [json.loads(line) for line in log.read_text().splitlines()]
    with pytest.raises(ProcessLookupError):
        os.kill(call["pid"], 0)  # killed and reaped, not left running
    assert list((tmp_path / "scratch").iterdir()) == []


def test_missing_semgrep_is_unavailable(tmp_path):
    missing = str(tmp_path / "nowhere" / "semgrep")
    analyzer = IcdSemgrepAnalyzer(IcdSettings(semgrep=missing))
    assert analyzer.available() == f"semgrep not found at {missing} (set the semgrep path setting)"
    assert IcdSemgrepAnalyzer(IcdSettings(semgrep="no-such-semgrep")).available() == \
        "semgrep no-such-semgrep is not installed (pip install semgrep, or set the semgrep path setting)"
    registry = AnalyzerRegistry({"icd-semgrep": functools.partial(IcdSemgrepAnalyzer, IcdSettings(semgrep=missing)),
                                 "icd-regex": IcdRegexAnalyzer})
    report = registry.analyze(fixture("insecure", "python"), ["icd-semgrep", "icd-regex"], include_slow=True)
    assert report.failures == {"icd-semgrep": analyzer.available()}
    assert summary(report.findings) == REGEX["python"]


def test_missing_rules_are_unavailable(tmp_path):
    for analyzer in (IcdRegexAnalyzer(IcdSettings(rules=str(tmp_path))), IcdSemgrepAnalyzer(IcdSettings(rules=str(tmp_path)))):
        assert analyzer.available() == f"no ICD rules at {tmp_path} (no config.yaml)"


def test_settings_are_checked():
    with pytest.raises(ValueError, match="timeout_s must be positive"):
        IcdSettings(timeout_s=0)
    with pytest.raises(ValueError, match="unknown go"):
        IcdSettings(semgrep_languages=("python", "go"))
    assert IcdSemgrepAnalyzer().languages == frozenset(SEMGREP_LANGUAGES)  # ICD's: not PHP, not Rust


def test_registered_not_default():
    assert BUILTIN["icd-regex"] == "secgen.analyzers.icd:IcdRegexAnalyzer"
    assert BUILTIN["icd-semgrep"] == "secgen.analyzers.icd:IcdSemgrepAnalyzer"
    assert isinstance(IcdRegexAnalyzer(), Analyzer) and isinstance(IcdSemgrepAnalyzer(), Analyzer)
    # The regex half is fast enough for every keystroke, but on Python its three rules (MD5, SHA-1) repeat
    # Bandit's B324, which would count one weakness twice in the repair loop: named, not a default.
    assert IcdRegexAnalyzer.speed == "fast" and "icd-regex" not in DEFAULT_ANALYZERS
    assert IcdSemgrepAnalyzer.speed == "slow" and "icd-semgrep" not in DEFAULT_ANALYZERS
    report = AnalyzerRegistry().analyze(fixture("insecure", "python"), ["icd-semgrep"])
    assert report.findings == [] and report.seconds == {}  # slow: skipped unless asked for


JAVA_SSRF = """import java.net.URL;
import java.io.InputStream;

class Fetch {
    InputStream get(String address) throws Exception {
        return new URL(address).openConnection().getInputStream();
    }

    InputStream home() throws Exception {
        return new URL("https://example.org/").openConnection().getInputStream();
    }
}
"""


def test_java_ssrf_rule_is_mended_and_flags_a_url_from_a_parameter(semgrep, caplog):
    # ICD 1.0.1's rule has `import java.net.URL` without `;`, which Semgrep 1.185 rejects as a whole rule
    original = json.loads((rules_root() / "semgrep" / "_generated_" / "java_cyberseceval.json").read_text())
    assert "import java.net.URL\n" in json.dumps(original).replace("\\n", "\n")
    config, rules = semgrep_rules(rules_root(), "java")
    assert config.name.startswith("secgen-icd-java-") and "import java.net.URL;" in config.read_text()
    findings = semgrep.analyze(Source(text=JAVA_SSRF, language="java"))
    ssrf = [f for f in findings if f.rule_id == "ssrf_insecure_patterns"]
    assert [(f.range.start.line, f.cwe) for f in ssrf] == [(5, 918)]  # not the constant URL on line 9
    assert "skipped by this Semgrep" not in caplog.text
