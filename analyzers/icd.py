"""Meta's Insecure Code Detector (ICD) as two analyzers: its regex rules in process, its Semgrep rules in Semgrep.

The ICD (``pip install codeshield``) is the detector the CyberSecEval benchmark
scores generated code with. It has two halves, and so do we:

* ``icd-regex`` (speed ``fast``): ICD's regular expressions, per language
  (``rules/regex/<language>.yaml``: pattern, CWE, description, severity,
  pattern id), matched here in process: under half a millisecond for a
  50-line snippet (a few ms the first time a language's rules load), fast
  enough for every suggestion. It is not a default analyzer all the same: on
  Python its only rules (MD5, SHA-1) repeat Bandit's B324. A few patterns
  (PHP's ``missing-secure-cookie``) are quadratic in one line's length, as
  they are in ICD: ~0.2 s for a 2,400-character line of commas.
* ``icd-semgrep`` (speed ``slow``): ICD's Semgrep rules
  (``rules/semgrep/_generated_/<language>_cyberseceval.json``), run by
  Semgrep on a copy of the snippet in a scratch directory (never the user's
  tree) through :func:`~secgen.analyzers.process.run_tool`. A run costs
  ~0.15 s, too slow for every keystroke, so callers run it on save or in
  benchmarks.

Which rules, and how they match, follows ICD 1.0.1's CyberSecEval use case
(``insecure_code_detector.py``, ``insecure_patterns.py``): the rules that
``rules/config.yaml`` enables for ``cyberseceval``; C++ also gets C's regex
rules, every other language the language-agnostic ones (leaked keys and
tokens); each regex reports its first match only, and not when the text
before it on its line starts a comment or directive (``#``, ``//``, ``/*``,
or ends with ``*/``); Semgrep runs for C, C++, C#, Java, JavaScript and
Python (PHP has Semgrep rules that ICD does not run; add ``php`` to
``semgrep_languages`` to run them). Rust and PHP are regex-only. A rule this
Semgrep cannot parse is skipped by Semgrep, as in ICD, and logged once. The
one such rule in ICD 1.0.1 on Semgrep 1.185, Java's ``ssrf_insecure_patterns``,
lacks a ``;`` after an ``import`` in its patterns; :func:`mend_rules` adds it
in a copy of the rule file (in the temp dir), so Java keeps its SSRF check.
This is the one place where our rules differ from ICD's files.

codeshield's files are data to us; none of its code is imported. Its
``oss`` module, imported by everything else in the package, makes a symlink
inside the installed Semgrep wheel at import time (and fails without one),
and its ``analyze`` is asynchronous and runs both halves at once. Worse, it
passes ``--project-root /`` to Semgrep, and Semgrep 1.185 then scans nothing
(``paths.scanned`` comes back empty), so ICD silently reports only its regex
half. Here Semgrep gets no project root: it runs in the scratch directory on
the file's relative name, and a run whose ``paths.scanned`` lacks the file is
an error, never an empty result.

Semgrep runs with ``--experimental``, which makes the ``semgrep`` CLI hand the
scan straight to ``osemgrep`` (the wheel's ``semgrep-core``), the engine ICD
calls: ~0.15 s a run, against ~1.8 s for the CLI's own Python engine. Nothing
is downloaded: the rules are local files (``--config`` with a path never asks
the registry), ``--metrics off`` and ``--disable-version-check`` keep Semgrep
off the network (without the latter it stalls ~95 s offline looking for a
newer release).

Severities, the same for both halves: ICD's ``Error``/Semgrep's ``ERROR`` ->
HIGH, ``Warning``/``WARNING`` -> MEDIUM, ``Advice``/``INFO`` -> LOW (the
SARIF reader's error/warning/note), ``Disabled`` -> INFO. The CWE is the
rule's ``cwe_id`` (``CWE-78``), else the first CWE its ``cwe`` metadata names.
Semgrep's JSON counts columns and offsets in UTF-8 bytes (its SARIF does too,
without saying so, which is why JSON is read here); both halves report
0-based code-point positions, the span of the match.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import logging
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml

from secgen.analyzers.base import AnalyzerError, Source
from secgen.analyzers.finding import Finding, Position, Range, Severity
from secgen.analyzers.languages import LANGUAGES
from secgen.analyzers.process import OUTPUT_LIMIT, run_tool

USE_CASE = "cyberseceval"  # ICD's rule selection for the benchmark (the other, "codeshield", is smaller)
SEMGREP_LANGUAGES = ("c", "cpp", "csharp", "java", "javascript", "python")  # ICD's LANGUAGE_ANALYZER_MAP
SEVERITIES = {"error": Severity.HIGH, "warning": Severity.MEDIUM, "advice": Severity.LOW, "info": Severity.LOW,
              "disabled": Severity.INFO}
SCRATCH_FILES = {"python": "snippet.py", "c": "snippet.c", "cpp": "snippet.cpp", "csharp": "Snippet.cs",
                 "java": "Snippet.java", "javascript": "snippet.js", "php": "snippet.php", "rust": "snippet.rs"}
_CWE = re.compile(r"CWE-(\d+)", re.IGNORECASE)

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # safe either way; libyaml's is several times faster

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class IcdSettings:
    """Where ICD's rules and Semgrep are, and what the Semgrep half runs on."""

    rules: str | None = None  # ICD's rules folder (holds config.yaml); None: the installed codeshield's
    semgrep: str | None = None  # the semgrep CLI, a name on PATH or a path; None: this interpreter's, else PATH's
    semgrep_languages: tuple[str, ...] = SEMGREP_LANGUAGES
    timeout_s: float = 30.0
    env: Mapping[str, str] = field(default_factory=dict)  # added to Semgrep's environment
    scratch_root: str | None = None  # where scratch directories are made; None: the system temp dir

    def __post_init__(self) -> None:
        if not self.timeout_s > 0:
            raise ValueError("icd timeout_s must be positive")
        unknown = set(self.semgrep_languages) - set(LANGUAGES)
        if unknown:
            raise ValueError(f"icd semgrep_languages: unknown {', '.join(sorted(unknown))}")


@dataclass(frozen=True, kw_only=True)
class RegexRule:
    pattern_id: str
    description: str
    cwe_id: str
    severity: str
    regex: re.Pattern


def rules_root(setting: str | None = None) -> Path:
    """ICD's rules folder; :class:`AnalyzerError` when there is none."""
    if setting:
        root = Path(setting)
    else:
        spec = importlib.util.find_spec("codeshield")  # a namespace package: nothing of it runs
        if spec is None or not spec.submodule_search_locations:
            raise AnalyzerError("codeshield is not installed (pip install codeshield)")
        candidates = [Path(p, "insecure_code_detector", "rules") for p in spec.submodule_search_locations]
        root = next((c for c in candidates if c.is_dir()), candidates[0])
    if not (root / "config.yaml").is_file():
        raise AnalyzerError(f"no ICD rules at {root} (no config.yaml)")
    return root


def _read_yaml(path: Path) -> Any:
    try:
        with open(path, encoding="utf-8") as stream:
            return yaml.load(stream, Loader=_YAML_LOADER)  # nosec B506
    except (OSError, yaml.YAMLError) as exc:
        raise AnalyzerError(f"cannot read ICD rules {path}: {exc}") from None


@functools.lru_cache(maxsize=None)
def _config(root: Path) -> Mapping[str, Any]:
    """``config.yaml``'s rule selection for :data:`USE_CASE`: language -> half -> ``{"rules": [ids]}``."""
    return ((_read_yaml(root / "config.yaml") or {}).get("config") or {}).get(USE_CASE) or {}


def _enabled(root: Path, language: str, half: str) -> frozenset[str]:
    return frozenset(((_config(root).get(language) or {}).get(half) or {}).get("rules") or ())


@functools.lru_cache(maxsize=None)
def _regex_file(root: Path, language: str) -> tuple[RegexRule, ...]:
    path = root / "regex" / f"{language}.yaml"
    entries = _read_yaml(path) or []
    enabled = _enabled(root, language, "regex")
    rules = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or "rule" not in entry:
            continue
        if "pattern_id" in entry and entry["pattern_id"] not in enabled:
            continue  # ICD keeps a rule without an id, and one with an id only if config.yaml enables it
        try:
            regex = re.compile(entry["rule"])
        except re.error as exc:
            raise AnalyzerError(f"ICD regex rule {entry.get('pattern_id')} in {path.name} does not compile: {exc}") from None
        rules.append(RegexRule(pattern_id=str(entry.get("pattern_id") or f"{language}-regex"),
                               description=str(entry["description"]).strip(), cwe_id=str(entry.get("cwe_id") or ""),
                               severity=str(entry["severity"]), regex=regex))
    return tuple(rules)


def regex_rules(root: Path, language: str) -> tuple[RegexRule, ...]:
    """The regex rules ICD checks ``language`` with (``insecure_patterns.load``)."""
    if language == "cpp":
        return _regex_file(root, "cpp") + regex_rules(root, "c")
    return _regex_file(root, language) + _regex_file(root, "language_agnostic")


@functools.lru_cache(maxsize=None)
def semgrep_rules(root: Path, language: str) -> tuple[Path, Mapping[str, Mapping[str, Any]]]:
    """ICD's consolidated Semgrep rule file for ``language`` (mended, see :func:`mend_rules`), and its rules by id."""
    path = root / "semgrep" / "_generated_" / f"{language}_{USE_CASE}.json"
    try:
        text = path.read_text(encoding="utf-8")
        document = json.loads(text)
    except (OSError, ValueError) as exc:
        raise AnalyzerError(f"no ICD Semgrep rules for {language} ({path}: {exc})") from None
    if language == "java" and mend_rules(document):
        digest = hashlib.sha256(text.encode()).hexdigest()[:16]
        mended = Path(tempfile.gettempdir(), f"secgen-icd-{language}-{digest}.json")
        if not mended.exists():
            partial = mended.with_suffix(f".{os.getpid()}.partial")
            partial.write_text(json.dumps(document), encoding="utf-8")
            os.replace(partial, mended)
        path = mended
    return path, {rule["id"]: rule for rule in document.get("rules") or [] if isinstance(rule, dict) and "id" in rule}


_JAVA_IMPORT = re.compile(r"^(\s*import\s+[\w.]+(?:\.\*)?)\s*$", re.MULTILINE)


def mend_rules(document: Any) -> int:
    """Add the ``;`` that Java ``import`` lines in ICD's patterns lack; the number of patterns mended.

    ICD 1.0.1's ``ssrf_insecure_patterns`` writes ``import java.net.URL`` with
    no semicolon in its ``pattern-inside``; Semgrep 1.185 rejects the whole
    rule ("Invalid pattern for Java"), so Java's SSRF check would be lost.
    The mended rule matches what its authors meant (their other branch has
    ``import java.net.*;``) and is tested to flag ``new URL(u).openConnection()``.
    """
    mended = 0
    if isinstance(document, dict):
        for key, value in document.items():
            if key in ("pattern-inside", "pattern-not-inside", "pattern") and isinstance(value, str):
                fixed = _JAVA_IMPORT.sub(r"\1;", value)
                if fixed != value:
                    document[key] = fixed
                    mended += 1
            else:
                mended += mend_rules(value)
    elif isinstance(document, list):
        mended += sum(mend_rules(item) for item in document)
    return mended


def cwe_number(*values: Any) -> int | None:
    """The first CWE number in ``values`` (strings or lists of them)."""
    for value in values:
        for text in value if isinstance(value, list) else [value]:
            match = _CWE.search(str(text)) if text else None
            if match:
                return int(match.group(1))
    return None


def _position(text: str, index: int) -> Position:
    """The 0-based line and code-point column of ``index`` into ``text`` (lines end at ``\\n``)."""
    line_start = text.rfind("\n", 0, index) + 1
    return Position(line=text.count("\n", 0, index), column=index - line_start)


def _is_comment_or_directive(code: str) -> bool:
    code = code.strip()
    return code.startswith(("#", "//", "/*")) or code.endswith("*/")


class _IcdAnalyzer:
    def __init__(self, settings: IcdSettings | None = None) -> None:
        self.settings = settings or IcdSettings()
        self._root: Path | None = None

    def rules_root(self) -> Path:
        if self._root is None:
            self._root = rules_root(self.settings.rules)
        return self._root

    def available(self) -> str | None:
        try:
            self.rules_root()
        except AnalyzerError as exc:
            return str(exc)
        return None


class IcdRegexAnalyzer(_IcdAnalyzer):
    name = "icd-regex"
    languages = frozenset(LANGUAGES)
    speed = "fast"

    def analyze(self, source: Source) -> list[Finding]:
        text = source.text
        findings = []
        for rule in regex_rules(self.rules_root(), source.language):
            match = rule.regex.search(text)  # ICD reports a rule's first match only
            if match is None:
                continue
            if _is_comment_or_directive(text[text.rfind("\n", 0, match.start()) + 1:match.start()]):
                continue
            findings.append(Finding(
                analyzer=self.name, rule_id=rule.pattern_id, message=rule.description,
                severity=SEVERITIES.get(rule.severity.lower(), Severity.MEDIUM), cwe=cwe_number(rule.cwe_id),
                range=Range(start=_position(text, match.start()), end=_position(text, match.end())),
                extra={"icd": "regex", "cwe_id": rule.cwe_id, "level": rule.severity}))
        return sorted(findings, key=lambda f: (f.range.start, f.rule_id))


class IcdSemgrepAnalyzer(_IcdAnalyzer):
    name = "icd-semgrep"
    speed = "slow"

    def __init__(self, settings: IcdSettings | None = None) -> None:
        super().__init__(settings)
        self.languages = frozenset(self.settings.semgrep_languages)

    def available(self) -> str | None:
        reason = super().available()
        if reason is None and self.executable() is None:
            setting = self.settings.semgrep
            if setting and (os.sep in setting or (os.altsep and os.altsep in setting)):
                return f"semgrep not found at {setting} (set the semgrep path setting)"
            return f"semgrep {setting + ' ' if setting else ''}is not installed (pip install semgrep, " \
                   "or set the semgrep path setting)"
        return reason

    def executable(self) -> str | None:
        """The Semgrep this analyzer runs, or ``None`` when there is none."""
        if self.settings.semgrep:
            return shutil.which(self.settings.semgrep)
        # The one installed with secgen (pinned) before any other on PATH.
        return shutil.which("semgrep", path=str(Path(sys.executable).parent)) or shutil.which("semgrep")

    def analyze(self, source: Source) -> list[Finding]:
        if source.language not in self.languages:
            raise AnalyzerError(f"icd-semgrep does not run on {source.language!r}")
        config, rules = semgrep_rules(self.rules_root(), source.language)
        executable = self.executable()
        if executable is None:
            raise AnalyzerError(self.available() or "semgrep not found")
        name = SCRATCH_FILES[source.language]
        with tempfile.TemporaryDirectory(prefix="secgen-icd-", dir=self.settings.scratch_root) as scratch:
            project = Path(scratch, "project")
            project.mkdir()
            (project / name).write_text(source.text, encoding="utf-8", errors="surrogatepass", newline="")
            argv = [executable, "scan", "--experimental", "--config", str(config), "--json", "--quiet",
                    "--metrics", "off", "--disable-version-check", "--no-git-ignore", name]
            env = {"SEMGREP_ENABLE_VERSION_CHECK": "0", "SEMGREP_SEND_METRICS": "off", **self.settings.env}
            run = run_tool(argv, cwd=project, timeout_s=self.settings.timeout_s, env=env)
        document = _semgrep_output(run.stdout, run.returncode, run.tail(), name)
        data = source.text.encode("utf-8", errors="surrogatepass")
        findings = [self._finding(result, rules, source.text, data)
                    for result in document.get("results") or [] if result.get("path") == name]
        return sorted(findings, key=lambda f: (f.range.start, f.rule_id))

    def _finding(self, result: Mapping[str, Any], rules: Mapping[str, Mapping[str, Any]], text: str,
                 data: bytes) -> Finding:
        check_id = str(result.get("check_id") or "unknown")
        # Semgrep's Python engine (no --experimental) prefixes a local rule's id with its file's dotted path.
        rule_id = check_id if check_id in rules else check_id.rsplit(".", 1)[-1]
        extra = result.get("extra") or {}
        metadata = extra.get("metadata") or (rules.get(rule_id) or {}).get("metadata") or {}
        level = str(extra.get("severity") or (rules.get(rule_id) or {}).get("severity") or "WARNING")
        start = _code_points(text, data, result.get("start") or {})
        end = _code_points(text, data, result.get("end") or {})
        return Finding(
            analyzer=self.name, rule_id=rule_id, message=str(extra.get("message") or rule_id).strip(),
            severity=SEVERITIES.get(level.lower(), Severity.MEDIUM),
            cwe=cwe_number(metadata.get("cwe_id"), metadata.get("cwe")),
            range=Range(start=_position(text, start), end=_position(text, max(start, end))),
            extra={"icd": "semgrep", "cwe_id": metadata.get("cwe_id", ""), "level": level})


def _semgrep_output(stdout: str, returncode: int, tail: str, name: str) -> dict:
    """Semgrep's JSON report on ``name``; :class:`AnalyzerError` unless Semgrep scanned it.

    A rule that this Semgrep cannot parse is skipped by Semgrep (ICD 1.0.1's Java
    ``ssrf_insecure_patterns`` on Semgrep 1.185) and logged here once; the other
    rules' results stand, as they do in ICD. A snippet's syntax error is a warning.
    """
    try:
        document = json.loads(stdout)
    except ValueError:
        if len(stdout) >= OUTPUT_LIMIT:  # run_tool kept the end of it only
            raise AnalyzerError(f"semgrep's report is longer than the {OUTPUT_LIMIT} characters kept") from None
        raise AnalyzerError(f"semgrep failed (exit {returncode}), no JSON report: {tail}") from None
    if not isinstance(document, dict):
        raise AnalyzerError(f"semgrep's report is not a JSON object: {tail}")
    errors = [e for e in document.get("errors") or [] if isinstance(e, dict) and e.get("level") == "error"]
    fatal = [e for e in errors if e.get("type") != "Rule parse error"]
    for error in errors:
        if error.get("type") == "Rule parse error":
            _log_broken_rule(str(error.get("rule_id")), _first_line(error))
    if name not in ((document.get("paths") or {}).get("scanned") or []):
        detail = _first_line(fatal[0]) if fatal else tail or "no error given"
        raise AnalyzerError(f"semgrep scanned nothing (paths.scanned lacks {name}): {detail}")
    if fatal:
        raise AnalyzerError(f"semgrep reported {len(fatal)} error(s): {_first_line(fatal[0])}")
    if returncode != 0 and not errors:  # exit 2 comes with a rule parse error too, handled above
        raise AnalyzerError(f"semgrep failed (exit {returncode}): {tail}")
    return document


def _first_line(error: Mapping[str, Any]) -> str:
    return (str(error.get("message") or error.get("type") or error).strip().splitlines() or [""])[0]


@functools.lru_cache(maxsize=None)
def _log_broken_rule(rule_id: str, message: str) -> None:
    log.warning("ICD Semgrep rule %s skipped by this Semgrep: %s", rule_id, message)


def _code_points(text: str, data: bytes, point: Mapping[str, Any]) -> int:
    """A Semgrep point (UTF-8 byte ``offset``, else 1-based ``line`` and byte ``col``) as an index into ``text``."""
    offset = point.get("offset")
    if not isinstance(offset, int):
        lines = data.split(b"\n")
        line = min(max(int(point.get("line", 1)), 1), len(lines)) - 1
        offset = sum(len(b) + 1 for b in lines[:line]) + max(int(point.get("col", 1)) - 1, 0)
    offset = min(max(offset, 0), len(data))
    if text.isascii():
        return offset
    try:
        return len(data[:offset].decode("utf-8", errors="surrogatepass"))
    except UnicodeDecodeError:  # an offset inside a character
        return len(data[:offset].decode("utf-8", errors="ignore"))
