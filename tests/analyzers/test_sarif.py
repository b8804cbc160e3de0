"""SARIF 2.1.0: the reader on Bandit's real output, the writer against the official schema, and the round trip."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from secgen.analyzers.bandit import BanditAnalyzer
from secgen.analyzers.base import Source
from secgen.analyzers.finding import Confidence, Finding, Position, Range, Severity
from secgen.analyzers.sarif import SRCROOT, read_sarif, to_sarif

INSECURE = """\
import hashlib
import pickle
import subprocess

import yaml


def insecure(cmd, blob, user_id, cursor):
    subprocess.call(cmd, shell=True)
    hashlib.md5(blob)
    yaml.load(blob)
    cursor.execute("SELECT * FROM users WHERE id = %s" % user_id)
    assert user_id
    password = "hunter2"
    return pickle.loads(blob)
"""

# (rule, 0-based line, CWE, severity, confidence) as Bandit 1.9 rates them
BANDIT_TABLE = [
    ("B101", 12, 703, Severity.LOW, Confidence.HIGH),
    ("B105", 13, 259, Severity.LOW, Confidence.MEDIUM),
    ("B301", 14, 502, Severity.MEDIUM, Confidence.HIGH),
    ("B324", 9, 327, Severity.HIGH, Confidence.HIGH),
    ("B403", 1, 502, Severity.LOW, Confidence.HIGH),
    ("B404", 2, 78, Severity.LOW, Confidence.HIGH),
    ("B506", 10, 20, Severity.MEDIUM, Confidence.HIGH),
    ("B602", 8, 78, Severity.HIGH, Confidence.HIGH),
    ("B608", 11, 89, Severity.MEDIUM, Confidence.MEDIUM),
]


@pytest.fixture(scope="module")
def bandit_sarif(tmp_path_factory) -> dict:
    """What ``bandit -f sarif`` prints for INSECURE (it exits 1: it found something)."""
    path = tmp_path_factory.mktemp("bandit") / "insecure.py"
    path.write_text(INSECURE)
    run = subprocess.run([sys.executable, "-m", "bandit", "-f", "sarif", "-q", str(path)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 1, run.stderr
    return json.loads(run.stdout)


def table(findings: list[Finding]) -> list[tuple]:
    return sorted((f.rule_id, f.line, f.cwe, f.severity, f.confidence) for f in findings)


def test_reader_on_real_bandit_output(bandit_sarif):
    findings = read_sarif(bandit_sarif, analyzer="bandit-cli", path_suffix="insecure.py", text=INSECURE)
    assert table(findings) == BANDIT_TABLE
    assert {f.analyzer for f in findings} == {"bandit-cli"}
    [b602] = [f for f in findings if f.rule_id == "B602"]
    # SARIF's startColumn 5 / endColumn 37 (exclusive) on line 9 become 0-based code points.
    assert b602.range == Range(start=Position(line=8, column=4), end=Position(line=8, column=36))
    assert b602.message == "subprocess call with shell=True identified, security issue."
    assert b602.extra["level"] == "error"


def test_reader_agrees_with_in_process_bandit(bandit_sarif):
    from_cli = read_sarif(bandit_sarif, analyzer="bandit", text=INSECURE)
    in_process = BanditAnalyzer().analyze(Source(text=INSECURE))
    assert [(f.rule_id, f.range, f.cwe, f.severity, f.confidence) for f in sorted(from_cli, key=lambda f: f.range.start)] \
        == [(f.rule_id, f.range, f.cwe, f.severity, f.confidence) for f in sorted(in_process, key=lambda f: f.range.start)]


def test_path_suffix_keeps_only_that_file_at_a_separator(bandit_sarif):
    assert read_sarif(bandit_sarif, analyzer="b", path_suffix="other.py") == []
    assert read_sarif(bandit_sarif, analyzer="b", path_suffix="secure.py") == []  # not a suffix of the name "insecure.py"
    assert len(read_sarif(bandit_sarif, analyzer="b", path_suffix="insecure.py")) == len(BANDIT_TABLE)


def test_round_trip_keeps_rule_line_range_and_cwe(tmp_path):
    findings = BanditAnalyzer().analyze(Source(text=INSECURE))
    document = json.loads(json.dumps(to_sarif({"app.py": findings}, {"app.py": INSECURE}, version="0.1.0")))
    back = read_sarif(document, analyzer="secgen", path_suffix="app.py", text=INSECURE)
    assert [(f.rule_id, f.range, f.cwe, f.message) for f in back] == \
        [(f"bandit/{f.rule_id}", f.range, f.cwe, f.message) for f in findings]
    # Levels carry HIGH/MEDIUM/LOW across.
    assert [f.severity for f in back] == [f.severity for f in findings]


def finding(rule: str, line: int, *, cwe: int | None = 78, severity=Severity.HIGH, analyzer="bandit",
            start=0, end=5, **extra) -> Finding:
    return Finding(analyzer=analyzer, rule_id=rule, message=f"{rule} here", severity=severity, cwe=cwe,
                   range=Range(start=Position(line=line, column=start), end=Position(line=line, column=end)),
                   extra=extra)


def test_writer_output_is_valid_sarif(sarif_validator, tmp_path):
    text = "x = 'é𝒳'; os.system(x)\nos.system(x)\n"
    findings = {
        "src/app.py": [finding("B605", 0, start=11, end=23), finding("B605", 1)],
        str(tmp_path / "elsewhere.py"): [finding("F821", 0, cwe=None, severity=Severity.ERROR, analyzer="pyflakes")],
        "empty.py": [],
    }
    texts = {path: text for path in findings}
    document = to_sarif(findings, texts, version="0.1.0", root="/work/repo",
                        failures={"src/app.py": {"hang": "timed out after 1 s and was killed"}})
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in sarif_validator.iter_errors(document)]
    assert errors == []
    assert list(sarif_validator.iter_errors(to_sarif({}, {}, version="0.1.0"))) == []
    # The schema does bite: a 0-based line and a driver without a name are rejected.
    broken = json.loads(json.dumps(document))
    broken["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    del broken["runs"][0]["tool"]["driver"]["name"]
    assert len(list(sarif_validator.iter_errors(broken))) == 2


def test_writer_rules_carry_help_cwe_tags_and_security_severity():
    document = to_sarif({"a.py": [finding("B602", 0, more_info="https://bandit.example/b602.html", test="shell_true"),
                                  finding("F401", 1, cwe=None, severity=Severity.LOW, analyzer="pyflakes")]},
                        {"a.py": "os.system(x)\nimport os\n"}, version="0.1.0")
    run = document["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    shell = rules["bandit/B602"]
    assert shell["name"] == "shell_true"
    assert shell["shortDescription"]["text"] == shell["fullDescription"]["text"] == "B602 here"
    assert "[CWE-78](https://cwe.mitre.org/data/definitions/78.html)" in shell["help"]["markdown"]
    assert "https://bandit.example/b602.html" in shell["help"]["text"]
    assert shell["helpUri"] == "https://bandit.example/b602.html"
    assert shell["properties"]["tags"] == ["security", "external/cwe/cwe-78"]
    assert shell["properties"]["security-severity"] == "8.0"
    assert shell["defaultConfiguration"] == {"level": "error"}
    unused = rules["pyflakes/F401"]
    assert "security-severity" not in unused["properties"] and unused["properties"]["tags"] == []
    assert unused["defaultConfiguration"] == {"level": "note"}
    for result in run["results"]:
        assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
    assert run["columnKind"] == "unicodeCodePoints"


def test_writer_uris_are_relative_to_srcroot_under_the_root(tmp_path):
    inside, outside = tmp_path / "repo" / "pkg" / "my app.py", tmp_path / "other.py"
    document = to_sarif({str(inside): [finding("B602", 0)], "pkg/rel.py": [finding("B602", 0)],
                         str(outside): [finding("B602", 0)]}, {}, version="0.1.0", root=tmp_path / "repo")
    run = document["runs"][0]
    locations = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in run["results"]]
    assert locations[0] == {"uri": "pkg/my%20app.py", "uriBaseId": SRCROOT, "index": 0}
    assert locations[1] == {"uri": "pkg/rel.py", "uriBaseId": SRCROOT, "index": 1}
    assert locations[2] == {"uri": outside.as_uri(), "index": 2}
    assert run["originalUriBaseIds"] == {SRCROOT: {"uri": (tmp_path / "repo").as_uri() + "/"}}
    assert [a["location"]["uri"] for a in run["artifacts"]] == ["pkg/my%20app.py", "pkg/rel.py", outside.as_uri()]


def fingerprints(text: str, findings: list[Finding]) -> list[str]:
    run = to_sarif({"a.py": findings}, {"a.py": text}, version="0.1.0")["runs"][0]
    return [r["partialFingerprints"]["secgenFingerprint/v1"] for r in run["results"]]


def test_fingerprints_survive_moving_lines_and_tell_twins_apart():
    before = fingerprints("os.system(x)\nos.system(x)\n", [finding("B605", 0), finding("B605", 1)])
    after = fingerprints("import os\n\nos.system(x)\nos.system(x)\n", [finding("B605", 2), finding("B605", 3)])
    assert before == after
    assert len(set(before)) == 2


def test_analyzers_that_did_not_run_are_tool_notifications():
    run = to_sarif({"a.py": []}, {"a.py": ""}, version="0.1.0", failures={"a.py": {"svace": "svace not found"}})["runs"][0]
    [notification] = run["invocations"][0]["toolExecutionNotifications"]
    assert notification["descriptor"] == {"id": "svace"} and "svace not found" in notification["message"]["text"]
    assert run["invocations"][0]["executionSuccessful"] is True


def log(results: list[dict], **run) -> dict:
    return {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "t"}}, **run, "results": results}]}


def result(rule="R1", region=None, uri="a.py", **more) -> dict:
    location = {"physicalLocation": {"artifactLocation": {"uri": uri}, "region": region or {"startLine": 1}}}
    return {"ruleId": rule, "message": {"text": "m"}, "locations": [location], **more}


def test_rules_in_extensions_are_found_as_codeql_writes_them():
    document = log([{"rule": {"id": "py/command-line-injection", "index": 0, "toolComponent": {"index": 0}},
                     "ruleId": "py/command-line-injection", "message": {"text": "m"},
                     "locations": [{"physicalLocation": {"artifactLocation": {"uri": "a.py"},
                                                         "region": {"startLine": 3, "startColumn": 5, "endColumn": 9}}}]}])
    document["runs"][0]["tool"]["extensions"] = [{"name": "codeql/python-queries", "rules": [{
        "id": "py/command-line-injection", "defaultConfiguration": {"level": "error"},
        "properties": {"tags": ["security", "external/cwe/cwe-078", "external/cwe/cwe-088"]}}]}]
    [f] = read_sarif(document, analyzer="codeql")
    assert (f.rule_id, f.cwe, f.severity, f.line) == ("py/command-line-injection", 78, Severity.HIGH, 2)
    assert (f.range.start.column, f.range.end.column) == (4, 8)


def test_passing_and_suppressed_results_are_skipped():
    document = log([result("pass", kind="pass"), result("na", kind="notApplicable"),
                    result("accepted", suppressions=[{"kind": "inSource"}]),
                    result("review", suppressions=[{"kind": "external", "status": "underReview"}]),
                    result("open", kind="open"), result("plain")])
    assert [f.rule_id for f in read_sarif(document, analyzer="t")] == ["review", "open", "plain"]


def test_utf16_columns_become_code_points_given_the_text():
    text = "s = '𝒳𝒳'; run(s)\n"  # each 𝒳 is two UTF-16 units, one code point
    region = {"startLine": 1, "startColumn": 13, "endColumn": 19}  # "run(s)" in UTF-16 units
    [f] = read_sarif(log([result(region=region)]), analyzer="t", text=text)
    assert text[f.range.start.column:f.range.end.column] == "run(s)"
    [f] = read_sarif(log([result(region={"startLine": 1, "startColumn": 11, "endColumn": 17})],
                         columnKind="unicodeCodePoints"), analyzer="t", text=text)
    assert text[f.range.start.column:f.range.end.column] == "run(s)"


def test_region_without_end_column_runs_to_the_end_of_its_line():
    text = "a = 1\nos.system(cmd)\n"
    [f] = read_sarif(log([result(region={"startLine": 2})]), analyzer="t", text=text)
    assert f.range == Range(start=Position(line=1, column=0), end=Position(line=1, column=14))
    [f] = read_sarif(log([result(region={"startLine": 2})]), analyzer="t")  # no text: an empty range at the start
    assert f.range == Range(start=Position(line=1, column=0), end=Position(line=1, column=0))


@pytest.mark.parametrize("document", [{}, {"runs": "x"}, {"version": "2.0.0", "runs": []}, []])
def test_not_sarif_is_a_value_error(document):
    with pytest.raises(ValueError):
        read_sarif(document, analyzer="t")


def test_writer_is_read_back_from_a_file(tmp_path):
    """The log as ``secgen check --format sarif`` writes it, read from disk (absolute path URIs)."""
    path = tmp_path / "m.py"
    findings = [finding("B324", 0, cwe=327)]
    document = to_sarif({str(path): findings}, {str(path): "hashlib.md5(b)\n"}, version="0.1.0")
    (tmp_path / "out.sarif").write_text(json.dumps(document))
    [back] = read_sarif(json.loads(Path(tmp_path / "out.sarif").read_text()), analyzer="s", path_suffix="m.py")
    assert (back.rule_id, back.line, back.cwe) == ("bandit/B324", 0, 327)
