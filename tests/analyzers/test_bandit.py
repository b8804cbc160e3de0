"""The Bandit analyzer: real Bandit tests in-process, ``# nosec`` as Bandit reads it."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import secgen.analyzers.bandit as bandit_module
from secgen.analyzers.base import Analyzer, Source
from secgen.analyzers.bandit import BanditAnalyzer
from secgen.analyzers.finding import Confidence, Position, Severity


@pytest.fixture(scope="module")
def analyzer() -> BanditAnalyzer:
    return BanditAnalyzer()


def found(analyzer: BanditAnalyzer, text: str) -> list[tuple[str, int]]:
    return sorted((f.rule_id, f.line) for f in analyzer.analyze(Source(text=text)))


INSECURE = """\
import hashlib
import os
import subprocess
import tempfile

import requests
import yaml


def insecure(cmd, blob, user_id, cursor):
    subprocess.call(cmd, shell=True)
    os.system(cmd)
    hashlib.md5(blob)
    yaml.load(blob)
    cursor.execute("SELECT * FROM users WHERE id = %s" % user_id)
    cursor.execute(f"DELETE FROM users WHERE id = {user_id}")
    eval(cmd)
    assert user_id
    requests.get("https://example.com")
    password = "hunter2"
    connect(password="hunter2")
    return tempfile.mktemp()
"""


def test_insecure_module_findings_table(analyzer):
    assert found(analyzer, INSECURE) == [
        ("B101", 17),  # assert
        ("B105", 19),  # hardcoded password string
        ("B106", 20),  # hardcoded password keyword argument
        ("B113", 18),  # requests without timeout
        ("B306", 21),  # tempfile.mktemp
        ("B307", 16),  # eval
        ("B324", 12),  # hashlib.md5
        ("B404", 2),  # import subprocess
        ("B506", 13),  # yaml.load
        ("B602", 10),  # subprocess with shell=True
        ("B605", 11),  # os.system
        ("B608", 14),  # SQL built with %
        ("B608", 15),  # SQL built with an f-string
    ]


def test_pickle_import_and_loads(analyzer):
    assert found(analyzer, "import pickle\n\n\ndef load(blob):\n    return pickle.loads(blob)\n") == [
        ("B301", 4),
        ("B403", 0),
    ]


# rule id -> (severity, confidence, CWE), as Bandit 1.9 rates them
RATINGS = {
    "B602": (Severity.HIGH, Confidence.HIGH, 78),
    "B605": (Severity.HIGH, Confidence.HIGH, 78),
    "B324": (Severity.HIGH, Confidence.HIGH, 327),
    "B608": (Severity.MEDIUM, Confidence.MEDIUM, 89),  # MEDIUM confidence: it is passed to execute()
    "B506": (Severity.MEDIUM, Confidence.HIGH, 20),
    "B101": (Severity.LOW, Confidence.HIGH, 703),
    "B105": (Severity.LOW, Confidence.MEDIUM, 259),
}


@pytest.mark.parametrize("rule", sorted(RATINGS))
def test_severity_confidence_and_cwe(analyzer, rule):
    [finding, *_] = [f for f in analyzer.analyze(Source(text=INSECURE)) if f.rule_id == rule]
    assert (finding.severity, finding.confidence, finding.cwe) == RATINGS[rule]
    assert finding.analyzer == "bandit"
    assert finding.label() == f"{rule} (CWE-{RATINGS[rule][2]})"


def test_shell_finding_carries_message_test_name_and_docs(analyzer):
    [finding] = analyzer.analyze(Source(text="import subprocess  # nosec\nsubprocess.call(c, shell=True)\n"))
    assert finding.rule_id == "B602"
    assert finding.message == "subprocess call with shell=True identified, security issue."
    assert finding.extra["test"] == "subprocess_popen_with_shell_equals_true"
    assert finding.extra["more_info"].startswith("https://bandit.readthedocs.io/")
    assert finding.extra["more_info"].endswith("b602_subprocess_popen_with_shell_equals_true.html")


def test_range_is_the_call_in_zero_based_code_points(analyzer):
    text = "import os  # nosec\n\nnom = 'é'; os.system(nom)\n"
    [finding] = analyzer.analyze(Source(text=text))
    assert finding.rule_id == "B605"
    assert finding.range.start == Position(line=2, column=11)
    assert finding.range.end == Position(line=2, column=25)


def test_sql_built_outside_execute_has_low_confidence(analyzer):
    [finding] = analyzer.analyze(Source(text="q = 'SELECT * FROM t WHERE id = %s' % uid\n"))
    assert (finding.rule_id, finding.severity, finding.confidence) == ("B608", Severity.MEDIUM, Confidence.LOW)
    # The range is the SQL string literal, the node Bandit tested.
    assert (finding.range.start, finding.range.end) == (Position(line=0, column=4), Position(line=0, column=35))


def test_multi_line_call_ends_where_the_call_ends(analyzer):
    text = "import subprocess  # nosec\nsubprocess.call(\n    cmd,\n    shell=True,\n)\n"
    [finding] = analyzer.analyze(Source(text=text))
    # Bandit reports the shell=True line as the issue's line; the call's last line ends the range.
    assert finding.range.start == Position(line=3, column=0)
    assert finding.range.end == Position(line=4, column=1)


NOSEC = [
    pytest.param("os.system(cmd)  # nosec\n", [], id="blanket"),
    pytest.param("os.system(cmd)  # nosec B605\n", [], id="by-id"),
    pytest.param("os.system(cmd)  # nosec: start_process_with_a_shell\n", [], id="by-name"),
    pytest.param("os.system(cmd)  # nosec B602\n", [("B605", 1)], id="other-id"),
    pytest.param("os.system(cmd)  # NOSEC\n", [("B605", 1)], id="case-sensitive"),
    pytest.param("os.system(\n    cmd,  # nosec B605\n)\n", [], id="any-line-of-the-call"),
    pytest.param("os.system(cmd)\nx = 1  # nosec\n", [("B605", 1)], id="other-line"),
    pytest.param("msg = '# nosec'; os.system(cmd)\n", [("B605", 1)], id="not-a-comment"),
]


@pytest.mark.parametrize(("line", "expected"), NOSEC)
def test_nosec_comments(analyzer, line, expected):
    assert found(analyzer, "import os\n" + line) == expected


def test_secure_snippet_gives_nothing(analyzer):
    text = (
        "import hashlib\nimport subprocess\n\n\n"
        "def digest(blob):\n    return hashlib.sha256(blob).hexdigest()\n\n\n"
        "def run(args):\n    return subprocess.run(args, check=True)  # nosec B603\n"
    )
    assert found(analyzer, text) == [("B404", 1)]


@pytest.mark.parametrize("text", ["def f(:\n    os.system(x)\n", "x = 1\0\n", "if x:\nos.system(c)  # nosec\n"])
def test_unparsable_text_is_left_to_the_syntax_analyzer(analyzer, text):
    assert analyzer.analyze(Source(text=text)) == []


def test_path_is_only_a_display_name(analyzer, tmp_path):
    missing = tmp_path / "pkg" / "mod.py"
    assert [f.rule_id for f in analyzer.analyze(Source(text="eval(x)\n", path=str(missing)))] == ["B307"]
    assert not tmp_path.joinpath("pkg").exists()


def test_repeated_runs_do_not_accumulate(analyzer):
    first = analyzer.analyze(Source(text=INSECURE))
    second = analyzer.analyze(Source(text=INSECURE))
    assert first == second


def test_concurrent_callers_get_their_own_results():
    analyzer = BanditAnalyzer()
    texts = ["import os\nos.system(c)\n", "eval(x)\n", "x = 1\n", "assert x\n"]
    expected = {text: found(analyzer, text) for text in texts}
    barrier = threading.Barrier(8)
    results: list[tuple[str, list]] = []

    def work(text: str) -> None:
        barrier.wait()
        for _ in range(20):
            results.append((text, found(analyzer, text)))

    threads = [threading.Thread(target=work, args=(texts[i % len(texts)],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 160
    assert all(result == expected[text] for text, result in results)


def test_fits_the_analyzer_protocol(analyzer):
    assert isinstance(analyzer, Analyzer)
    assert (analyzer.name, analyzer.speed, analyzer.languages) == ("bandit", "fast", frozenset({"python"}))
    assert analyzer.available() is None


def test_without_bandit_the_analyzer_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "bandit.core", None)  # what an uninstalled package looks like to import
    spec = importlib.util.spec_from_file_location("bandit_analyzer_without_bandit", bandit_module.__file__)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.BanditAnalyzer().available() == "bandit is not installed: pip install bandit"


def test_importing_leaves_the_process_warning_format_alone():
    # Bandit's import replaces warnings.formatwarning; only a fresh interpreter shows whether we undo it.
    script = (
        "import warnings; before = warnings.formatwarning; "
        "import secgen.analyzers.bandit; "
        "assert warnings.formatwarning is before, warnings.formatwarning"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=Path(__file__).parent)
    assert done.returncode == 0, done.stderr


def _issue_key(issue) -> tuple:
    return (issue.lineno, issue.col_offset, issue.end_col_offset, tuple(issue.linerange), issue.test_id,
            issue.test, issue.severity, issue.confidence, issue.text)


def _reference_texts() -> dict[str, str]:
    from secgen.bench.flows import load_corpus
    from secgen.engine.tasks import humaneval_solutions

    root = Path(__file__).resolve().parents[2]
    texts = {f"flows/{f.name}": f.text for f in load_corpus()}
    texts |= {f"examples/{p.name}": p.read_text() for p in sorted((root / "examples").glob("*.py"))}
    texts |= {f"humaneval/{task}": text for task, text in humaneval_solutions().items()}
    texts["insecure"] = INSECURE
    # the file test (trojansource), skipped on a text without the characters it looks for
    texts["bidi"] = 'access = "user\u202e \u2066# admin only\u2069 \u2066"\n'
    texts["bidi-cp1255"] = "# -*- coding: cp1255 -*-\ns = '\u200f'\n"  # the mark is byte 0xFE in cp1255
    return texts


def test_pruned_walk_reports_exactly_what_bandits_visitor_reports(analyzer):
    texts = _reference_texts()
    assert len(texts) > 300
    manager = analyzer._manager or analyzer._build_manager()
    flagged = 0
    for name, text in texts.items():
        data = text.encode("cp1255" if name.endswith("cp1255") else "utf-8")
        ours = sorted(_issue_key(i) for i in bandit_module._run_tests(manager, bandit_module.parse(text, None), data,
                                                                      "./snippet.py"))
        stock = sorted(_issue_key(i) for i in bandit_module._run_tests(manager, None, data, "./snippet.py"))
        assert ours == stock, name
        flagged += bool(ours)
        if name.startswith("bidi"):
            assert [key[4] for key in ours] == ["B613"], name
    assert flagged > 40  # the corpus exercises many of Bandit's tests, not just clean code
    baseline = BanditAnalyzer(pruned=False)
    assert baseline.analyze(Source(text=INSECURE)) == analyzer.analyze(Source(text=INSECURE))


CRYPTO = "from Crypto.Cipher import AES\n\n\ndef box(key):\n    return AES.new(key, AES.MODE_GCM)\n"


def test_b413_does_not_block_when_crypto_is_pycryptodome(analyzer):
    # pycryptodome is installed here (the bench extra: SALLM's tasks import Crypto), not the retired pyCrypto
    assert bandit_module.crypto_library() == "pycryptodome"
    (finding,) = [f for f in analyzer.analyze(Source(text=CRYPTO)) if f.rule_id == "B413"]
    assert finding.severity == Severity.LOW and "pycryptodome" in finding.message


def test_b413_keeps_bandits_verdict_where_crypto_is_not_pycryptodome(analyzer, monkeypatch):
    monkeypatch.setattr(bandit_module, "crypto_library", lambda: None)
    (finding,) = [f for f in analyzer.analyze(Source(text=CRYPTO)) if f.rule_id == "B413"]
    assert finding.severity == Severity.HIGH and "pyCrypto" in finding.message
