"""The docs' benchmark tables, recomputed from the run files they cite: ``secgen bench verify-docs``.

A table of benchmark figures in README.md or docs/*.md sits between two markers::

    <!-- table: humaneval docs/results/runs/humaneval-0.5b-tiers docs/results/runs/humaneval-1.5b-default -->
    | run | model | CPU | commit | tasks | pass@1 before | ... |
    |---|---|...
    | ... |
    <!-- end table -->

The first marker names a *view* (what the table shows, :data:`VIEWS`) and the run folders it shows,
relative to the repository root. A run folder is what a benchmark writes: ``results.jsonl`` (a header
and one record per task) and, once the run finished, ``summary.json`` (the machine, the command, the
wall time). The check reads each run's records, recomputes the figures with the benchmark's own
``summarize``, renders the table and compares it with the document's, cell by cell, so a figure
that its data no longer gives cannot stay in the docs. ``--write`` rewrites the tables instead
(after a rerun); nothing else in a document is touched.

A figure in a sentence is checked the same way when a marker follows it::

    the loop cuts the vulnerable rate to **9.9%**<!-- figure: cyberseceval docs/results/runs/x | vulnerable after -->

The marker names a view, its runs, and a cell: a column of the view's only row, or ``ROW: COLUMN``
for the row whose first cell is ROW (a tier, a latency case, ``median``). The text just before the
marker (bold and code marks aside) must end with that cell's value. ``--write`` never rewrites
prose: a sentence whose figure changed is reported, for a person to rewrite.

Views (one row per run unless said):

* ``humaneval``: pass@1 and EFR before and after, and the paper's Table 2 counts;
* ``cyberseceval``: vulnerable % (the Insecure Code Detector) and BLEU before and after;
* ``cyberseceval-categories``: the Insecure Code Detector's rules over the runs named: how many answers
  each flagged at the first answer and after the loop, then all vulnerable answers;
* ``sallm``: func@1, sec@1, func-sec@1 before and after;
* ``tiers``: one row per repair tier, over all the runs named: findings removed, tasks made clean,
  attempts, attempts the guard refused, time p50 / p95 (:mod:`secgen.bench.tiers`);
* ``latency``: one ``secgen bench latency`` JSON file (not a folder): a row per completion case (raw
  and secgen seconds, secgen/raw, and with ``--with-repair`` the full loop, its rounds, and the tiers'
  times), then the medians;
* ``analyzers`` and ``analyzers-totals``: one ``secgen bench analyzers`` ``results.json``: recall and false
  alarms per category and analyzer (or only the flow, non-flow and all totals), recounted from its per-file
  records;
* ``fuzz``: one or more protocol-fuzzer JSON files (``python -m tests.fuzz.run --json``), a row each: the
  server (and for secgen the model), the probes, messages, requests answered and not, crashes, hangs,
  probe latency and where the server was lost;
* ``soak``: one or more ``secgen bench soak`` JSON files, a row each: requests answered, cancelled and
  not, memory at the baseline and the end (and its peak), threads and child processes, what was left
  after exit;
* ``latency-tiers``: the same file's three speed figures for the repair tiers: a mechanical fix's p50 and
  p95 (ms), a guided re-decode over a model repair round on the same flagged suggestion (median), and
  secgen over raw generation for the suggestions nothing flagged (median).

Every per-run row names its run (a link), the CPU kind it ran on (``AVX2``, ``AVX-512``,
``AVX-512+AMX``; ``not recorded`` for runs from before the machine's flags were kept; ``unfinished``
added for a run with no ``summary.json``; ``AVX2 + AVX-512`` for a run resumed on another kind) and
the commit(s), so rows from different machines are never mistaken for one comparison.

    secgen bench verify-docs                    # README.md and docs/*.md: exit 1 and one line per mismatch
    secgen bench verify-docs docs/results.md --write
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from secgen.engine.measure import cpu_kind as cpu_kind_of, percent
from secgen.engine.record import LoopResult, RecordError, machines_of, read_results, read_summary

ROOT = Path(__file__).resolve().parents[1]
BEGIN = re.compile(r"^<!-- table: (?P<view>[\w-]+)(?P<runs>(?: \S+)+) -->$")
END = "<!-- end table -->"
FIGURE = re.compile(r"<!-- figure: (?P<view>[\w-]+)(?P<runs>(?: [^|\s]+)+) \| (?:(?P<row>[^:|]+?): )?(?P<column>[^|]+?) -->")
DASH = "–"


class DocsError(ValueError):
    """A marker or a cited run that cannot be read; the message names the file and line."""


@dataclass(frozen=True)
class Run:
    path: str  # as cited, relative to the repository root
    header: Mapping[str, Any]
    results: tuple[LoopResult, ...]
    summary: Mapping[str, Any] | None  # summary.json's (first) summary; None for an unfinished run
    sessions: tuple[Mapping[str, Any], ...] = ()  # each start or resumption (results.jsonl's session lines)

    @property
    def machines(self) -> list[dict]:
        """Where the run ran: each session's machine, and the finished run's."""
        return machines_of(self.sessions, self.summary)


def load_json(root: Path, cited: str) -> dict:
    try:
        data = json.loads((root / cited).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DocsError(f"{cited}: {exc}") from None
    if not isinstance(data, dict):
        raise DocsError(f"{cited}: not a JSON object")
    return data


def load_run(root: Path, cited: str) -> Run:
    folder = root / cited
    results = folder / "results.jsonl"
    if not results.is_file():
        raise DocsError(f"{cited}: no results.jsonl")
    try:
        run = read_results(results)
    except RecordError as exc:
        raise DocsError(f"{cited}: {exc}") from None
    return Run(path=cited, header=run.header, results=run.results, summary=read_summary(results),
               sessions=run.sessions)


# ---- cells


def num(value: float | None, fmt: str = ".1f") -> str:
    return DASH if value is None else format(value, fmt)


def _each(values: list[str]) -> str:
    """One value, or every distinct one joined with " + " (a run resumed on another machine or commit)."""
    return " + ".join(dict.fromkeys(values)) if values else DASH


def cpu_kind(run: Run) -> str:
    kinds = _each([cpu_kind_of(m.get("cpu_flags")) for m in run.machines])
    return kinds if run.summary is not None else f"{kinds if run.machines else 'not recorded'}, unfinished"


def commit(run: Run) -> str:
    found = [str(m["secgen_commit"]) for m in run.machines if m.get("secgen_commit")]
    return " + ".join(f"`{c}`" for c in dict.fromkeys(found)) if found else DASH


def model(run: Run) -> str:
    name = str((run.summary or {}).get("model") or run.header.get("model") or DASH)
    return name.split(":", 1)[-1].removesuffix(".gguf")


def link(run: Run, document: Path, root: Path) -> str:
    target = os.path.relpath(root / run.path, document.parent).replace(os.sep, "/")
    return f"[{Path(run.path).name}]({target}/)"


def _run_cells(run: Run, document: Path, root: Path) -> list[str]:
    return [link(run, document, root), model(run), cpu_kind(run), commit(run)]


RUN_COLUMNS = ["run", "model", "CPU", "commit"]


# ---- views: (header, rows) from the runs


def humaneval_view(runs: Sequence[Run], document: Path, root: Path) -> tuple[list[str], list[list[str]]]:
    from secgen.bench.humaneval import summarize

    rows = []
    for run in runs:
        s = summarize(run.results)
        rows.append(_run_cells(run, document, root) + [
            str(len(run.results)), percent(s["pass@1"]["before"]), percent(s["pass@1"]["after"]), percent(s["efr"]["before"]),
            percent(s["efr"]["after"]), str(s["table2"]["first_attempt"]), str(s["table2"]["after_patch"]),
            str(s["table2"]["not_error_free"])])
    return RUN_COLUMNS + ["tasks", "pass@1 before", "pass@1 after", "EFR before", "EFR after", "first attempt",
                          "after patch", "not error-free"], rows


def cyberseceval_view(runs: Sequence[Run], document: Path, root: Path) -> tuple[list[str], list[list[str]]]:
    from secgen.bench.cyberseceval import summarize

    rows = []
    for run in runs:
        total = summarize(run.results, "")["total"]
        rows.append(_run_cells(run, document, root) + [
            str(total["n"]), percent(total["vulnerable"]["before"]), percent(total["vulnerable"]["after"]),
            num(total["bleu"]["before"]), num(total["bleu"]["after"])])
    return RUN_COLUMNS + ["prompts", "vulnerable before", "vulnerable after", "BLEU before", "BLEU after"], rows


def categories_view(runs: Sequence[Run], document: Path, root: Path) -> tuple[list[str], list[list[str]]]:
    from collections import Counter

    before: Counter = Counter()
    after: Counter = Counter()
    cwes: dict[str, str] = {}
    records = [r for run in runs for r in run.results]
    for record in records:
        for counter, attempt in ((before, record.first), (after, record.answer)):
            rules = {(i.get("rule_id"), i.get("cwe")) for i in attempt.scores.get("icd") or [] if isinstance(i, dict)}
            for rule, cwe in rules:
                counter[rule] += 1
                cwes.setdefault(rule, f"CWE-{cwe}" if cwe else DASH)
    rows = [[rule, cwes[rule], str(before[rule]), str(after[rule])]
            for rule in sorted(cwes, key=lambda r: (-before[r], -after[r], str(r)))]
    vulnerable = [sum(bool(getattr(r, when).scores.get("vulnerable")) for r in records) for when in ("first", "answer")]
    rows.append(["all vulnerable answers", DASH, *map(str, vulnerable)])
    return ["rule", "CWE", "answers flagged before", "answers flagged after"], rows


def sallm_view(runs: Sequence[Run], document: Path, root: Path) -> tuple[list[str], list[list[str]]]:
    from secgen.bench.sallm import RATES, summarize

    rows = []
    for run in runs:
        s = summarize(run.results, {})
        not_run = ((run.summary or {}).get("sallm") or {}).get("not_run")
        cells = [str(len(run.results)), DASH if not_run is None else str(len(not_run))]
        for label, _ in RATES:
            cells += [percent(s[label]["before"]), percent(s[label]["after"])]
        rows.append(_run_cells(run, document, root) + cells)
    rates = [f"{label} {when}" for label, _ in RATES for when in ("before", "after")]
    return RUN_COLUMNS + ["tasks run", "not run here"] + rates, rows


def tiers_view(runs: Sequence[Run], document: Path, root: Path) -> tuple[list[str], list[list[str]]]:
    from secgen.bench.tiers import summarize

    s = summarize([r for run in runs for r in run.results])
    rows = [[tier, str(t["findings_removed"]), str(t["made_clean"]), str(t["attempts"]), str(t["refused_by_guard"]),
             f"{num(t['seconds_p50'], '.3f')} s / {num(t['seconds_p95'], '.3f')} s"] for tier, t in s["tiers"].items()]
    return ["tier", "findings removed", "tasks made clean", "attempts", "refused by the guard", "time p50 / p95"], rows


def latency_view(reports: Sequence[dict], document: Path, root: Path) -> tuple[list[str], list[list[str]]]:
    [report] = reports
    repair = bool(report.get("settings", {}).get("with_repair"))

    def seconds(values: Sequence[float]) -> str:
        return num(statistics.median(values), ".3f") if values else DASH

    header = ["case", "raw s", "secgen s", "secgen/raw"]
    header += ["full loop s", "rounds", "mechanical fixes ms (p50)", "guided s", "repair round s"] if repair else []
    rows = []
    for case in report["cases"]:
        row = [case["name"], num(case["raw_median_s"], ".3f"), num(case["secgen_median_s"], ".3f"),
               num(case["secgen_vs_raw"], ".2f")]
        if repair:
            fixes = [1000 * v for v in case.get("fix_s", [])]
            row += [num(case["repair_median_s"], ".3f"), num(case["repair_rounds"], "d"),
                    num(statistics.median(fixes), ".1f") if fixes else DASH,
                    seconds(case.get("guided_s", [])), seconds(case.get("repair_round_s", []))]
        rows.append(row)
    s = report["summary"]
    medians = ["median", num(s["raw_median_s"], ".3f"), num(s["secgen_median_s"], ".3f"), num(s["secgen_vs_raw"], ".2f")]
    if repair:
        medians += [num(s["repair_median_s"], ".3f"), "", num(s.get("fix_p50_ms"), ".1f"),
                    num(s.get("guided_median_s"), ".3f"), num(s.get("repair_round_median_s"), ".3f")]
    return header, rows + [medians]


def latency_tiers_view(reports: Sequence[dict], document: Path, root: Path) -> tuple[list[str], list[list[str]]]:
    [report] = reports
    s = report["summary"]
    rows = [["mechanical fix p50 (ms)", num(s.get("fix_p50_ms"), ".1f"), f"{s.get('fix_attempts', 0)} fixes"],
            ["mechanical fix p95 (ms)", num(s.get("fix_p95_ms"), ".1f"), f"{s.get('fix_attempts', 0)} fixes"],
            ["guided re-decode / repair round", num(s.get("guided_vs_repair_round"), ".2f"),
             f"{s.get('tier_cases', 0)} flagged cases"],
            ["unflagged suggestion / raw generation", num(s.get("unflagged_secgen_vs_raw"), ".2f"),
             f"{s.get('unflagged_cases', 0)} cases"]]
    return ["figure", "measured", "over"], rows


def analyzers_view(reports: Sequence[dict], document: Path, root: Path) -> tuple[list[str], list[list[str]]]:
    from secgen.bench.analyzers import recall_rows, tally  # the analyzer bench loads Bandit and ICD: only when asked

    [report] = reports
    return recall_rows(report["columns"], tally(report["recall"]["records"]))


def analyzers_totals_view(reports: Sequence[dict], document: Path, root: Path) -> tuple[list[str], list[list[str]]]:
    header, rows = analyzers_view(reports, document, root)
    return header, [row for row in rows if row[0].endswith(" total**")]


def fuzz_view(reports: Sequence[dict], document: Path, root: Path) -> tuple[list[str], list[list[str]]]:
    """A row per protocol-fuzzer JSON file (``python -m tests.fuzz.run --json``): its totals over the seeds."""
    rows = []
    for report in reports:
        t = report["total"]
        model = report.get("command", [""])[-1] if report.get("server") == "secgen" else ""
        probes = ", ".join(report.get("probes") or []) or "not recorded"
        on_loss = report["on_crash"] + (f" ({t['restarts']})" if report["on_crash"] == "restart" else "")
        latency = t.get("latency_ms") or {}
        losses = [f"{f['after_messages']:,}" for f in t.get("failures", [])]
        label = report.get("label") or report["server"]
        rows.append([label if model.strip("()") in label else f"{label} {model}", probes,
                     f"{len(report['seeds'])} x {report['messages_per_seed']:,}", on_loss, f"{t['messages']:,}",
                     f"{t['requests']:,}", f"{t['answered']:,}", f"{t['unanswered']:,}", str(t["crashes"]),
                     str(t["hangs"]),
                     f"{_ms(latency.get('p50'))} / {_ms(latency.get('p95'))}" if latency else DASH,
                     ", ".join(losses[:4]) + (", ..." if len(losses) > 4 else "") if losses else "none"])
    return ["server", "probes", "seeds x messages", "on loss", "messages sent", "requests", "answered",
            "unanswered", "crashes", "hangs", "probe p50 / p95 ms", "first losses (after message)"], rows


def soak_view(reports: Sequence[dict], document: Path, root: Path) -> tuple[list[str], list[list[str]]]:
    """A row per ``secgen bench soak`` JSON file: requests and their ends, memory, threads and processes."""
    mib = lambda n: f"{n / 2 ** 20:.1f} MiB"
    rows = []
    for report in reports:
        c, m, t, p = report["counts"], report["memory"], report["threads"], report["processes"]
        by_request = {sample["request"]: sample for sample in report.get("samples", [])}
        start, end = by_request.get(m["baseline_request"], {}), by_request.get(m["end_request"], {})
        server = f"{mib(start['server_rss_bytes'])} -> {mib(end['server_rss_bytes'])}" \
            if start.get("server_rss_bytes") and end.get("server_rss_bytes") else DASH
        commit = str((report.get("machine") or {}).get("secgen_commit") or "")[:7] or "not recorded"
        rows.append([f"{report['settings']['model']} model, `{commit}`", f"{c['requests']:,}",
                     f"{c['answered']:,} ({c['with_text']:,})", f"{c['cancelled']:,}", str(c["errors"]),
                     str(c["unanswered"]),
                     f"{mib(m['rss_baseline_bytes'])} at {m['baseline_request']} -> {mib(m['rss_end_bytes'])} at "
                     f"{m['end_request']} ({100 * (m['growth'] - 1):+.1f}%), peak {mib(m['peak_rss_bytes'])}",
                     server, f"{t['baseline']} -> {t['end']}", f"{p['children_baseline']} -> {p['children_end']}",
                     str(len(p.get("left_after_exit") or []))])
    return ["run", "requests", "answered (with text)", "cancelled", "errors", "unanswered",
            "memory, server + children", "server alone", "threads", "children", "left after exit"], rows


def _ms(value: float | None) -> str:
    return DASH if value is None else f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


VIEWS: dict[str, Callable[[Sequence[Any], Path, Path], tuple[list[str], list[list[str]]]]] = {
    "humaneval": humaneval_view, "cyberseceval": cyberseceval_view, "cyberseceval-categories": categories_view,
    "sallm": sallm_view, "tiers": tiers_view, "latency": latency_view, "latency-tiers": latency_tiers_view,
    "analyzers": analyzers_view, "analyzers-totals": analyzers_totals_view, "fuzz": fuzz_view, "soak": soak_view}
# views of one JSON file rather than run folders
JSON_VIEWS = {"latency", "latency-tiers", "analyzers", "analyzers-totals", "fuzz", "soak"}
MANY_JSON_VIEWS = {"fuzz", "soak"}  # of those, the views with a row per file


def render(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    numeric = [i for i in range(len(header)) if i and all(re.match(r"^[\d.–%]", row[i]) for row in rows)]
    rule = ["---:" if i in numeric else "---" for i in range(len(header))]
    return ["| " + " | ".join(cells) + " |" for cells in (header, rule, *rows)]


def cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


# ---- documents


@dataclass(frozen=True)
class Table:
    document: Path
    line: int  # 1-based line of the begin marker
    view: str
    runs: tuple[str, ...]
    body: tuple[str, ...]  # the lines between the markers
    end: int  # 1-based line of the end marker
    indent: str = ""  # the begin marker's (a table inside a list item is indented with it)


def tables(document: Path) -> list[Table]:
    lines = document.read_text(encoding="utf-8").splitlines()
    found, index = [], 0
    while index < len(lines):
        match = BEGIN.match(lines[index].strip())
        if match is None:
            if lines[index].strip().startswith("<!-- table:"):
                raise DocsError(f"{document}:{index + 1}: a table marker must read '<!-- table: VIEW RUN... -->'")
            index += 1
            continue
        if match["view"] not in VIEWS:
            raise DocsError(f"{document}:{index + 1}: unknown view {match['view']!r}; known: {', '.join(VIEWS)}")
        try:
            end = next(i for i in range(index + 1, len(lines)) if lines[i].strip() == END)
        except StopIteration:
            raise DocsError(f"{document}:{index + 1}: no '{END}' after this table marker") from None
        indent = lines[index][:len(lines[index]) - len(lines[index].lstrip())]
        found.append(Table(document, index + 1, match["view"], tuple(match["runs"].split()),
                           tuple(l for l in lines[index + 1:end] if l.strip()), end + 1, indent))
        index = end + 1
    return found


@dataclass(frozen=True)
class Figure:
    document: Path
    line: int  # 1-based
    view: str
    runs: tuple[str, ...]
    row: str | None
    column: str
    text: str  # what the sentence says just before the marker


def figures(document: Path) -> list[Figure]:
    found = []
    for number, line in enumerate(document.read_text(encoding="utf-8").splitlines(), 1):
        for match in FIGURE.finditer(re.sub(r"`[^`]*<!--[^`]*`", lambda m: " " * len(m[0]), line)):
            if match["view"] not in VIEWS:
                raise DocsError(f"{document}:{number}: unknown view {match['view']!r}; known: {', '.join(VIEWS)}")
            before = re.sub(r"<!--.*?-->", "", line[:match.start()]).rstrip(" *`_")
            found.append(Figure(document, number, match["view"], tuple(match["runs"].split()), match["row"],
                                match["column"].strip(), before))
        if "<!-- figure:" in re.sub(r"`[^`]*`", "", line) and not FIGURE.search(line):  # code spans show markers
            raise DocsError(f"{document}:{number}: a figure marker must read "
                            "'<!-- figure: VIEW RUN... | [ROW: ]COLUMN -->'")
    return found


def check_figure(figure: Figure, root: Path) -> str | None:
    """What is wrong with a figure in a sentence, or ``None`` when the text ends with the runs' value."""
    header, rows = expected_rows(figure.view, figure.runs, figure.document, root)
    where = f"{figure.document}:{figure.line}: figure {figure.view}"
    if figure.column not in header:
        return f"{where}: no column {figure.column!r}; the view has {', '.join(header)}"
    if figure.row is None:
        if len(rows) != 1:
            return f"{where}: the view has {len(rows)} rows; name one as 'ROW: {figure.column}'"
        [row] = rows
    else:
        matching = [r for r in rows if r[0] == figure.row]
        if not matching:
            return f"{where}: no row {figure.row!r}; the rows are {', '.join(r[0] for r in rows)}"
        row = matching[0]
    value = row[header.index(figure.column)]
    if not figure.text.endswith(value):
        said = figure.text.split()[-1] if figure.text.split() else ""
        return f"{where}: {figure.column!r}: the sentence says {said!r}, the runs give {value!r}"
    return None


def expected_rows(view: str, cited: Sequence[str], document: Path, root: Path) -> tuple[list[str], list[list[str]]]:
    if view in JSON_VIEWS and view not in MANY_JSON_VIEWS and len(cited) != 1:
        raise DocsError(f"the {view} view shows one JSON file, not {len(cited)}")
    load = load_json if view in JSON_VIEWS else load_run
    return VIEWS[view]([load(root, c) for c in cited], document, root)


def expected(table: Table, root: Path) -> list[str]:
    return render(*expected_rows(table.view, table.runs, table.document, root))


def compare(table: Table, want: Sequence[str]) -> list[str]:
    """One line per difference between the document's table and the recomputed one."""
    where = f"{table.document}:{table.line}: table {table.view}"
    if len(table.body) != len(want):
        rows = max(len(table.body) - 2, 0)
        return [f"{where}: the document's table has {rows} row(s), the runs give {len(want) - 2}"]
    header = cells(want[0])
    problems = []
    for number, (have, should) in enumerate(zip(table.body, want)):
        if number == 1:
            continue  # the alignment row
        mine, theirs = cells(have), cells(should)
        if len(mine) != len(theirs):
            problems.append(f"{where}: row {number}: {len(mine)} cells, the view has {len(theirs)}")
            continue
        for column, (a, b) in enumerate(zip(mine, theirs)):
            if a != b:
                what = "header" if number == 0 else f"row {number - 1} ({theirs[0]}), {header[column]!r}"
                problems.append(f"{where}: {what}: the document says {a!r}, the runs give {b!r}")
    return problems


def verify(documents: Sequence[Path], root: Path = ROOT, *, write: bool = False) -> tuple[int, list[str]]:
    """(tables and figures checked, problems); with ``write``, each table whose runs load is rewritten from them
    instead (figures in sentences are only checked)."""
    checked, problems = 0, []
    for document in documents:
        try:
            found, sentences = tables(document), figures(document)
        except DocsError as exc:
            problems.append(str(exc))
            continue
        for figure in sentences:
            try:
                problem = check_figure(figure, root)
                checked += 1
            except DocsError as exc:
                problem = f"{document}:{figure.line}: figure {figure.view}: {exc}"
            if problem:
                problems.append(problem)
        lines = document.read_text(encoding="utf-8").splitlines(keepends=True)
        for table in reversed(found):  # bottom-up, so the line numbers above stay put
            try:
                want = expected(table, root)
            except DocsError as exc:
                problems.append(f"{document}:{table.line}: table {table.view}: {exc}")
                continue
            checked += 1
            if write:
                lines[table.line:table.end - 1] = [table.indent + line + "\n" for line in want]
            else:
                problems += compare(table, want)
        if write and found:
            document.write_text("".join(lines), encoding="utf-8")
    problems.sort(key=lambda p: (p.split(":")[0], int(p.split(":")[1]) if p.split(":")[1].isdigit() else 0))
    return checked, problems


def default_documents(root: Path = ROOT) -> list[Path]:
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="secgen bench verify-docs", description=__doc__.split("\n\n")[0])
    parser.add_argument("documents", nargs="*", type=Path, help="Markdown files (default: README.md and docs/*.md)")
    parser.add_argument("--write", action="store_true", help="rewrite each table from its runs instead of checking it")
    parser.add_argument("--root", type=Path, default=ROOT, help="where the cited run folders are relative to "
                                                                "(default: this checkout)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    documents = args.documents or default_documents(args.root)
    missing = [str(d) for d in documents if not d.is_file()]
    if missing:
        print(f"secgen bench verify-docs: error: no such file: {', '.join(missing)}", file=sys.stderr)
        return 2
    checked, problems = verify(documents, args.root.resolve(), write=args.write)
    for problem in problems:
        print(problem)
    verb = "rewrote" if args.write else "checked"
    print(f"{verb} {checked} table(s) and figure(s) in {len(documents)} document(s): {len(problems)} problem(s)",
          file=sys.stderr)
    return 1 if problems else 0
