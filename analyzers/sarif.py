"""SARIF 2.1.0 in and out: the one place that converts SARIF's 1-based coordinates.

Out (:func:`to_sarif`): one run per invocation, tool ``secgen``; each
analyzer's rule becomes a ``reportingDescriptor`` (with its CWE as a tag),
each finding a ``result`` with a location and a stable fingerprint (rule,
path, and the flagged line's text, so it survives lines moving).

In (:func:`read_sarif`): every SARIF-speaking analyzer (Svace through
``svacer sarif``, Bandit, Semgrep, CodeQL, any command) is read here. Levels
map error/warning/note/none to HIGH/MEDIUM/LOW/INFO (Svace's
Critical/Major/Minor/Normal become those levels on export); a tool's own
severity and confidence in ``properties`` (Bandit's ``issue_severity``,
``issue_confidence``) win when present; CWEs come from rule or result tags
(``external/cwe/cwe-78``, ``CWE-78``) or ``properties.cwe``.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any, Mapping, Sequence
from urllib.parse import unquote, urlparse

from secgen.analyzers.finding import Confidence, Finding, Position, Range, Severity

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


_FROM_LEVEL = {"error": Severity.HIGH, "warning": Severity.MEDIUM, "note": Severity.LOW, "none": Severity.INFO}
_CWE = re.compile(r"cwe[-/:_ ]?(\d+)", re.I)


def _cwe(*tag_lists: Any) -> int | None:
    for tags in tag_lists:
        for tag in tags if isinstance(tags, list) else [tags]:
            match = _CWE.search(str(tag)) if tag is not None else None
            if match:
                return int(match.group(1))
    return None


def _rules(run: dict) -> tuple[list[dict], dict[str, dict]]:
    driver = (run.get("tool") or {}).get("driver") or {}
    rules = [r for r in driver.get("rules") or [] if isinstance(r, dict)]
    return rules, {r.get("id"): r for r in rules if r.get("id")}


def _region(result: dict) -> tuple[str | None, Range]:
    locations = result.get("locations") or [{}]
    physical = (locations[0] or {}).get("physicalLocation") or {}
    uri = (physical.get("artifactLocation") or {}).get("uri")
    region = physical.get("region") or {}
    start_line = max(int(region.get("startLine", 1)), 1) - 1
    start_col = max(int(region.get("startColumn", 1)), 1) - 1
    end_line = max(int(region.get("endLine", start_line + 1)), 1) - 1
    end_col = max(int(region.get("endColumn", 1)), 1) - 1  # SARIF's endColumn is exclusive, 1-based
    return uri, Range(start=Position(line=start_line, column=start_col), end=Position(line=end_line, column=end_col))


def _finding(result: dict, rules: list[dict], by_id: dict[str, dict], analyzer: str) -> Finding:
    rule_id = result.get("ruleId") or (result.get("rule") or {}).get("id")
    index = result.get("ruleIndex", (result.get("rule") or {}).get("index"))
    rule = by_id.get(rule_id) or (rules[index] if isinstance(index, int) and 0 <= index < len(rules) else {})
    rule_id = rule_id or rule.get("id") or "unknown"
    level = result.get("level") or (rule.get("defaultConfiguration") or {}).get("level") or "warning"
    props = result.get("properties") or {}
    rule_props = rule.get("properties") or {}
    severity = _FROM_LEVEL.get(level, Severity.MEDIUM)
    if str(props.get("issue_severity", "")).upper() in ("LOW", "MEDIUM", "HIGH"):
        severity = Severity[str(props["issue_severity"]).upper()]
    confidence = Confidence.HIGH
    if str(props.get("issue_confidence", "")).upper() in ("LOW", "MEDIUM", "HIGH"):
        confidence = Confidence[str(props["issue_confidence"]).upper()]
    message = (result.get("message") or {}).get("text") or (rule.get("shortDescription") or {}).get("text") or rule_id
    uri, where = _region(result)
    cwe = _cwe(props.get("cwe"), props.get("tags"), rule_props.get("cwe"), rule_props.get("tags"))
    return Finding(analyzer=analyzer, rule_id=str(rule_id), message=message.strip(), severity=severity,
                   confidence=confidence, cwe=cwe, range=where, extra={"uri": uri, "level": level})


def read_sarif(document: Mapping[str, Any], *, analyzer: str, path_suffix: str | None = None) -> list[Finding]:
    """Findings from a SARIF 2.1.0 log; with ``path_suffix``, only results whose artifact path ends with it.

    Raises ``ValueError`` for a log that is not SARIF 2.1.0.
    """
    if not isinstance(document, Mapping) or not isinstance(document.get("runs"), list):
        raise ValueError("not a SARIF log: no runs")
    if str(document.get("version", "2.1.0")) != "2.1.0":
        raise ValueError(f"SARIF version {document.get('version')} is not supported (2.1.0 is)")
    findings = []
    for run in document["runs"]:
        rules, by_id = _rules(run or {})
        for result in (run or {}).get("results") or []:
            finding = _finding(result, rules, by_id, analyzer)
            uri = finding.extra.get("uri")
            if path_suffix is not None and uri is not None:
                path = unquote(urlparse(uri).path if "://" in uri else uri)
                if not path.endswith(path_suffix):
                    continue
            findings.append(finding)
    return findings
