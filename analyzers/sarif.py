"""SARIF 2.1.0 in and out: the one place that converts SARIF's 1-based coordinates.

Out (:func:`to_sarif`): one run per invocation, tool ``secgen``, in the shape
GitHub code scanning ingests. Each analyzer's rule becomes a
``reportingDescriptor`` with a short and a full description, ``help`` text
(plain and markdown: the message, the CWE's page, the tool's own page), its
CWE as an ``external/cwe/cwe-N`` tag, a ``precision`` and, for CWE findings,
the ``security-severity`` score GitHub ranks security alerts by. Each finding
becomes a ``result`` with a location and a stable fingerprint (rule, path and
the flagged line's text, numbered per occurrence, so it survives lines
moving). Paths under the root are relative URIs against ``%SRCROOT%``, as
GitHub expects; files the run analyzed are listed as ``artifacts``; analyzers
that did not run are ``toolExecutionNotifications``. Columns are code points
(``columnKind: unicodeCodePoints``), which is what a :class:`Finding` counts.

In (:func:`read_sarif`): every SARIF-speaking analyzer (Svace through
``svacer sarif``, Bandit, Semgrep, CodeQL, any command) is read here. Levels
map error/warning/note/none to HIGH/MEDIUM/LOW/INFO (Svace's
Critical/Major/Minor/Normal become those levels on export); a tool's own
severity and confidence in ``properties`` (Bandit's ``issue_severity``,
``issue_confidence``) win when present; CWEs come from rule or result tags
(``external/cwe/cwe-78``, ``CWE-78``) or ``properties.cwe``. Rules are found in
the driver or, as CodeQL writes them, in the run's extensions. Results that
are not failures (``kind`` pass or notApplicable) or are suppressed are
skipped. Given the analyzed text, columns become code points (SARIF counts
UTF-16 units unless the run says otherwise) and a region without an end
column runs to the end of its line.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any, Mapping, Sequence
from urllib.parse import quote, unquote, urlparse

from secgen.analyzers.finding import Confidence, Finding, Position, Range, Severity

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"

_LEVEL = {Severity.ERROR: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning",
          Severity.LOW: "note", Severity.INFO: "note"}
# GitHub's bands: critical > 9.0, high 7.0-8.9, medium 4.0-6.9, low 0.1-3.9.
_SECURITY_SEVERITY = {Severity.ERROR: "8.0", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5",
                      Severity.LOW: "3.0", Severity.INFO: "1.0"}
_PRECISION = {Confidence.HIGH: "high", Confidence.MEDIUM: "medium", Confidence.LOW: "low"}
_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # SARIF's line terminators


def _rule_key(f: Finding) -> str:
    return f"{f.analyzer}/{f.rule_id}"


def _cwe_url(cwe: int) -> str:
    return f"https://cwe.mitre.org/data/definitions/{cwe}.html"


def _help(f: Finding) -> dict:
    text, markdown = [f.message], [f.message]
    if f.cwe:
        text.append(f"CWE-{f.cwe}: {_cwe_url(f.cwe)}")
        markdown.append(f"[CWE-{f.cwe}]({_cwe_url(f.cwe)})")
    if f.extra.get("more_info"):
        text.append(f"More information: {f.extra['more_info']}")
        markdown.append(f"[More information about {f.rule_id}]({f.extra['more_info']})")
    return {"text": "\n\n".join(text), "markdown": "\n\n".join(markdown)}


def _rule(f: Finding) -> dict:
    """The rule as its first finding describes it."""
    message = f.message.strip() or f.rule_id
    rule: dict = {
        "id": _rule_key(f),
        "name": str(f.extra.get("test") or f.rule_id),
        "shortDescription": {"text": message.splitlines()[0][:200]},
        "fullDescription": {"text": message},
        "help": _help(f),
        "defaultConfiguration": {"level": _LEVEL[f.severity]},
        "properties": {"tags": [], "precision": _PRECISION[f.confidence]},
    }
    help_uri = f.extra.get("more_info") or (_cwe_url(f.cwe) if f.cwe else None)
    if help_uri:
        rule["helpUri"] = help_uri
    if f.cwe:
        rule["properties"]["tags"] = ["security", f"external/cwe/cwe-{f.cwe}"]
        rule["properties"]["security-severity"] = _SECURITY_SEVERITY[f.severity]
    return rule


def _artifact_location(path: str, root: Path | None) -> dict:
    """A URI relative to ``%SRCROOT%`` for a path under the root (or any relative path), else a file URI."""
    if root is not None:
        full = Path(os.path.normpath(root / path))
        try:
            return {"uri": quote(full.relative_to(root).as_posix()), "uriBaseId": SRCROOT}
        except ValueError:
            return {"uri": full.as_uri()}
    if Path(path).is_absolute():
        return {"uri": Path(os.path.normpath(path)).as_uri()}
    return {"uri": quote(Path(os.path.normpath(path)).as_posix()), "uriBaseId": SRCROOT}


def _fingerprint(f: Finding, uri: str, lines: Sequence[str], seen: dict[str, int]) -> str:
    text = lines[f.line].strip() if 0 <= f.line < len(lines) else ""
    digest = hashlib.sha256(f"{_rule_key(f)}\0{uri}\0{text}".encode()).hexdigest()[:32]
    seen[digest] = seen.get(digest, 0) + 1  # the same rule on two identical lines: two alerts
    return f"{digest}:{seen[digest]}"


def _one_based_region(f: Finding) -> dict:
    return {"startLine": f.range.start.line + 1, "startColumn": f.range.start.column + 1,
            "endLine": f.range.end.line + 1, "endColumn": max(f.range.end.column, 0) + 1}


def _artifact(location: dict, text: str | None) -> dict:
    artifact: dict = {"location": location}
    if text is not None:
        data = text.encode("utf-8", errors="surrogatepass")
        artifact["length"] = len(data)
        artifact["hashes"] = {"sha-256": hashlib.sha256(data).hexdigest()}
    return artifact


def to_sarif(findings_by_path: Mapping[str, Sequence[Finding]], texts: Mapping[str, str], *, version: str,
             root: str | Path | None = None, failures: Mapping[str, Mapping[str, str]] | None = None) -> dict:
    """A SARIF 2.1.0 log of ``findings_by_path``; ``failures`` maps a path to the analyzers that did not run on it."""
    base = None if root is None else Path(root).absolute()
    rules: dict[str, dict] = {}
    results, artifacts, notifications = [], [], []
    locations: dict[str, dict] = {}
    for path in {**findings_by_path, **(failures or {})}:
        locations[path] = {**_artifact_location(path, base), "index": len(artifacts)}
        artifacts.append(_artifact({k: v for k, v in locations[path].items() if k != "index"}, texts.get(path)))
    for path, findings in findings_by_path.items():
        lines = _LINE_BREAK.split(texts.get(path, ""))
        seen: dict[str, int] = {}
        for f in findings:
            key = _rule_key(f)
            rules.setdefault(key, _rule(f))
            results.append({
                "ruleId": key,
                "level": _LEVEL[f.severity],
                "message": {"text": f.message or f.rule_id},
                "locations": [{"physicalLocation": {"artifactLocation": locations[path], "region": _one_based_region(f)}}],
                "partialFingerprints": {"secgenFingerprint/v1": _fingerprint(f, locations[path]["uri"], lines, seen)},
                "properties": {"analyzer": f.analyzer, "severity": f.severity.name.lower(),
                               "confidence": f.confidence.name.lower()},
            })
    for path, reasons in (failures or {}).items():
        for name, reason in reasons.items():
            notifications.append({"level": "error", "descriptor": {"id": name},
                                  "message": {"text": f"analyzer {name} did not run: {reason}"},
                                  "locations": [{"physicalLocation": {"artifactLocation": locations[path]}}]})
    ordered = sorted(rules)
    index = {key: i for i, key in enumerate(ordered)}
    for result in results:
        result["ruleIndex"] = index[result["ruleId"]]
    run: dict = {
        "tool": {"driver": {"name": "secgen", "version": version, "semanticVersion": version,
                            "rules": [rules[k] for k in ordered]}},
        "invocations": [{"executionSuccessful": True,
                         **({"toolExecutionNotifications": notifications} if notifications else {})}],
        "artifacts": artifacts,
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    if base is not None:
        run["originalUriBaseIds"] = {SRCROOT: {"uri": base.as_uri().rstrip("/") + "/"}}
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


_FROM_LEVEL = {"error": Severity.HIGH, "warning": Severity.MEDIUM, "note": Severity.LOW, "none": Severity.INFO}
_CWE = re.compile(r"cwe[-/:_ ]?(\d+)", re.I)


def _cwe(*tag_lists: Any) -> int | None:
    for tags in tag_lists:
        for tag in tags if isinstance(tags, list) else [tags]:
            match = _CWE.search(str(tag)) if tag is not None else None
            if match:
                return int(match.group(1))
    return None


def _components(run: dict) -> list[list[dict]]:
    """Each tool component's rules: the driver's first, then each extension's (where CodeQL keeps its queries)."""
    tool = run.get("tool") or {}
    components = [tool.get("driver") or {}, *(e for e in tool.get("extensions") or [] if isinstance(e, dict))]
    return [[r for r in c.get("rules") or [] if isinstance(r, dict)] for c in components]


def _lookup_rule(result: dict, components: list[list[dict]], by_id: dict[str, dict]) -> dict:
    reference = result.get("rule") or {}
    rule_id = result.get("ruleId") or reference.get("id")
    if rule_id in by_id:
        return by_id[rule_id]
    index = result.get("ruleIndex", reference.get("index"))
    component = (reference.get("toolComponent") or {}).get("index")
    rules = components[component + 1] if isinstance(component, int) and 0 <= component < len(components) - 1 \
        else components[0]
    return rules[index] if isinstance(index, int) and 0 <= index < len(rules) else {}


class _Columns:
    """SARIF columns to code-point columns, given the analyzed text (else taken as they are)."""

    def __init__(self, text: str | None, kind: str) -> None:
        self.lines = None if text is None else _LINE_BREAK.split(text)
        self.utf16 = kind != "unicodeCodePoints"

    def line_text(self, line: int) -> str:
        return self.lines[line] if self.lines is not None and 0 <= line < len(self.lines) else ""

    def column(self, line: int, column: int) -> int:
        text = self.line_text(line)
        if not self.utf16 or text.isascii():
            return column
        units = 0
        for i, char in enumerate(text):
            if units >= column:
                return i
            units += 2 if ord(char) > 0xFFFF else 1
        return len(text) + column - units

    def end_of_line(self, line: int) -> int | None:
        return None if self.lines is None else len(self.line_text(line))


def _zero_based_range(result: dict, columns: _Columns) -> tuple[str | None, Range]:
    locations = result.get("locations") or [{}]
    physical = (locations[0] or {}).get("physicalLocation") or {}
    uri = (physical.get("artifactLocation") or {}).get("uri")
    region = physical.get("region") or {}
    start_line = max(int(region.get("startLine", 1)), 1) - 1
    start_col = columns.column(start_line, max(int(region.get("startColumn", 1)), 1) - 1)
    end_line = max(int(region.get("endLine", start_line + 1)), 1) - 1
    if "endColumn" in region:  # exclusive and 1-based
        end_col = columns.column(end_line, max(int(region["endColumn"]), 1) - 1)
    else:  # the region runs to the end of its last line
        end_col = columns.end_of_line(end_line) or 0
    start = Position(line=start_line, column=start_col)
    end = max(start, Position(line=end_line, column=end_col))
    return uri, Range(start=start, end=end)


def _finding(result: dict, rule: dict, analyzer: str, columns: _Columns) -> Finding:
    rule_id = result.get("ruleId") or (result.get("rule") or {}).get("id") or rule.get("id") or "unknown"
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
    uri, where = _zero_based_range(result, columns)
    cwe = _cwe(props.get("cwe"), props.get("tags"), rule_props.get("cwe"), rule_props.get("tags"))
    return Finding(analyzer=analyzer, rule_id=str(rule_id), message=message.strip(), severity=severity,
                   confidence=confidence, cwe=cwe, range=where, extra={"uri": uri, "level": level})


def _is_failure(result: dict) -> bool:
    """False for results that pass or do not apply, and for suppressed ones (not under review or rejected)."""
    if result.get("kind", "fail") in ("pass", "notApplicable"):
        return False
    suppressions = [s for s in result.get("suppressions") or [] if isinstance(s, dict)]
    return not suppressions or any(s.get("status") in ("underReview", "rejected") for s in suppressions)


def _matches(uri: str, suffix: str) -> bool:
    """Whether ``uri``'s path ends with the path ``suffix``, at a path separator."""
    path = unquote(urlparse(uri).path if "://" in uri else uri)
    if not path.endswith(suffix):
        return False
    return len(path) == len(suffix) or suffix.startswith("/") or path[-len(suffix) - 1] in "/\\"


def read_sarif(document: Mapping[str, Any], *, analyzer: str, path_suffix: str | None = None,
               text: str | None = None) -> list[Finding]:
    """Findings from a SARIF 2.1.0 log; with ``path_suffix``, only results whose artifact path ends with it.

    ``text`` is the analyzed file's text, for exact columns (see the module's docstring).
    Raises ``ValueError`` for a log that is not SARIF 2.1.0.
    """
    if not isinstance(document, Mapping) or not isinstance(document.get("runs"), list):
        raise ValueError("not a SARIF log: no runs")
    if str(document.get("version", "2.1.0")) != "2.1.0":
        raise ValueError(f"SARIF version {document.get('version')} is not supported (2.1.0 is)")
    findings = []
    for run in document["runs"]:
        run = run if isinstance(run, dict) else {}
        components = _components(run)
        by_id = {r["id"]: r for rules in reversed(components) for r in rules if r.get("id")}
        columns = _Columns(text, str(run.get("columnKind", "utf16CodeUnits")))
        for result in run.get("results") or []:
            if not isinstance(result, dict) or not _is_failure(result):
                continue
            finding = _finding(result, _lookup_rule(result, components, by_id), analyzer, columns)
            uri = finding.extra.get("uri")
            if path_suffix is not None and uri is not None and not _matches(uri, path_suffix):
                continue
            findings.append(finding)
    return findings
