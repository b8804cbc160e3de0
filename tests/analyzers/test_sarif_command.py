"""A SARIF-writing command as an analyzer: real Bandit through its command line, and misbehaving stand-ins.

The stand-ins are small Python scripts written into ``tmp_path`` and run as
real processes: one hangs, one dies by SIGSEGV, one reports the file name and
working directory it was given.
"""

from __future__ import annotations

import shlex
import sys
import textwrap
import time

import pytest

from secgen.analyzers.bandit import BanditAnalyzer
from secgen.analyzers.base import Analyzer, AnalyzerError, Source
from secgen.analyzers.registry import AnalyzerRegistry
from secgen.analyzers.sarif_command import SarifCommandAnalyzer

SNIPPET = """\
import hashlib
import subprocess


def run(cmd, blob):
    subprocess.call(cmd, shell=True)
    return hashlib.md5(blob)
"""


def python_command(tmp_path, name: str, body: str, args: str = "{file}") -> str:
    """A command line running a stand-in script written to ``tmp_path``."""
    script = tmp_path / name
    script.write_text(textwrap.dedent(body))
    return f"{shlex.quote(sys.executable)} {shlex.quote(str(script))} {args}"


def rules_and_lines(findings) -> list[tuple[str, int]]:
    return sorted((f.rule_id, f.line) for f in findings)


@pytest.fixture(scope="module")
def in_process() -> list[tuple[str, int]]:
    return rules_and_lines(BanditAnalyzer().analyze(Source(text=SNIPPET)))


def test_is_an_analyzer():
    analyzer = SarifCommandAnalyzer("banditsarif", "bandit -f sarif -q {file}")
    assert isinstance(analyzer, Analyzer)
    assert (analyzer.name, analyzer.speed, analyzer.languages) == ("banditsarif", "slow", frozenset({"python"}))


def test_bandit_command_finds_what_in_process_bandit_finds(tools_on_path, in_process):
    analyzer = SarifCommandAnalyzer("banditsarif", "bandit -f sarif -q {file}")
    assert analyzer.available() is None
    findings = analyzer.analyze(Source(text=SNIPPET))
    assert rules_and_lines(findings) == in_process == [("B324", 6), ("B404", 1), ("B602", 5)]
    assert {f.analyzer for f in findings} == {"banditsarif"}
    assert {f.rule_id: f.cwe for f in findings} == {"B324": 327, "B404": 78, "B602": 78}


def test_bandit_writing_to_output(tools_on_path, in_process):
    analyzer = SarifCommandAnalyzer("banditsarif", "bandit -f sarif -q -o {output} {file}")
    assert rules_and_lines(analyzer.analyze(Source(text=SNIPPET))) == in_process


def test_bandit_scanning_the_scratch_dir(tools_on_path, in_process):
    analyzer = SarifCommandAnalyzer("banditsarif", "bandit -f sarif -q -r {dir}")
    assert rules_and_lines(analyzer.analyze(Source(text=SNIPPET))) == in_process


REPORTER = """\
    import json, os, sys
    path = sys.argv[1]
    result = {"ruleId": "SEEN", "message": {"text": json.dumps([os.path.basename(path), os.getcwd(), os.path.dirname(path)])},
              "locations": [{"physicalLocation": {"artifactLocation": {"uri": path}, "region": {"startLine": 1}}}]}
    print(json.dumps({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "reporter"}}, "results": [result]}]}))
"""


def seen(analyzer: SarifCommandAnalyzer, source: Source) -> tuple[str, str, str]:
    import json

    [finding] = analyzer.analyze(source)
    return tuple(json.loads(finding.message))


def test_runs_on_a_scratch_copy_named_like_the_source(tmp_path):
    user_tree = tmp_path / "project"
    user_tree.mkdir()
    (user_tree / "app.py").write_text(SNIPPET)
    analyzer = SarifCommandAnalyzer("reporter", python_command(tmp_path, "reporter.py", REPORTER))
    name, cwd, directory = seen(analyzer, Source(text=SNIPPET, path=str(user_tree / "app.py")))
    assert name == "app.py"
    assert cwd == directory and not cwd.startswith(str(tmp_path))
    assert sorted(p.name for p in user_tree.iterdir()) == ["app.py"]


@pytest.mark.parametrize(("language", "name"), [("python", "snippet.py"), ("javascript", "snippet.js"),
                                                ("c", "snippet.c"), ("cpp", "snippet.cpp"), ("csharp", "snippet.cs"),
                                                ("java", "snippet.java"), ("php", "snippet.php"),
                                                ("rust", "snippet.rs"), ("cobol", "snippet.cbl")])
def test_unnamed_snippet_takes_its_languages_suffix(tmp_path, language, name):
    analyzer = SarifCommandAnalyzer("reporter", python_command(tmp_path, "reporter.py", REPORTER),
                                    languages=frozenset({language}), suffix=".cbl")
    assert seen(analyzer, Source(text="x", language=language))[0] == name


HANG = """\
    import time
    time.sleep(60)
"""


def test_a_hanging_command_is_killed_at_its_timeout(tmp_path):
    analyzer = SarifCommandAnalyzer("hang", python_command(tmp_path, "hang.py", HANG), timeout_s=1)
    started = time.monotonic()
    with pytest.raises(AnalyzerError, match="timed out after 1 s and was killed"):
        analyzer.analyze(Source(text=SNIPPET))
    assert time.monotonic() - started < 10


def test_through_the_registry_a_hang_is_a_failure_and_bandit_still_reports(tmp_path):
    registry = AnalyzerRegistry({
        "bandit": BanditAnalyzer,
        "hang": lambda: SarifCommandAnalyzer("hang", python_command(tmp_path, "hang.py", HANG), timeout_s=1),
    })
    report = registry.analyze(Source(text=SNIPPET), ["bandit", "hang"], include_slow=True)
    assert "timed out" in report.failures["hang"]
    assert rules_and_lines(report.findings) == [("B324", 6), ("B404", 1), ("B602", 5)]
    # Slow analyzers stay out of per-keystroke runs.
    assert registry.analyze(Source(text=SNIPPET), ["hang"]).failures == {}


def test_a_crashing_command_is_reported(tmp_path):
    crash = python_command(tmp_path, "crash.py", "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n")
    with pytest.raises(AnalyzerError, match="crashed \\(SIGSEGV\\)"):
        SarifCommandAnalyzer("crash", crash).analyze(Source(text=SNIPPET))


def test_a_missing_executable_is_unavailable():
    analyzer = SarifCommandAnalyzer("ghost", "secgen-no-such-tool --sarif {file}")
    assert analyzer.available() == "secgen-no-such-tool not found on PATH"
    registry = AnalyzerRegistry({"ghost": lambda: analyzer})
    assert registry.analyze(Source(text=SNIPPET), ["ghost"], include_slow=True).failures == {
        "ghost": "secgen-no-such-tool not found on PATH"}


@pytest.mark.parametrize(("command", "template_problem"), [
    ("bandit -f sarif 'unbalanced {file}", "cannot split the command"),
    ("   ", "the command is empty"),
])
def test_a_bad_template_is_unavailable(command, template_problem):
    assert template_problem in SarifCommandAnalyzer("bad", command).available()


def test_output_file_mode_needs_the_placeholder():
    assert "{output}" in SarifCommandAnalyzer("b", "bandit -f sarif {file}", output="file").available()


@pytest.mark.parametrize(("body", "reason"), [
    ("print('hello from the tool')", r"did not write SARIF 2\.1\.0 \(Expecting value.*\): hello from the tool"),
    ("print('{\"a\": 1}')", r"did not write SARIF 2\.1\.0 \(not a SARIF log: no runs\)"),
    ("import sys\nsys.stderr.write('license expired\\n')\nsys.exit(3)", "exited with status 3 and wrote no SARIF: license expired"),
    ("pass", "exited normally and wrote no SARIF"),
])
def test_no_sarif_is_an_error_with_the_tools_words(tmp_path, body, reason):
    analyzer = SarifCommandAnalyzer("odd", python_command(tmp_path, "odd.py", body))
    with pytest.raises(AnalyzerError, match=reason) as raised:
        analyzer.analyze(Source(text=SNIPPET))
    assert "\n" not in str(raised.value)


def test_output_placeholder_but_nothing_written(tmp_path):
    analyzer = SarifCommandAnalyzer("quiet", python_command(tmp_path, "quiet.py", "pass", args="{output} {file}"))
    with pytest.raises(AnalyzerError, match="wrote no SARIF"):
        analyzer.analyze(Source(text=SNIPPET))
