"""Findings as SARIF 2.1.0, the format code-scanning services read.

This is the one place that converts between secgen's 0-based coordinates and
SARIF's 1-based ones. One run per invocation, tool ``secgen``; each analyzer's
rule becomes a ``reportingDescriptor`` (with its CWE as a tag), each finding a
``result`` with a location and a stable fingerprint (rule, path, and the
flagged line's text, so it survives lines moving).
"""

from __future__ import annotations

import hashlib
from typing import Mapping, Sequence

from secgen.analyzers.finding import Finding, Severity

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"

_LEVEL = {Severity.ERROR: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning",
          Severity.LOW: "note", Severity.INFO: "note"}


def _rule_key(f: Finding) -> str:
    return f"{f.analyzer}/{f.rule_id}"


def _rule(f: Finding) -> dict:
    rule: dict = {"id": _rule_key(f), "name": f.rule_id, "shortDescription": {"text": f.message[:200]},
                  "properties": {"tags": ["security"] if f.cwe else []}}
    if f.cwe:
        rule["properties"]["tags"].append(f"external/cwe/cwe-{f.cwe}")
        rule["helpUri"] = f"https://cwe.mitre.org/data/definitions/{f.cwe}.html"
    return rule


def _fingerprint(f: Finding, path: str, lines: Sequence[str]) -> str:
    text = lines[f.line].strip() if 0 <= f.line < len(lines) else ""
    return hashlib.sha256(f"{_rule_key(f)}\0{path}\0{text}".encode()).hexdigest()[:32]


def to_sarif(findings_by_path: Mapping[str, Sequence[Finding]], texts: Mapping[str, str],
             *, version: str) -> dict:
    rules: dict[str, dict] = {}
    results = []
    for path, findings in findings_by_path.items():
        lines = texts.get(path, "").splitlines()
        for f in findings:
            key = _rule_key(f)
            rules.setdefault(key, _rule(f))
            results.append({
                "ruleId": key,
                "level": _LEVEL[f.severity],
                "message": {"text": f.message},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": path},
                    "region": {"startLine": f.range.start.line + 1, "startColumn": f.range.start.column + 1,
                               "endLine": f.range.end.line + 1, "endColumn": max(f.range.end.column, 0) + 1},
                }}],
                "partialFingerprints": {"secgenFingerprint/v1": _fingerprint(f, path, lines)},
                "properties": {"analyzer": f.analyzer, "severity": f.severity.name.lower(),
                               "confidence": f.confidence.name.lower()},
            })
    ordered = sorted(rules)
    index = {key: i for i, key in enumerate(ordered)}
    for result in results:
        result["ruleIndex"] = index[result["ruleId"]]
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "secgen", "version": version, "rules": [rules[k] for k in ordered]}},
            "results": results,
        }],
    }
