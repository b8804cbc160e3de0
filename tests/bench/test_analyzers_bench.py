"""``secgen bench analyzers``: the fixture corpus is well-formed, and the benchmark scores what it says it scores.

The scoring tests use a scripted stand-in analyzer (findings by file name) on
a small corpus written in ``tmp_path``, so every found / missed / false alarm
is known in advance; the command-line tests run the real Bandit on the
bundled corpus and HumanEval, and assert only the report's shape.
"""

from __future__ import annotations

import ast
import json
import re
import tomllib
from pathlib import Path

import pytest
import yaml

from secgen.analyzers import AnalyzerRegistry, Confidence, Finding, Range, Severity, SeverityPolicy
from secgen.analyzers.dataflow.loader import RULES_DIR
from secgen.bench import analyzers as bench
from secgen.bench.flows import (BY_ID, CATEGORIES, CORPUS_ROOT, CorpusError, false_alarms, hits, load_corpus,
                                parse_header, read_file, statement_span)

ROOT = Path(__file__).resolve().parents[2]
HOLDOUT_ROOT = ROOT / "bench" / "data" / "flows-holdout"


# -- the bundled corpus --------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus():
    return load_corpus()


def test_every_category_has_three_vulnerable_and_three_fixed_files(corpus):
    for category in CATEGORIES:
        kinds = [f.kind for f in corpus if f.category == category.id]
        assert kinds.count("vulnerable") >= 3, category.id
        assert kinds.count("fixed") >= 3, category.id


def test_every_file_is_loaded_parses_and_has_a_valid_header(corpus):
    on_disk = sorted(p.relative_to(CORPUS_ROOT).as_posix() for p in CORPUS_ROOT.glob("*/*.py"))
    assert sorted(f.name for f in corpus) == on_disk  # nothing skipped, nothing extra
    for file in corpus:
        ast.parse(file.text, filename=file.name)
        first = file.text.splitlines()[0]
        lines = file.text.splitlines()
        if file.vulnerable:
            assert re.fullmatch(rf"# expect: {file.category} lines? \d+(, \d+)*", first), file.name
            for n in file.expected_lines:
                assert 1 < n <= len(lines) and lines[n - 1].strip() and not lines[n - 1].lstrip().startswith("#")
        else:
            assert first == "# expect: none" and lines[1].startswith("# safe: ") and len(lines[1]) > 12, file.name


def test_every_vulnerable_file_has_its_fixed_version(corpus):
    names = {f.name for f in corpus}
    for file in corpus:
        other = file.name.replace("vulnerable_", "fixed_") if file.vulnerable else file.name.replace("fixed_", "vulnerable_")
        assert other in names, f"{file.name} has no counterpart"


def test_categories_are_the_issues_ids_with_their_rule_files_cwes():
    assert len(CATEGORIES) == 29 and len(BY_ID) == 29
    for category in CATEGORIES:  # the file read afresh: a CWE restated in bench and changed in the file fails here
        rule_file = yaml.safe_load((RULES_DIR / f"{category.id}.yaml").read_text(encoding="utf-8"))
        assert category.cwe == rule_file["cwe"], category.id
    assert sum(c.flow for c in CATEGORIES) == 18
    assert {p.name for p in CORPUS_ROOT.iterdir() if p.is_dir()} == set(BY_ID)


def test_corpus_is_package_data_and_not_collected_by_pytest():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["secgen.bench"]
    shipped = {path for pattern in patterns for path in (ROOT / "bench").glob(pattern)}  # setuptools' globbing
    assert set(CORPUS_ROOT.glob("*/*.py")) <= shipped
    assert set(HOLDOUT_ROOT.glob("*/*.py")) <= shipped
    assert config["tool"]["pytest"]["ini_options"]["testpaths"] == ["tests"]


def test_holdout_corpus_loads_with_two_of_each_per_category():
    # Written blind (without the analyzer's rules or the main corpus in view); only its format is tested here,
    # so that it stays a fair test of recall and false alarms (docs/analyzers.md), not a tuning target.
    files = load_corpus(HOLDOUT_ROOT)
    assert len(files) == 4 * len(CATEGORIES)
    for category in CATEGORIES:
        mine = [f for f in files if f.category == category.id]
        assert sorted(f.vulnerable for f in mine) == [False, False, True, True]
        assert all(f.expected_lines for f in mine if f.vulnerable)


# -- headers and statements ----------------------------------------------------------


def _write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.mark.parametrize("name, text, problem", [
    ("sql-injection/vulnerable_1.py", "import os\n", "line 1"),
    ("sql-injection/vulnerable_1.py", "# expect: sqli line 2\nx = 1\n", "unknown category"),
    ("sql-injection/vulnerable_1.py", "# expect: ssrf line 2\nx = 1\n", "its folder"),
    ("sql-injection/vulnerable_1.py", "# expect: sql-injection line 3\nx = 1\n\n", "holds no code"),
    ("sql-injection/vulnerable_1.py", "# expect: none\n# safe: yes\nx = 1\n", "a vulnerable file's header"),
    ("sql-injection/fixed_1.py", "# expect: none\nx = 1\n", "# safe:"),
    ("sql-injection/fixed_1.py", "# expect: none\n# safe: bound\nx = (\n", "not valid Python"),
    ("sql-injection/sample.py", "# expect: none\n# safe: bound\n", "named vulnerable_<n>.py"),
])
def test_a_malformed_file_is_a_corpus_error_naming_it(tmp_path, name, text, problem):
    with pytest.raises(CorpusError, match=re.escape(problem)) as error:
        read_file(_write(tmp_path, name, text), tmp_path)
    assert name in str(error.value)


def test_header_with_several_lines_and_an_unknown_folder():
    assert parse_header("# expect: sql-injection line 17, 18\n") == ("sql-injection", (17, 18), "")
    assert parse_header("# expect: none\n# safe: html.escape\n") == (None, (), "html.escape")


def test_unknown_category_folder_is_refused(tmp_path):
    _write(tmp_path, "sqli/vulnerable_1.py", "# expect: sql-injection line 2\nx = 1\n")
    with pytest.raises(CorpusError, match="sqli"):
        load_corpus(tmp_path)


def test_statement_span_covers_a_split_call_and_a_compound_header_only():
    tree = ast.parse("def f(a):\n    x = g(\n        a,\n    )\n    with open(a) as h:\n        return h\n")
    assert statement_span(tree, 3) == (2, 4)
    assert statement_span(tree, 5) == (5, 5)
    assert statement_span(tree, 1) == (1, 1)  # the def line, not the whole function
    assert statement_span(tree, 6) == (6, 6)


# -- the scoring rule, with a scripted analyzer --------------------------------------


def _f(line: int, *, rule: str = "X1", cwe: int | None = None, severity: Severity = Severity.HIGH,
       last: int | None = None) -> Finding:
    """A finding on 1-based ``line`` (to ``last``)."""
    return Finding(analyzer="scripted", rule_id=rule, message=f"{rule} here", severity=severity,
                   confidence=Confidence.HIGH, cwe=cwe, range=Range.lines(line - 1, (last or line) - 1, end_column=3))


class ScriptedAnalyzer:
    """Findings by file name; a name it was not told about gets none, ``"crash"`` raises."""

    languages = frozenset({"python"})

    def __init__(self, name: str, script: dict[str, list[Finding]], speed: str = "fast", reason: str | None = None):
        self.name, self.script, self.speed, self.reason = name, script, speed, reason
        self.seen: list[str] = []

    def available(self) -> str | None:
        return self.reason

    def analyze(self, source):
        self.seen.append(source.path)
        findings = self.script.get(source.path, [])
        if findings == "crash":
            raise RuntimeError("boom")
        return list(findings)


VULNERABLE = '''# expect: sql-injection line 6
import sqlite3


def find(conn, name):
    conn.execute(
        "SELECT * FROM t WHERE name = '%s'" % name
    )
'''
FIXED = '''# expect: none
# safe: a parameterized query
import sqlite3


def find(conn, name):
    conn.execute("SELECT * FROM t WHERE name = ?", (name,))
'''


@pytest.fixture
def tiny(tmp_path):
    """One category, three vulnerable and three fixed files (identical texts, different names)."""
    for n in (1, 2, 3):
        _write(tmp_path, f"sql-injection/vulnerable_{n}.py", VULNERABLE)
        _write(tmp_path, f"sql-injection/fixed_{n}.py", FIXED)
    return load_corpus(tmp_path)


def test_found_when_on_the_sink_line_or_naming_the_category_in_its_statement(tiny):
    file = tiny[0]
    assert file.expected_lines == (6,) and file.spans() == ((6, 8),)
    assert hits(file, [_f(6, rule="B999")])  # any rule on the sink line
    assert hits(file, [_f(7, cwe=89)])  # the category's CWE on the next line of the same statement
    assert hits(file, [_f(7, rule="sql-injection")])  # the category as the rule id
    assert hits(file, [_f(4, last=6)])  # a range that reaches the sink line


def test_missed_when_relevant_elsewhere_or_unrelated_beside_the_sink(tiny):
    file = tiny[0]
    assert not hits(file, [_f(2, cwe=89)])  # relevant, but on the import line
    assert not hits(file, [_f(7, cwe=22)])  # in the statement, but about something else
    assert not hits(file, [])


def test_false_alarm_names_the_category_anywhere_or_is_any_finding_of_a_targeted_analyzer(tiny):
    fixed = tiny[3]
    assert not fixed.vulnerable
    assert false_alarms(fixed, [_f(3, cwe=89)], "bandit")
    assert not false_alarms(fixed, [_f(7, cwe=78)], "bandit")
    assert false_alarms(fixed, [_f(7, rule="ssrf", cwe=918)], "dataflow")


def test_recall_records_and_tally_follow_the_script(tiny):
    script = {
        "sql-injection/vulnerable_1.py": [_f(7, cwe=89)],  # found, blocking
        "sql-injection/vulnerable_2.py": [_f(6, cwe=89, severity=Severity.LOW)],  # found, not blocking
        "sql-injection/vulnerable_3.py": [_f(2, cwe=89)],  # missed
        "sql-injection/fixed_1.py": [_f(7, cwe=89, severity=Severity.LOW)],  # false alarm, not blocking
        "sql-injection/fixed_2.py": [_f(7, cwe=78)],  # clean for this category
        "sql-injection/fixed_3.py": "crash",
    }
    scripted = ScriptedAnalyzer("scripted", script)
    columns = bench.open_columns(AnalyzerRegistry({"scripted": lambda: scripted}), ["scripted"])
    records = bench.recall(tiny, columns, SeverityPolicy())
    assert scripted.seen == [f.name for f in tiny]  # each file analyzed once
    results = {r["file"].split("/")[1]: (r["result"], r["blocking"]) for r in records}
    assert results == {"vulnerable_1.py": ("found", True), "vulnerable_2.py": ("found", False),
                       "vulnerable_3.py": ("missed", False), "fixed_1.py": ("false alarm", False),
                       "fixed_2.py": ("clean", False), "fixed_3.py": ("error", False)}
    assert records[-1]["error"] == "RuntimeError: boom"
    text = "\n".join(bench.recall_markdown({"columns": {"scripted": None}, "recall": {"table": bench.tally(records),
                                                                                      "records": records}}))
    assert "- scripted on sql-injection/fixed_3.py: RuntimeError: boom" in text
    assert "| sql-injection | 89 | 2/3 (1 blocking) | 1/3 (0 blocking), 1 failed |" in text
    cell = bench.tally(records)["sql-injection"]["scripted"]
    assert cell == {"vulnerable": 3, "found": 2, "found_blocking": 1, "vulnerable_errors": 0,
                    "fixed": 3, "false_alarms": 1, "false_alarms_blocking": 0, "fixed_errors": 1}
    totals = bench.tally(records)["totals"]
    assert list(totals) == ["flow", "all"] and totals["all"]["scripted"] == cell


def test_union_column_counts_a_file_found_by_either_analyzer(tiny):
    script_a = {"sql-injection/vulnerable_1.py": [_f(6, cwe=89, severity=Severity.LOW)],
                "sql-injection/fixed_1.py": [_f(7, cwe=89)]}
    script_b = {"sql-injection/vulnerable_1.py": [_f(6, rule="sql-injection")],
                "sql-injection/vulnerable_2.py": [_f(7, rule="sql-injection", severity=Severity.LOW)]}
    registry = AnalyzerRegistry({"a": lambda: ScriptedAnalyzer("a", script_a), "b": lambda: ScriptedAnalyzer("b", script_b)})
    records = bench.recall(tiny, bench.open_columns(registry, ["a", "b"]), SeverityPolicy())
    derived = bench.union(records, ("a", "b"))
    assert {r["analyzer"] for r in derived} == {"a+b"} and all(r["derived"] for r in derived)
    cell = bench.tally(derived)["sql-injection"]["a+b"]
    assert (cell["found"], cell["found_blocking"], cell["false_alarms"], cell["false_alarms_blocking"]) == (2, 1, 1, 1)


# -- precision -----------------------------------------------------------------------


def test_precision_counts_findings_and_blocking_ones_per_thousand_nonblank_lines():
    snippets = [bench.Snippet(name="T/0", text="def f():\n\n    return 1\n"),  # 2 non-blank lines
                bench.Snippet(name="T/1", text="x = 1\n\n\ny = 2\n# comment\n"),  # 3
                bench.Snippet(name="T/2", text="\n")]  # 0
    script = {"T/0": [_f(1, rule="A", severity=Severity.MEDIUM), _f(3, rule="B", severity=Severity.LOW)],
              "T/1": [_f(4, rule="A", severity=Severity.LOW)]}
    columns = bench.open_columns(AnalyzerRegistry({"scripted": lambda: ScriptedAnalyzer("scripted", script)}),
                                 ["scripted", "dataflow"])
    figures = bench.precision(snippets, columns, SeverityPolicy())
    f = figures["scripted"]
    assert (f["files"], f["lines"], f["findings"], f["blocking"]) == (3, 5, 3, 1)
    assert f["per_kloc"] == pytest.approx(600.0) and f["blocking_per_kloc"] == pytest.approx(200.0)
    assert f["rules"] == {"A": 2, "B": 1}
    assert [(b["snippet"], b["line"], b["rule"]) for b in f["blocking_findings"]] == [("T/0", 1, "A")]
    assert figures["dataflow"] == {"problem": columns[1].problem}
    assert bench.nonblank_lines("a\n  \n\tb\n") == 2


def test_stdlib_slice_reads_packages_and_single_modules(tmp_path):
    _write(tmp_path, "pkg/__init__.py", "x = 1\n")
    _write(tmp_path, "pkg/sub/mod.py", "y = 2\n")
    _write(tmp_path, "single.py", "z = 3\n")
    names = [s.name for s in bench.stdlib_snippets(["pkg", "single"], tmp_path)]
    assert names == ["pkg/__init__.py", "pkg/sub/mod.py", "single.py"]
    with pytest.raises(bench.runner.BenchError, match="nothere"):
        bench.stdlib_snippets(["nothere"], tmp_path)


# -- report and unavailable columns --------------------------------------------------


def _args(corpus: Path, **overrides):
    args = bench.make_parser().parse_args(["--corpus", str(corpus), "--skip-precision"])
    for key, value in overrides.items():
        setattr(args, key, value)
    return args


def test_report_table_and_an_unavailable_column(tmp_path, tiny):
    script = {"sql-injection/vulnerable_1.py": [_f(6, cwe=89)],
              "sql-injection/vulnerable_2.py": [_f(6, cwe=89, severity=Severity.LOW)],
              "sql-injection/fixed_1.py": [_f(7, cwe=89)]}
    registry = AnalyzerRegistry({"scripted": lambda: ScriptedAnalyzer("scripted", script),
                                 "absent": lambda: ScriptedAnalyzer("absent", {}, reason="absent is not installed"),
                                 "slow": lambda: ScriptedAnalyzer("slow", {}, speed="slow")})
    args = _args(tmp_path, analyzers="scripted,absent,dataflow,slow", skip_slow=True)
    messages = []
    report = bench.run(args, registry, progress=messages.append)
    assert report["columns"] == {"scripted": None, "absent": "not available: absent is not installed",
                                 "dataflow": report["columns"]["dataflow"], "slow": "skipped (--skip-slow)"}
    assert report["columns"]["dataflow"].startswith("not available: unknown analyzer 'dataflow'")
    assert "bandit+dataflow" not in report["columns"]  # a union only of columns that ran
    assert {r["analyzer"] for r in report["recall"]["records"]} == {"scripted"}
    assert any("absent is not installed" in m for m in messages)

    text = bench.markdown(report)
    rows = {line.split("|")[1].strip(): [c.strip() for c in line.split("|")[2:-1]]
            for line in text.splitlines() if line.startswith("| ")}
    header = rows["category"]
    assert header[1:5] == ["found: scripted", "found: absent", "found: dataflow", "found: slow"]
    assert rows["sql-injection"][:9] == ["89", "2/3 (1 blocking)", "n/a", "n/a", "n/a", "1/3", "n/a", "n/a", "n/a"]
    assert rows["**flow total**"][1] == "2/3 (1 blocking)" and rows["**all total**"][5] == "1/3"
    assert "- absent: not available: absent is not installed" in text
    assert "- scripted on" not in text  # no analyzer failed on a file
    assert "Precision" not in text

    results, markdown = bench.write_report(report, tmp_path / "out")
    assert json.loads(results.read_text())["recall"]["table"]["sql-injection"]["scripted"]["found"] == 2
    assert markdown.read_text() == text


def test_precision_section_lists_the_dataflow_blocking_findings():
    dataflow = {"files": 2, "lines": 40, "findings": 1, "per_kloc": 25.0, "blocking": 1, "blocking_per_kloc": 25.0,
                "rules": {"path-injection": 1}, "errors": {}, "seconds": 0.01,
                "blocking_findings": [{"snippet": "HumanEval/7", "line": 12, "rule": "path-injection",
                                       "message": "`name` reaches `open()` unchecked"}]}
    report = {"precision": {"humaneval": {"dataflow": dataflow, "bandit": {"problem": "not available: no bandit"}}}}
    text = "\n".join(bench.precision_markdown(report))
    assert "Blocking findings of `dataflow` on the HumanEval canonical solutions: 1:" in text
    assert "- HumanEval/7 line 12: path-injection: `name` reaches `open()` unchecked" in text
    assert "Blocking findings of `bandit` on the HumanEval canonical solutions: none measured" in text
    row = next(line for line in text.splitlines() if line.startswith("| humaneval | dataflow"))
    assert [c.strip() for c in row.split("|")[3:9]] == ["2", "40", "1", "25.00", "1", "25.00"]
    assert "| humaneval | bandit | n/a" in text


# -- the command line, with the real Bandit ------------------------------------------


def test_command_line_writes_the_report(tmp_path, capsys):
    from secgen.server import cli

    out = tmp_path / "out"
    status = cli.main(["bench", "analyzers", "--analyzers", "bandit,nosuch", "--stdlib", "csv", "--out", str(out)])
    assert status == 0
    stdout = capsys.readouterr().out
    assert "| sql-injection | 89 |" in stdout and "nosuch" in stdout
    results = json.loads((out / "results.json").read_text())
    assert results["columns"]["bandit"] is None and results["columns"]["nosuch"].startswith("not available")
    assert results["recall"]["files"] == len(load_corpus())
    assert results["recall"]["table"]["sql-injection"]["bandit"]["found"] >= 1  # B608 sees string-built SQL
    humaneval = results["precision"]["humaneval"]["bandit"]
    assert humaneval["files"] == 164 and humaneval["lines"] > 1000
    assert results["precision"]["stdlib"]["bandit"]["files"] == 1  # csv.py
    assert (out / "report.md").read_text().startswith("# Python analyzers")


def test_command_line_errors_are_one_line(tmp_path, capsys):
    assert bench.main(["--corpus", str(tmp_path / "none"), "--skip-precision", "--out", str(tmp_path)]) == 2
    assert "error: no corpus at" in capsys.readouterr().err
