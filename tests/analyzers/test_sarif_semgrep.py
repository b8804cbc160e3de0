"""The shared SARIF reader on REAL Semgrep output (Semgrep's own ``--sarif``), through the generic command analyzer."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from secgen.analyzers import Source
from secgen.analyzers.icd import rules_root, semgrep_rules
from secgen.analyzers.sarif_command import SarifCommandAnalyzer

SEMGREP = Path(sys.executable).parent / "semgrep"
CODE = "import subprocess\n\n\ndef run(cmd):\n    return subprocess.run(cmd, shell=True)\n"


@pytest.mark.skipif(not SEMGREP.exists(), reason="semgrep is installed with secgen; not in this interpreter")
def test_real_semgrep_sarif_is_read_with_rule_line_and_cwe():
    rules, _ = semgrep_rules(rules_root(), "python")
    analyzer = SarifCommandAnalyzer(
        "semgrep-sarif", f"{SEMGREP} scan --sarif --metrics off --disable-version-check --quiet --config {rules} {{file}}",
        timeout_s=120)
    assert analyzer.available() is None
    findings = analyzer.analyze(Source(text=CODE, path="tool.py"))
    shell = [f for f in findings if "shell" in f.rule_id]
    assert shell, [f.rule_id for f in findings]
    assert shell[0].line == 4 and shell[0].range.start.column == 11 and shell[0].cwe == 78
    assert shell[0].analyzer == "semgrep-sarif"
