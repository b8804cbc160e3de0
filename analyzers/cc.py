"""C and C++ checked by GCC and cppcheck: compiler errors, warnings, and analyzer defects.

Four analyzers, named after the tool that speaks, because their costs differ
by an order of magnitude and the registry schedules by cost (``speed``).
Medians on a 50-line file, on the machine this was written on:

* ``gcc``: ``gcc -fsyntax-only -Wall -Wextra`` on C (about 14 ms: fast, a default);
* ``g++``: the same on C++ (about 20 ms, but about 340 ms once the file
  includes ``<iostream>``, ``<string>``, ``<vector>`` and ``<map>``, as
  generated C++ nearly always does: slow, so it runs on save and in
  ``secgen check``);
* ``gcc-analyzer``: ``gcc -c -fanalyzer`` on C (35-51 ms, and GCC's
  analyzer can take far longer on branchy code: slow). It reports only the
  analyzer's ``-Wanalyzer-*`` warnings, so running it next to ``gcc`` gives
  no duplicates. GCC 12's analyzer supports C only; its C++ support came later;
* ``cppcheck``: ``cppcheck --enable=warning,style,portability`` (about 13 ms: fast;
  not a default, because where it is not installed every analysis would
  report it missing, whatever the language).

Each call writes the text, under the source's base name (or ``snippet.c`` /
``snippet.cpp``), into a fresh scratch directory, never the user's tree, and
runs the tool there through :func:`~secgen.analyzers.process.run_tool`. The
language is named with ``-x`` / ``--language``, so a header's name is fine.
Quoted includes are looked up beside the source's own path (``-iquote``)
when it names a directory, and in ``include_dirs``.

GCC (9 and later) writes its diagnostics as JSON with
``-fdiagnostics-format=json`` (GCC 12 has no SARIF output; that came in 13).
Errors become severity ``ERROR`` (rule ``gcc-error``, or the option GCC names);
so do the warnings GCC 14 turned into errors by default (implicit function
declarations, ``int`` conversions of pointers, ...), so a suggestion blocks the
same on any GCC. Warnings that usually mean a real bug are ``MEDIUM`` (with a
CWE where one fits), other warnings ``LOW``. Analyzer warnings are ``HIGH``
(leaks ``MEDIUM``, ``possible-`` ones at medium confidence) and carry the
CWE GCC attaches to them. A missing header stops GCC; it is a ``LOW``
``gcc-missing-include`` finding rather than an error, since the header may
well exist in a build we cannot see. Errors outside the scratch file (in an
included header), or from the driver, are an :class:`AnalyzerError`.

cppcheck's XML (version 2, on stderr) gives its id as the rule
(``nullPointer``, ``memleak``, ...), its ``cwe``, and maps error -> HIGH,
warning -> MEDIUM, style/performance/portability -> LOW, information -> INFO;
ids that describe cppcheck's own trouble (``unknownMacro``,
``internalAstError``, ...) are INFO whatever their severity.

Both tools count columns in bytes, 1-based; a finding's are 0-based code
points, converted with the line's text. Messages are in the C locale, so
they read the same on every machine.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import xml.etree.ElementTree as ElementTree  # nosec B405: reads what cppcheck just wrote about our scratch file
from dataclasses import dataclass
from pathlib import Path

from secgen.analyzers.base import AnalyzerError, Source
from secgen.analyzers.finding import Confidence, Finding, Position, Range, Severity, TextEdit
from secgen.analyzers.process import ToolRun, run_tool
from secgen.analyzers.treesitter import code_point_column

DEFAULT_FILE_NAMES = {"c": "snippet.c", "cpp": "snippet.cpp"}
_LOCALE = {"LC_ALL": "C"}  # English messages with ASCII quotes, whatever the user's locale

# Warnings GCC 14 reports as errors by default ("permerrors"): the code is broken on a current compiler.
GCC_PERMERRORS = frozenset({
    "-Wimplicit-function-declaration", "-Wimplicit-int", "-Wint-conversion", "-Wincompatible-pointer-types",
    "-Wreturn-mismatch", "-Wdeclaration-missing-parameter-type",
})
# Warnings that usually mean a real bug: MEDIUM, so the default policy sends them back for repair.
GCC_LIKELY_BUGS: dict[str, int | None] = {
    "-Wformat=": 686, "-Wformat-security": 134, "-Wformat-overflow=": 787, "-Wformat-truncation=": 170,
    "-Wstringop-overflow=": 787, "-Wstringop-truncation": 170, "-Warray-bounds": 119, "-Wuse-after-free": 416,
    "-Wuninitialized": 457, "-Wmaybe-uninitialized": 457, "-Wreturn-local-addr": 562, "-Wdangling-pointer=": 825,
    "-Wfree-nonheap-object": 590, "-Wreturn-type": None, "-Wsizeof-pointer-memaccess": None,
    "-Waddress": None, "-Wnonnull": 476,
}
_ANALYZER_OPTION = "-Wanalyzer-"
_ERRORS = ("error", "fatal error")  # not "internal compiler error": that one is gcc's, and an AnalyzerError
_PACKAGES = {"gcc": "gcc", "gxx": "g++"}
_IGNORED_MESSAGES = ("#pragma once in main file",)  # a header analyzed on its own


@dataclass(frozen=True, kw_only=True)
class GccSettings:
    """Where the compilers are, what else they are told, and how long they may take."""

    gcc: str = "gcc"  # a name looked up on PATH, or a path
    gxx: str = "g++"
    flags: tuple[str, ...] = ("-Wall", "-Wextra")
    include_dirs: tuple[str, ...] = ()
    search_source_dir: bool = True  # -iquote the directory of Source.path, when it exists
    timeout_s: float = 20.0
    analyzer_timeout_s: float = 60.0
    scratch_root: str | None = None

    def __post_init__(self) -> None:
        if not (self.timeout_s > 0 and self.analyzer_timeout_s > 0):
            raise ValueError("gcc timeouts must be positive")


class GccAnalyzer:
    """``gcc -fsyntax-only`` on C: errors and warnings, in about 14 ms."""

    name = "gcc"
    languages = frozenset({"c"})
    speed = "fast"
    external = True  # the work is a process's, bounded by run_tool: no analyzer worker needed
    _setting = "gcc"  # the GccSettings field naming the driver, and its Debian package

    def __init__(self, settings: GccSettings | None = None) -> None:
        self.settings = settings or GccSettings()

    @property
    def driver(self) -> str:
        return getattr(self.settings, self._setting)

    def available(self) -> str | None:
        if shutil.which(self.driver) is None:
            return _not_found(self._setting, self.driver, _PACKAGES[self._setting])
        return None

    def mode_flags(self) -> tuple[str, ...]:
        return ("-fsyntax-only",)

    def keep(self, diagnostic: dict) -> bool:
        return not str(diagnostic.get("option", "")).startswith(_ANALYZER_OPTION)

    def analyze(self, source: Source) -> list[Finding]:
        if source.language not in self.languages:
            raise AnalyzerError(f"{self.name} does not check {source.language!r}")
        name = _file_name(source)
        includes = [arg for d in self.settings.include_dirs for arg in ("-I", os.path.abspath(d))]  # gcc runs elsewhere
        source_dir = _source_dir(source) if self.settings.search_source_dir else None
        if source_dir:
            includes += ["-iquote", source_dir]
        x = "c++" if source.language == "cpp" else "c"
        timeout_s = self.settings.analyzer_timeout_s if self.speed == "slow" else self.settings.timeout_s
        with tempfile.TemporaryDirectory(prefix="secgen-gcc-", dir=self.settings.scratch_root) as scratch:
            (Path(scratch) / name).write_text(source.text, encoding="utf-8", errors="surrogatepass", newline="")
            argv = [self.driver, "-x", x, *self.mode_flags(), *self.settings.flags, *includes,
                    "-fdiagnostics-format=json", "./" + name]
            run = run_tool(argv, cwd=scratch, timeout_s=timeout_s, env=_LOCALE)
        return self.findings(run, name, source.text)

    def findings(self, run: ToolRun, name: str, text: str) -> list[Finding]:
        """The run's diagnostics on the scratch file ``name`` as findings; raise when it failed elsewhere."""
        diagnostics = _gcc_json(run)
        ours = [d for d in diagnostics if _names_file(_primary_point(d).get("file"), name)]
        if run.returncode != 0 and not any(d.get("kind") in _ERRORS for d in ours):
            elsewhere = next((d for d in diagnostics if d.get("kind") not in ("warning", "note")), None)
            where = f"{_primary_point(elsewhere).get('file', '?')}:{_primary_point(elsewhere).get('line', '?')}: " if elsewhere else ""
            detail = f"{where}{elsewhere.get('message')}" if elsewhere else run.tail()
            raise AnalyzerError(f"{Path(self.driver).name} failed (exit {run.returncode}): {detail}")
        lines = text.split("\n")
        found = [self._finding(d, lines) for d in ours if self._reportable(d)]
        return sorted(found, key=lambda f: (f.range.start, f.rule_id))

    def _reportable(self, diagnostic: dict) -> bool:
        kind = str(diagnostic.get("kind"))
        message = str(diagnostic.get("message", ""))
        return (kind in (*_ERRORS, "warning") and self.keep(diagnostic)
                and not message.startswith(_IGNORED_MESSAGES))

    def _finding(self, diagnostic: dict, lines: list[str]) -> Finding:
        kind = str(diagnostic.get("kind"))
        option = str(diagnostic.get("option") or "")
        message = str(diagnostic.get("message", "")).strip()
        cwe = (diagnostic.get("metadata") or {}).get("cwe")
        confidence = Confidence.HIGH
        if kind == "fatal error" and message.endswith("No such file or directory"):
            rule, severity = "gcc-missing-include", Severity.LOW
            message += " (gcc stops at a missing header: the rest was not compiled; add its directory to include_dirs)"
        elif kind in _ERRORS or option in GCC_PERMERRORS:
            rule, severity = option or "gcc-error", Severity.ERROR
        elif option.startswith(_ANALYZER_OPTION):
            rule = option
            severity = Severity.INFO if option == "-Wanalyzer-too-complex" else \
                Severity.MEDIUM if option.endswith("-leak") else Severity.HIGH
            confidence = Confidence.MEDIUM if option.startswith("-Wanalyzer-possible-") else Confidence.HIGH
        elif option in GCC_LIKELY_BUGS:
            rule, severity = option, Severity.MEDIUM
            cwe = cwe or GCC_LIKELY_BUGS[option]
        else:
            rule, severity = option or "gcc-warning", Severity.LOW
        notes = [str(c.get("message", "")).strip() for c in diagnostic.get("children") or [] if c.get("message")]
        if notes:
            message += "".join(f"; note: {note}" for note in notes[:2])
        extra: dict = {"kind": kind}
        if diagnostic.get("option_url"):
            extra["more_info"] = diagnostic["option_url"]
        if diagnostic.get("path"):  # the analyzer's execution path: (0-based line, what happens there)
            extra["path"] = [(_gcc_position(lines, e.get("location") or {}).line, str(e.get("description", "")))
                             for e in diagnostic["path"] if isinstance(e, dict)]
        return Finding(analyzer=self.name, rule_id=rule, message=message, severity=severity, confidence=confidence,
                       cwe=int(cwe) if isinstance(cwe, int) and cwe > 0 else None,
                       range=_gcc_range(_primary_location(diagnostic), lines), fix=_gcc_fix(diagnostic, lines),
                       extra=extra)


class GxxAnalyzer(GccAnalyzer):
    """``g++ -fsyntax-only`` on C++: slow once the standard library's headers come in."""

    name = "g++"
    languages = frozenset({"cpp"})
    speed = "slow"
    _setting = "gxx"


class GccStaticAnalyzer(GccAnalyzer):
    """``gcc -c -fanalyzer`` on C, keeping only the analyzer's path-sensitive warnings."""

    name = "gcc-analyzer"
    languages = frozenset({"c"})
    speed = "slow"

    def __init__(self, settings: GccSettings | None = None) -> None:
        super().__init__(settings)
        self._support: str | None = None  # "" when -fanalyzer is accepted, else the reason

    def available(self) -> str | None:
        missing = super().available()
        if missing:
            return missing
        if self._support is None:
            try:
                probe = run_tool([self.driver, "-fanalyzer", "-fsyntax-only", "-x", "c", "-"], stdin="",
                                 timeout_s=self.settings.timeout_s, env=_LOCALE)
                self._support = "" if probe.returncode == 0 else \
                    f"{self.driver} does not accept -fanalyzer (GCC 10 or later has it): {probe.tail(120)}"
            except AnalyzerError as exc:
                self._support = str(exc)
        return self._support or None

    def mode_flags(self) -> tuple[str, ...]:
        return ("-c", "-o", os.devnull, "-fanalyzer")

    def keep(self, diagnostic: dict) -> bool:
        return str(diagnostic.get("option", "")).startswith(_ANALYZER_OPTION)


def _gcc_json(run: ToolRun) -> list[dict]:
    """GCC's diagnostics: the JSON arrays among its stderr lines ("compilation terminated." is plain text)."""
    diagnostics: list[dict] = []
    for line in run.stderr.splitlines():
        if line.startswith("["):
            try:
                diagnostics += [d for d in json.loads(line) if isinstance(d, dict)]
            except ValueError:
                raise AnalyzerError(f"gcc's JSON diagnostics did not parse: {line[:120]}") from None
    return diagnostics


def _primary_location(diagnostic: dict) -> dict:
    locations = [loc for loc in diagnostic.get("locations") or [] if isinstance(loc, dict)]
    return locations[0] if locations else {}


def _primary_point(diagnostic: dict | None) -> dict:
    location = _primary_location(diagnostic or {})
    return location.get("caret") or location.get("start") or {}


def _gcc_position(lines: list[str], point: dict, *, after: bool = False) -> Position:
    """A GCC point (1-based line, 1-based byte column) as a 0-based code-point position; ``after`` its next char."""
    row = min(max(int(point.get("line", 1)) - 1, 0), len(lines) - 1)
    text = lines[row].rstrip("\r")
    column = code_point_column(text, max(int(point.get("byte-column", point.get("column", 1))) - 1, 0)) + after
    return Position(line=row, column=min(column, len(text)))


def _gcc_range(location: dict, lines: list[str]) -> Range:
    start = _gcc_position(lines, location.get("start") or location.get("caret") or {})
    if location.get("finish"):  # inclusive: the range ends after the finish's character
        end = _gcc_position(lines, location["finish"], after=True)
    else:
        end = _gcc_position(lines, location.get("caret") or {}, after=True)
    return Range(start=start, end=max(start, end))


def _gcc_fix(diagnostic: dict, lines: list[str]) -> TextEdit | None:
    """GCC's fix-it hint, when it is a single edit (``next`` is exclusive)."""
    fixits = diagnostic.get("fixits") or []
    if len(fixits) != 1 or not fixits[0].get("start") or not fixits[0].get("next"):
        return None
    start, end = _gcc_position(lines, fixits[0]["start"]), _gcc_position(lines, fixits[0]["next"])
    return TextEdit(range=Range(start=start, end=max(start, end)), new_text=str(fixits[0].get("string", "")))


# cppcheck -----------------------------------------------------------------------------------------------

CPPCHECK_SEVERITIES = {"error": Severity.HIGH, "warning": Severity.MEDIUM, "style": Severity.LOW,
                       "performance": Severity.LOW, "portability": Severity.LOW, "information": Severity.INFO}
# Ids about cppcheck's own trouble with the file, not defects in it.
CPPCHECK_TOOL_NOTES = frozenset({
    "missingInclude", "missingIncludeSystem", "checkersReport", "toomanyconfigs", "unmatchedSuppression",
    "unknownMacro", "internalAstError", "internalError", "cppcheckError", "noValidConfiguration",
    "normalCheckLevelMaxBranches",
})


@dataclass(frozen=True, kw_only=True)
class CppcheckSettings:
    cppcheck: str = "cppcheck"  # a name looked up on PATH, or a path
    enable: tuple[str, ...] = ("warning", "style", "portability")
    flags: tuple[str, ...] = ()  # more options: -I, -D, --std, --suppress, ...
    timeout_s: float = 30.0
    scratch_root: str | None = None

    def __post_init__(self) -> None:
        if not self.timeout_s > 0:
            raise ValueError("cppcheck timeout_s must be positive")


class CppcheckAnalyzer:
    name = "cppcheck"
    languages = frozenset({"c", "cpp"})
    speed = "fast"
    external = True  # the work is a process's, bounded by run_tool: no analyzer worker needed

    def __init__(self, settings: CppcheckSettings | None = None) -> None:
        self.settings = settings or CppcheckSettings()

    def available(self) -> str | None:
        if shutil.which(self.settings.cppcheck) is None:
            return _not_found("cppcheck", self.settings.cppcheck, "cppcheck")
        return None

    def analyze(self, source: Source) -> list[Finding]:
        if source.language not in self.languages:
            raise AnalyzerError(f"cppcheck does not check {source.language!r}")
        name = _file_name(source)
        language = "c++" if source.language == "cpp" else "c"
        argv = [self.settings.cppcheck, f"--enable={','.join(self.settings.enable)}", "--inline-suppr", "--xml",
                "--xml-version=2", "--quiet", f"--language={language}", *self.settings.flags, "./" + name]
        with tempfile.TemporaryDirectory(prefix="secgen-cppcheck-", dir=self.settings.scratch_root) as scratch:
            (Path(scratch) / name).write_text(source.text, encoding="utf-8", errors="surrogatepass", newline="")
            run = run_tool(argv, cwd=scratch, timeout_s=self.settings.timeout_s, env=_LOCALE)
        if run.returncode != 0:
            raise AnalyzerError(f"cppcheck failed (exit {run.returncode}): {run.tail()}")
        return self.findings(run.stderr, name, source.text)

    def findings(self, xml: str, name: str, text: str) -> list[Finding]:
        start = xml.find("<?xml")
        if start < 0:
            raise AnalyzerError(f"cppcheck wrote no XML results: {xml.strip()[-200:]}")
        try:
            root = ElementTree.fromstring(xml[start:])  # nosec B314: cppcheck's own output, see the import
        except ElementTree.ParseError as exc:
            raise AnalyzerError(f"cppcheck's XML results did not parse: {exc}") from None
        lines = text.split("\n")
        found = []
        for error in root.iter("error"):
            locations = [loc.attrib for loc in error.iter("location") if _names_file(loc.get("file"), name)]
            if locations:
                found.append(self._finding(error.attrib, locations, lines))
        return sorted(found, key=lambda f: (f.range.start, f.rule_id))

    def _finding(self, attrs: dict, locations: list[dict], lines: list[str]) -> Finding:
        rule = attrs.get("id", "cppcheck")
        severity = Severity.INFO if rule in CPPCHECK_TOOL_NOTES else \
            CPPCHECK_SEVERITIES.get(attrs.get("severity", ""), Severity.LOW)
        cwe = _int(attrs.get("cwe"))
        extra = {"severity": attrs.get("severity")}
        if attrs.get("verbose") and attrs.get("verbose") != attrs.get("msg"):
            extra["verbose"] = attrs["verbose"]
        if len(locations) > 1:
            extra["related"] = [(max(_int(loc.get("line")) - 1, 0), loc.get("info", "")) for loc in locations[1:]]
        return Finding(analyzer=self.name, rule_id=rule, message=(attrs.get("msg") or rule).strip(),
                       severity=severity, confidence=Confidence.LOW if attrs.get("inconclusive") == "true" else Confidence.HIGH,
                       cwe=cwe or None, range=_token_range(lines, _int(locations[0].get("line")), _int(locations[0].get("column"))),
                       extra=extra)


def _token_range(lines: list[str], line: int, byte_column: int) -> Range:
    """cppcheck names one point (1-based line and byte column; 0 when unknown): the range covers its token."""
    row = min(max(line - 1, 0), len(lines) - 1)
    text = lines[row].rstrip("\r")
    start = min(code_point_column(text, max(byte_column - 1, 0)), len(text))
    end = start
    while end < len(text) and (text[end].isalnum() or text[end] == "_"):
        end += 1
    return Range(start=Position(line=row, column=start), end=Position(line=row, column=max(end, min(start + 1, len(text)))))


# shared -------------------------------------------------------------------------------------------------

def _not_found(setting: str, value: str, package: str) -> str:
    if os.sep in value or (os.altsep and os.altsep in value):
        return f"{setting} not found at {value} (set the {setting} path setting)"
    return f"{value} is not installed: apt-get install {package}"


def _file_name(source: Source) -> str:
    name = os.path.basename((source.path or "").replace("\\", "/"))
    return DEFAULT_FILE_NAMES[source.language] if name in ("", ".", "..") else name


def _source_dir(source: Source) -> str | None:
    if not source.path:
        return None
    directory = Path(source.path).expanduser().absolute().parent
    return str(directory) if directory.is_dir() else None


def _names_file(path: str | None, name: str) -> bool:
    """Whether a tool's file name is the scratch file (passed as ``./name``; cppcheck may drop the ``./``)."""
    return path in (name, "./" + name)


def _int(text: str | None) -> int:
    try:
        return int(text) if text is not None else 0
    except ValueError:
        return 0

