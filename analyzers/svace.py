"""Svace (ISP RAS) as an analyzer: its documented command line, run in a scratch project.

Svace is a whole-program analyzer: it watches a build, then analyzes what the
build produced. That takes seconds to minutes, so this analyzer declares
``speed = "slow"`` and callers run it on save or in benchmarks, never per
keystroke. Each call lays the file out, under its own base name, in a fresh
temporary project directory (never the user's tree), runs the steps below
there with :func:`~secgen.analyzers.process.run_tool` (each bounded by its
own timeout, the process group killed when it hangs), reads the warnings and
removes the directory, whatever happened.

The steps, as argv templates in :class:`SvaceSettings` (``{svace}``,
``{svacer}``, ``{project}``, ``{file}``, ``{sarif}`` are filled in; the
extra flags go right after the subcommand, because Svacer's command line
takes options before arguments)::

    svace init                      # in the scratch project: creates .svace-dir
    svace build --python .          # Python: no compiler, the sources are read
    svace analyze
    svacer sarif -o OUT.sarif --svace /path/to/svace PROJECT   # results = "sarif"

With ``results = "native"`` the last step is skipped and Svace's own results
file (``.svace-dir/analyze-res/*.svres``) is read instead.

What the vendor documents, and where (read for this module):

* ISP RAS, "О Svace" (https://svace.pages.ispras.ru/svace-website/ru/about):
  run ``svace build`` with the program's build command as its arguments, Svace
  runs and watches the build; then ``svace analyze``; the warnings can be
  imported into the history server.
* ISP RAS, Svace blog "Анализ Python" (2023-07-06,
  https://svace.pages.ispras.ru/svace-website/2023/07/06/python-analysis.html):
  Svace analyzes C, C++, C#, Java, Kotlin and Go, and adds Python; Python
  needs no compilation, so its build step does not intercept a compiler.
* Svacer Wiki, "Help:Sarif" (https://svacer.ispras.ru/mediawiki/index.php?title=Help:Sarif),
  in its earlier revisions: ``svacer sarif -o <result file> --svace <path to
  svace> [path to project or .svace-dir]`` generates SARIF from Svace's
  results (``-o -`` writes to stdout; ``--svace-dir`` reads the path as a
  .svace-dir; ``--include-contents``); severities map Critical -> error,
  Major -> warning, Minor -> note, Normal -> none; the severities come from a
  Svacer server, so its connection options (``--host``, ``--user``,
  ``--password``, ...) are needed: pass them in ``svacer_flags``. Its later
  revisions (Svacer 8.0.0 on; latest seen June 2025) recommend ``svacer
  sarif2 export --host ... --project ... --out FILE`` over the old ``sarif``
  command, exporting from the server after ``svacer import --svace <path>``
  and ``svacer upload`` ("Help:Import from Svace"). That flow is a server
  round trip; reach it by changing ``sarif_command`` and ``svacer_flags``
  (an argv template runs one command, so the import and upload would need a
  wrapper script), or use ``results = "native"``.
* Svacer Wiki, "Help:ServerClient": command options precede the arguments.

What was not found in vendor documentation, and is therefore an assumption
kept in settings:

* The exact Python build form. ``svace build --python .`` is what CodeScoring's
  Svace integration guide shows ("Анализ достижимости уязвимостей",
  https://docs.codescoring.ru/agent/reachability/), next to ``svace init``,
  ``svace build mvn clean package``, ``svace build go build -a main.go`` and
  ``svace analyze``; the vendor's Python post above ends before naming the
  option. The other languages' defaults (``gcc -c``, ``javac``, ...) follow
  the generic ``svace build <build command>`` form.
* The ``.svres`` layout. Scripts that drive Svace 3.4 and 4.0 read
  ``.svace-dir/analyze-res/*.svres`` as XML and take ``WarnInfo`` elements'
  ``line`` and ``msg`` attributes; the names of the warning-type, file,
  column and severity attributes used below (``warnClass``, ``file``,
  ``col``, ``severity``, with alternatives) are guesses, and a warning
  without a severity is read as Major (SARIF's default level, "warning").

Svace cannot be installed here; the tests drive a stand-in executable that
follows this command line and emits hand-made results
(``tests/analyzers/standin/``, ``tests/analyzers/data/svace/``).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import xml.etree.ElementTree as ElementTree  # nosec B405: reads the file svace just wrote in our scratch dir
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Mapping, Sequence

from secgen.analyzers.base import AnalyzerError, Source
from secgen.analyzers.finding import Finding, Position, Range, Severity
from secgen.analyzers.process import ToolRun, run_tool
from secgen.analyzers.sarif import read_sarif

# Svace's severities, as Svacer's SARIF export ranks them (Help:Sarif), and the
# severities read_sarif gives those levels: native and SARIF results agree.
SVACE_LEVELS = {"critical": "error", "major": "warning", "minor": "note", "normal": "none"}
SVACE_SEVERITIES = {"critical": Severity.HIGH, "major": Severity.MEDIUM, "minor": Severity.LOW,
                    "normal": Severity.INFO}

# What follows `svace build` for one file in the scratch project, per language.
BUILD_TARGETS: dict[str, tuple[str, ...]] = {
    "python": ("--python", "."),
    "c": ("gcc", "-c", "{file}"),
    "cpp": ("g++", "-c", "{file}"),
    "java": ("javac", "{file}"),
    "go": ("go", "build", "{file}"),
    "kotlin": ("kotlinc", "{file}"),
}
DEFAULT_FILE_NAMES = {"python": "snippet.py", "c": "snippet.c", "cpp": "snippet.cpp", "java": "Snippet.java",
                      "go": "snippet.go", "kotlin": "snippet.kt", "csharp": "Snippet.cs"}


@dataclass(frozen=True, kw_only=True)
class SvaceSettings:
    """Where Svace is, how each step is called, and how long each may take."""

    svace: str = "svace"  # a name looked up on PATH, or a path
    svacer: str = "svacer"
    results: Literal["sarif", "native"] = "sarif"
    init_command: tuple[str, ...] = ("{svace}", "init")
    build_command: tuple[str, ...] = ("{svace}", "build")
    build_targets: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: dict(BUILD_TARGETS))
    analyze_command: tuple[str, ...] = ("{svace}", "analyze")
    sarif_command: tuple[str, ...] = ("{svacer}", "sarif", "-o", "{sarif}", "--svace", "{svace}")
    init_flags: tuple[str, ...] = ()
    build_flags: tuple[str, ...] = ()
    analyze_flags: tuple[str, ...] = ()
    svacer_flags: tuple[str, ...] = ()  # e.g. Svacer server options: --host, --user, --password
    native_results: str = ".svace-dir/analyze-res/*.svres"  # a glob in the scratch project
    init_timeout_s: float = 60.0
    build_timeout_s: float = 300.0
    analyze_timeout_s: float = 900.0
    sarif_timeout_s: float = 120.0
    env: Mapping[str, str] = field(default_factory=dict)  # added to the environment (licence settings, ...)
    scratch_root: str | None = None  # where scratch projects are made; None: the system temp dir

    def __post_init__(self) -> None:
        if self.results not in ("sarif", "native"):
            raise ValueError(f"svace results must be 'sarif' or 'native', not {self.results!r}")
        for name in ("init_timeout_s", "build_timeout_s", "analyze_timeout_s", "sarif_timeout_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"svace {name} must be positive")


class SvaceAnalyzer:
    name = "svace"
    speed = "slow"

    def __init__(self, settings: SvaceSettings | None = None) -> None:
        self.settings = settings or SvaceSettings()
        self.languages = frozenset(self.settings.build_targets)

    def available(self) -> str | None:
        if shutil.which(self.settings.svace) is None:
            return _not_found("svace", self.settings.svace)
        if self.settings.results == "sarif" and shutil.which(self.settings.svacer) is None:
            return _not_found("svacer", self.settings.svacer) + "; or set results to native"
        return None

    def analyze(self, source: Source) -> list[Finding]:
        settings = self.settings
        targets = settings.build_targets.get(source.language)
        if targets is None:
            raise AnalyzerError(f"no svace build command for {source.language!r}; add one to build_targets")
        name = _file_name(source)
        with tempfile.TemporaryDirectory(prefix="secgen-svace-", dir=settings.scratch_root) as scratch:
            project = Path(scratch) / "project"
            project.mkdir()
            (project / name).write_text(source.text, encoding="utf-8", errors="surrogatepass", newline="")
            sarif = Path(scratch) / "svace.sarif"
            values = {"svace": shutil.which(settings.svace) or settings.svace,
                      "svacer": shutil.which(settings.svacer) or settings.svacer,
                      "project": str(project), "file": name, "sarif": str(sarif)}
            steps = [
                ("svace init", (*settings.init_command, *settings.init_flags), settings.init_timeout_s),
                ("svace build", (*settings.build_command, *settings.build_flags, *targets), settings.build_timeout_s),
                ("svace analyze", (*settings.analyze_command, *settings.analyze_flags), settings.analyze_timeout_s),
            ]
            if settings.results == "sarif":
                steps.append(("svacer sarif", (*settings.sarif_command, *settings.svacer_flags, "{project}"),
                              settings.sarif_timeout_s))
            run = None
            for step, template, timeout_s in steps:
                run = self._run(step, _expand(template, values), project, timeout_s)
            if settings.results == "sarif":
                return self._read_sarif(sarif, name, run)
            return self._read_native(project, name, source.text)

    def _run(self, step: str, argv: list[str], cwd: Path, timeout_s: float) -> ToolRun:
        try:
            run = run_tool(argv, cwd=cwd, timeout_s=timeout_s, env=dict(self.settings.env) or None)
        except AnalyzerError as exc:
            raise AnalyzerError(f"{step}: {exc}") from None
        if run.returncode != 0:
            raise AnalyzerError(f"{step} failed (exit {run.returncode}): {run.tail()}")
        return run

    def _read_sarif(self, path: Path, name: str, run: ToolRun | None) -> list[Finding]:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise AnalyzerError(f"svacer sarif wrote no {path.name}: {run.tail() if run else ''}") from None
        except (OSError, ValueError) as exc:
            raise AnalyzerError(f"svacer sarif output is not JSON: {exc}") from None
        try:
            return read_sarif(document, analyzer=self.name, path_suffix=name)
        except ValueError as exc:
            raise AnalyzerError(f"svacer sarif output: {exc}") from None

    def _read_native(self, project: Path, name: str, text: str) -> list[Finding]:
        paths = sorted(project.glob(self.settings.native_results))
        if not paths:
            raise AnalyzerError(f"svace analyze left no results matching {self.settings.native_results}")
        lines = text.splitlines()
        findings = []
        for path in paths:
            try:
                root = ElementTree.parse(path).getroot()  # nosec B314: svace's own output, see the import
            except ElementTree.ParseError as exc:
                raise AnalyzerError(f"svace results {path.name} are not XML: {exc}") from None
            for warning in root.iter("WarnInfo"):
                finding = self._native_finding(warning.attrib, name, lines)
                if finding is not None:
                    findings.append(finding)
        return sorted(findings, key=lambda f: (f.range.start, f.rule_id))

    def _native_finding(self, attrs: Mapping[str, str], name: str, lines: Sequence[str]) -> Finding | None:
        file = _first(attrs, "file", "filename", "path")
        if file is not None and not _names_file(file, name):
            return None
        rule = _first(attrs, "warnClass", "type", "checker", "kind") or "unknown"
        svace_severity = (_first(attrs, "severity") or "major").lower()
        line = max(_int(attrs.get("line"), 1) - 1, 0)
        column = max(_int(_first(attrs, "col", "column"), 1) - 1, 0)
        end_column = len(lines[line]) if line < len(lines) else column
        return Finding(
            analyzer=self.name,
            rule_id=rule,
            message=(_first(attrs, "msg", "message") or rule).strip(),
            severity=SVACE_SEVERITIES.get(svace_severity, Severity.MEDIUM),
            range=Range(start=Position(line=line, column=column),
                        end=Position(line=line, column=max(end_column, column))),
            extra={"file": file, "level": SVACE_LEVELS.get(svace_severity, "warning")},
        )


def _not_found(tool: str, setting: str) -> str:
    if os.sep in setting or (os.altsep and os.altsep in setting):
        return f"{tool} not found at {setting} (set the {tool} path setting)"
    return f"{tool} is not installed (not on PATH; set the {tool} path setting)"


def _file_name(source: Source) -> str:
    name = os.path.basename((source.path or "").replace("\\", "/"))
    if name in ("", ".", ".."):
        return DEFAULT_FILE_NAMES.get(source.language, "snippet.txt")
    return name


def _expand(template: Sequence[str], values: Mapping[str, str]) -> list[str]:
    """Fill ``{name}`` placeholders; any other brace (a flag's JSON, say) is left alone."""
    argv = []
    for arg in template:
        for key, value in values.items():
            arg = arg.replace("{" + key + "}", value)
        argv.append(arg)
    return argv


def _first(attrs: Mapping[str, str], *names: str) -> str | None:
    for name in names:
        if attrs.get(name):
            return attrs[name]
    return None


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default


def _names_file(path: str, name: str) -> bool:
    path = path.replace("\\", "/")
    return path == name or path.endswith("/" + name)
