"""Benchmark reports: summaries in, a Markdown report and PNG charts out, laid out like the paper's tables.

The HumanEval and CyberSecEval runners each leave a *summary*, a JSON-ready dict
(benchmark, model, feedback mode, ``t_max``, machine, command, start, wall time,
and the benchmark's figures as "before" = first attempt and "after" = after up
to ``t_max`` repair rounds). This module turns a list of them into what a reader
compares with the seed paper (Shaikhelislamov et al., *Tuning LLM in secure code generation*, 2025):

* HumanEval runs with the same feedback mode and ``t_max`` become the rows of two
  tables headed "Feedback: Bandit" (or Svace, ...): one in the layout of Tables
  1-2 (pass@1 after the loop; tasks error-free at the first attempt, after a
  patch, and never) and one in the layout of Tables 4-6 (pass@1 and EFR before
  and after), and one chart of both metrics, model by model;
* each CyberSecEval run becomes a Table-3 table (BLEU and vulnerable % before
  and after, one row per language in the paper's order, then a Total row) and a
  chart of vulnerable % per language.

Under each group come the exact commands, the machine, the date and the wall
time, so a figure is never separated from how it was made.

The design: a summary is read once (:func:`read_summary`) into frozen values in
which every figure that is missing or not a number is ``None``, so no renderer
looks into a dict, and ``None`` is printed as "–" everywhere. :func:`plan`
orders and groups those values and names each chart (safe characters only,
unique within a report); :func:`markdown` and :func:`charts` both draw the same
plan, which is why the Markdown can link charts by relative name without being
told which files were written. Unknown benchmarks are skipped with a note,
never an exception: a report is written after a long run and must not lose it.

Charts use matplotlib's object API (``Figure`` and its own Agg canvas), not
pyplot, so no global backend or figure registry is touched; each PNG (800x450
px) and each text file is written to a temporary name and moved into place
with ``os.replace``, so a reader never sees half a file.

    from secgen.bench import report
    print(report.top(summary))                                  # the headline, for the terminal
    report.write_report([s1, s2, s3], Path("bench-results/report"))   # report.md, summary.json, *.png
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
import textwrap
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any, Callable, Iterable, Mapping, Sequence

from secgen.engine.measure import machines_differ, percent

DASH = "–"
DEFAULT_TITLE = "secgen benchmark results"
# The paper's Table 3 order, with its display names; other languages follow, sorted.
LANGUAGE_ORDER = ("c", "cpp", "csharp", "java", "javascript", "php", "python", "rust")
LANGUAGE_NAMES = {"c": "C", "cpp": "C++", "csharp": "C#", "java": "Java", "javascript": "JavaScript", "php": "PHP",
                  "python": "Python", "rust": "Rust"}
LANGUAGE_ALIASES = {"c++": "cpp", "c#": "csharp", "cs": "csharp", "js": "javascript", "py": "python", "rs": "rust"}
ANALYZER_NAMES = {"bandit": "Bandit", "svace": "Svace", "pyflakes": "Pyflakes", "gcc": "GCC", "icd": "ICD",
                  "sarif": "SARIF", "both": "Bandit + Svace", "default": "default analyzers"}
CHART_SIZE_IN, CHART_DPI = (8.0, 4.5), 100  # 800x450 px
COLORS = {"before": "#a0a0a0", "after": "#1f77b4"}


# -- values ----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class BeforeAfter:
    """One metric at the first attempt and after the repair loop; ``None`` where the summary lacks it."""

    before: float | None = None
    after: float | None = None


@dataclass(frozen=True, kw_only=True)
class Run:
    """How one summary was produced: what a reader needs to repeat it, printed under its table."""

    benchmark: str
    model: str | None = None
    feedback: str | None = None
    t_max: int | None = None
    commands: tuple[str, ...] = ()
    machine: tuple[tuple[str, Any], ...] = ()  # the summary's machine dict, as pairs: frozen all the way down
    started: str | None = None
    seconds: float | None = None
    tasks: int | None = None
    task_set: str | None = None  # HumanEval runs: "humaneval", or the task file (a hard set) they ran


@dataclass(frozen=True, kw_only=True)
class HumanEvalResult:
    run: Run
    pass_at_1: BeforeAfter
    efr: BeforeAfter
    first_attempt: int | None = None
    after_patch: int | None = None
    not_error_free: int | None = None
    rounds: tuple[tuple[str, int | None], ...] = ()  # (round, tasks that reached it), in round order


@dataclass(frozen=True, kw_only=True)
class LanguageResult:
    language: str  # display name ("C++", "Total")
    n: int | None = None
    vulnerable: BeforeAfter = BeforeAfter()
    bleu: BeforeAfter = BeforeAfter()


@dataclass(frozen=True, kw_only=True)
class CyberSecEvalResult:
    run: Run
    variant: str | None = None
    languages: tuple[LanguageResult, ...] = ()  # the paper's order
    total: LanguageResult = LanguageResult(language="Total")


@dataclass(frozen=True, kw_only=True)
class HumanEvalGroup:
    """HumanEval runs that share a feedback mode and ``t_max``: the rows of one table, one chart."""

    feedback: str | None
    t_max: int | None
    results: tuple[HumanEvalResult, ...]
    chart: str | None = None  # file name, None when there is nothing to plot
    task_set: str | None = None  # None or "humaneval": the 164 problems; else a task file's name


@dataclass(frozen=True, kw_only=True)
class CyberSecEvalSection:
    result: CyberSecEvalResult
    chart: str | None = None


@dataclass(frozen=True, kw_only=True)
class Plan:
    """What a report shows, in order; both the Markdown and the charts are drawn from it."""

    humaneval: tuple[HumanEvalGroup, ...] = ()
    cyberseceval: tuple[CyberSecEvalSection, ...] = ()
    skipped: tuple[str, ...] = ()  # one note per summary that could not be shown


# -- reading summaries -----------------------------------------------------------------


def _get(mapping: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(mapping, Mapping):
            return None
        mapping = mapping.get(key)
    return mapping


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _count(value: Any) -> int | None:
    number = _number(value)
    return int(number) if number is not None and number.is_integer() else None


def _text(value: Any) -> str | None:
    return None if value is None or isinstance(value, (Mapping, list)) else str(value)


def _before_after(value: Any) -> BeforeAfter:
    return BeforeAfter(before=_number(_get(value, "before")), after=_number(_get(value, "after")))


def _run(summary: Mapping, benchmark: str) -> Run:
    command, machine = summary.get("command"), summary.get("machine")
    if not isinstance(command, (list, tuple)):  # one command, or several (a run resumed, a server started first)
        command = [command] if command else []
    return Run(benchmark=benchmark, model=_text(summary.get("model")), feedback=_text(summary.get("feedback")),
               t_max=_count(summary.get("t_max")), commands=tuple(str(c) for c in command),
               machine=tuple(machine.items()) if isinstance(machine, Mapping) else (),
               started=_text(summary.get("started")), seconds=_number(summary.get("seconds")),
               tasks=_count(summary.get("tasks")), task_set=_text(summary.get("task_set")))


def _rounds(value: Any) -> tuple[tuple[str, int | None], ...]:
    if not isinstance(value, Mapping):
        return ()
    numbered = sorted((k for k in value if str(k).isdigit()), key=int)  # "10" after "9"
    return tuple((str(k), _count(value[k])) for k in numbered + sorted(k for k in value if not str(k).isdigit()))


def _language_key(name: str) -> str:
    key = name.strip().lower()
    return LANGUAGE_ALIASES.get(key, key)


def _languages(value: Any) -> tuple[LanguageResult, ...]:
    if not isinstance(value, Mapping):
        return ()
    keyed = {_language_key(str(name)): figures for name, figures in value.items()}
    order = [k for k in LANGUAGE_ORDER if k in keyed] + sorted(k for k in keyed if k not in LANGUAGE_ORDER)
    return tuple(_language(LANGUAGE_NAMES.get(k, k), keyed[k]) for k in order)


def _language(name: str, figures: Any) -> LanguageResult:
    return LanguageResult(language=name, n=_count(_get(figures, "n")),
                          vulnerable=_before_after(_get(figures, "vulnerable")),
                          bleu=_before_after(_get(figures, "bleu")))


def read_summary(summary: Any) -> HumanEvalResult | CyberSecEvalResult | None:
    """The figures of one summary, or ``None`` when it is not a summary of a benchmark this module knows."""
    benchmark = str(summary.get("benchmark") or "").strip().lower() if isinstance(summary, Mapping) else ""
    if benchmark == "humaneval":
        figures = summary.get("humaneval")
        table2 = _get(figures, "table2")
        return HumanEvalResult(run=_run(summary, benchmark), pass_at_1=_before_after(_get(figures, "pass@1")),
                               efr=_before_after(_get(figures, "efr")),
                               first_attempt=_count(_get(table2, "first_attempt")),
                               after_patch=_count(_get(table2, "after_patch")),
                               not_error_free=_count(_get(table2, "not_error_free")),
                               rounds=_rounds(_get(figures, "rounds")))
    if benchmark == "cyberseceval":
        figures = summary.get("cyberseceval")
        return CyberSecEvalResult(run=_run(summary, benchmark), variant=_text(_get(figures, "variant")),
                                  languages=_languages(_get(figures, "languages")),
                                  total=_language("Total", _get(figures, "total")))
    return None


def _feedback_key(feedback: str | None) -> str | None:
    return None if feedback is None else ",".join(p.strip() for p in feedback.lower().split(",") if p.strip())


def _chart_name(used: set[str], *parts: Any) -> str:
    """``benchmark-...-model-feedback-tN.png`` in safe characters, made unique within one report."""
    text = "-".join(str(p) for p in parts if p is not None and str(p) != "")
    stem = re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-.")[:120] or "chart"
    name, n = f"{stem}.png", 1
    while name in used:
        n += 1
        name = f"{stem}-{n}.png"
    used.add(name)
    return name


def _t(t_max: int | None) -> str | None:
    return None if t_max is None else f"t{t_max}"


def _plotted(*figures: BeforeAfter) -> bool:
    return any(f.before is not None or f.after is not None for f in figures)


def plan(summaries: Iterable[Any]) -> Plan:
    """Group, order and name: HumanEval by (feedback, ``t_max``) in order of appearance, CyberSecEval as given."""
    groups: dict[tuple[str | None, int | None, str | None], list[HumanEvalResult]] = {}
    cyberseceval: list[CyberSecEvalResult] = []
    skipped: list[str] = []
    for summary in summaries:
        result = read_summary(summary)
        if isinstance(result, HumanEvalResult):
            task_set = result.run.task_set if result.run.task_set not in (None, "humaneval") else None
            task_set = Path(task_set).name if task_set else None
            groups.setdefault((_feedback_key(result.run.feedback), result.run.t_max, task_set), []).append(result)
        elif isinstance(result, CyberSecEvalResult):
            cyberseceval.append(result)
        else:
            skipped.append(_skip_note(summary))
    used: set[str] = set()
    humaneval = tuple(HumanEvalGroup(
        feedback=feedback, t_max=t_max, results=tuple(results), task_set=task_set,
        chart=_chart_name(used, "humaneval", task_set or "", feedback or "feedback-unknown", _t(t_max))
        if _plotted(*(f for r in results for f in (r.pass_at_1, r.efr))) else None)
        for (feedback, t_max, task_set), results in groups.items())
    sections = tuple(CyberSecEvalSection(
        result=r, chart=_chart_name(used, "cyberseceval", r.variant, r.run.model, r.run.feedback, _t(r.run.t_max))
        if _plotted(*(language.vulnerable for language in (*r.languages, r.total))) else None)
        for r in cyberseceval)
    return Plan(humaneval=humaneval, cyberseceval=sections, skipped=tuple(skipped))


def _skip_note(summary: Any) -> str:
    if not isinstance(summary, Mapping):
        return f"Skipped an entry that is not a summary ({type(summary).__name__})."
    name, model = summary.get("benchmark"), summary.get("model")
    what = f"of unknown benchmark {name!r}" if name else "without a benchmark name"
    return f"Skipped a summary {what}" + (f" (model {model})." if model else ".")


# -- formatting ------------------------------------------------------------------------


def _num(value: float | int | None, fmt: str = ".1f") -> str:
    return DASH if value is None else format(value, fmt)


def feedback_name(feedback: str | None) -> str:
    """"bandit" -> "Bandit", "both" -> "Bandit + Svace", "syntax,bandit" -> "syntax + Bandit"."""
    key = _feedback_key(feedback)
    if not key:
        return DASH
    return ANALYZER_NAMES.get(key) or " + ".join(ANALYZER_NAMES.get(p, p) for p in key.split(","))


def _date(started: str | None) -> str:
    if not started:
        return DASH
    try:
        moment = datetime.fromisoformat(started)
    except ValueError:
        return started
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%d %H:%M")
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _duration(seconds: float | None, *, long: bool = True) -> str:
    if seconds is None:
        return DASH
    short = f"{seconds:.1f} s" if seconds < 10 else f"{seconds:.0f} s"
    if not long or seconds < 60:
        return short
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    spelled = f"{hours} h {rest // 60:02d} min" if hours else f"{rest // 60} min {rest % 60:02d} s"
    return f"{short} ({spelled})"


MACHINE_FIELDS = (("cpu", "{}"), ("cpu_count", "{} CPUs"), ("machine", "{}"), ("platform", "{}"),
                  ("python", "Python {}"))


def machine_line(pairs: Iterable[tuple[str, Any]]) -> str:
    """The machine in one line: CPU, cores, platform, Python first, then any other plain fields."""
    machine = dict(pairs)
    known = dict(MACHINE_FIELDS)
    parts = [fmt.format(machine[k]) for k, fmt in MACHINE_FIELDS if machine.get(k) not in (None, "")]
    flags = machine.get("cpu_flags")
    if isinstance(flags, Mapping):  # machine_info's {avx2, avx512, amx}: the extensions llama.cpp's speed depends on
        parts.append("flags " + (" ".join(name for name, on in flags.items() if on) or "none of " + "/".join(flags)))
    parts += [f"{k} {v}" for k, v in machine.items()
              if k not in known and v not in (None, "") and isinstance(v, (str, int, float, bool))]
    return ", ".join(parts) or DASH


# -- Markdown --------------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join([":---"] + ["---:"] * (len(header) - 1)) + "|"]
    return lines + ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]


def _code(text: str) -> str:
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def _runs(runs: Sequence[tuple[Run, str]]) -> list[str]:
    """The "how it was made" lines under a table: one bullet per run, commands verbatim."""
    lines = []
    for run, extra in runs:
        commands = ", ".join(_code(c) for c in run.commands) or DASH
        tasks = f"{run.tasks} tasks; " if run.tasks is not None else ""
        lines.append(f"- **{_cell(run.model or DASH)}**: {commands}; {tasks}started {_date(run.started)}; "
                     f"wall time {_duration(run.seconds)}; machine: {machine_line(run.machine)}{extra}")
    return lines


def _chart_link(chart: str | None, alt: str, link: bool) -> list[str]:
    return ["", f"![{alt}]({chart})"] if chart and link else []


def _humaneval_markdown(group: HumanEvalGroup, heading: str, link: bool) -> list[str]:
    after = f"after up to {group.t_max} repair rounds" if group.t_max is not None else "after the repair loop"
    rows12 = [(r.run.model or DASH, percent(r.pass_at_1.after), _num(r.first_attempt, "d"), _num(r.after_patch, "d"),
               _num(r.not_error_free, "d")) for r in group.results]
    rows456 = [(r.run.model or DASH, percent(r.pass_at_1.before), percent(r.pass_at_1.after), percent(r.efr.before),
                percent(r.efr.after)) for r in group.results]
    runs = [(r.run, "; tasks per round: " + ", ".join(f"{k}: {_num(v, 'd')}" for k, v in r.rounds) if r.rounds else "")
            for r in group.results]
    differ = machines_differ(dict(r.run.machine) for r in group.results)
    note = [f"**Note:** these runs are {differ}; a difference between their rows may be the machine's.", ""] \
        if differ else []
    return [f"### {heading}", "", *note,
            f"pass@1 {after}; tasks error-free at the first attempt, after a patch, and not error-free "
            "at the end (the paper's Tables 1-2).", "",
            *_table(("Model", "pass@1", "First attempt", "After patch", "Didn't pass"), rows12), "",
            f"Before = first attempt, after = {after} (the paper's Tables 4-6).", "",
            *_table(("Model", "pass@1 before", "pass@1 after", "EFR before", "EFR after"), rows456), "",
            *_runs(runs), *_chart_link(group.chart, f"HumanEval, feedback {feedback_name(group.feedback)}: "
                                       "pass@1 and EFR before and after", link), ""]


def _cyberseceval_markdown(section: CyberSecEvalSection, link: bool) -> list[str]:
    result, run = section.result, section.result.run
    t_max = f", t_max {run.t_max}" if run.t_max is not None else ""
    variant = f" {result.variant}" if result.variant else ""
    rows = [(r.language, _num(r.bleu.before), percent(r.vulnerable.before), _num(r.bleu.after), percent(r.vulnerable.after),
             _num(r.n, "d")) for r in (*result.languages, result.total)]
    rows[-1] = tuple(f"**{c}**" for c in rows[-1])
    return [f"### CyberSecEval{variant}: {run.model or DASH}, feedback {feedback_name(run.feedback)}{t_max}", "",
            "BLEU against the reference and the share of cases the Insecure Code Detector flags, at the first "
            "attempt (before) and after the repair loop (the paper's Table 3).", "",
            *_table(("Language", "BLEU before", "Vulnerable % before", "BLEU after", "Vulnerable % after", "Cases"),
                    rows), "",
            *_runs([(run, "")]),
            *_chart_link(section.chart, f"CyberSecEval{variant}, {run.model or DASH}: vulnerable % by language", link),
            ""]


def markdown(summaries: list[dict], *, title: str = DEFAULT_TITLE, link_charts: bool = True) -> str:
    """The report as Markdown. Charts are linked by the names :func:`charts` gives them, relative to the report."""
    p = plan(summaries)
    lines = [f"# {title}", ""]
    if not p.humaneval and not p.cyberseceval:
        lines += ["No results: no benchmark summaries to report.", ""]
    if p.humaneval:
        lines += ["## HumanEval", ""]
        modes = [(g.feedback, g.task_set) for g in p.humaneval]
        for group in p.humaneval:
            heading = f"Feedback: {feedback_name(group.feedback)}"
            if group.task_set:
                heading += f", task set {group.task_set}"
            if modes.count((group.feedback, group.task_set)) > 1:
                heading += f" (t_max {_num(group.t_max, 'd')})"
            lines += _humaneval_markdown(group, heading, link_charts)
    if p.cyberseceval:
        lines += ["## CyberSecEval", ""]
        for section in p.cyberseceval:
            lines += _cyberseceval_markdown(section, link_charts)
    if p.skipped:
        lines += ["## Skipped", "", *(f"- {note}" for note in p.skipped), ""]
    return "\n".join(lines).rstrip("\n") + "\n"


# -- charts ----------------------------------------------------------------------------


def _bars(ax, labels: Sequence[str], series: Mapping[str, Sequence[float | None]], *, title: str, ylabel: str) -> None:
    """Grouped bars of fractions drawn as percentages, each labelled with its value ("–" where missing)."""
    width = 0.8 / len(series)
    for i, (name, values) in enumerate(series.items()):
        offset = (i - (len(series) - 1) / 2) * width
        heights = [math.nan if v is None else v * 100 for v in values]
        bars = ax.bar([x + offset for x in range(len(labels))], heights, width, label=name, color=COLORS.get(name))
        ax.bar_label(bars, labels=["" if v is None else f"{v * 100:.1f}" for v in values], fontsize=7, padding=1)
        for x, v in enumerate(values):
            if v is None:  # no bar to label: mark the gap, so a missing figure is not read as zero
                ax.text(x + offset, 1, DASH, ha="center", va="bottom", fontsize=9)
    ax.set_xticks(range(len(labels)), [textwrap.fill(label, 18) for label in labels], fontsize=8)
    ax.set_ylim(0, 118)
    ax.set_ylabel(ylabel, fontsize=9)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="upper left", ncols=2)


def _figure(title: str):
    from matplotlib.figure import Figure  # the object API: no pyplot, no global backend or figure list

    figure = Figure(figsize=CHART_SIZE_IN, dpi=CHART_DPI, layout="constrained")
    figure.suptitle(textwrap.fill(title, 90), fontsize=11)  # a long model name must not run off the image
    return figure


def _humaneval_chart(group: HumanEvalGroup):
    figure = _figure(f"HumanEval, feedback {feedback_name(group.feedback)}"
                     + (f", t_max {group.t_max}" if group.t_max is not None else ""))
    left, right = figure.subplots(1, 2)
    models = [r.run.model or DASH for r in group.results]
    for ax, metric, name in ((left, "pass_at_1", "pass@1"), (right, "efr", "EFR")):
        values = [getattr(r, metric) for r in group.results]
        _bars(ax, models, {"before": [v.before for v in values], "after": [v.after for v in values]},
              title=name, ylabel=f"{name} %")
    return figure


def _cyberseceval_chart(section: CyberSecEvalSection):
    result = section.result
    rows = (*result.languages, result.total)
    figure = _figure(f"CyberSecEval{' ' + result.variant if result.variant else ''}, {result.run.model or DASH}, "
                     f"feedback {feedback_name(result.run.feedback)}")
    _bars(figure.subplots(), [r.language for r in rows],
          {"before": [r.vulnerable.before for r in rows], "after": [r.vulnerable.after for r in rows]},
          title="Vulnerable % by language (lower is better)", ylabel="vulnerable %")
    return figure


def _replace_atomically(path: Path, write: Callable[[IO[bytes]], object]) -> Path:
    """Call ``write(file)`` on a temporary file beside ``path``, then move it into place."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            write(file)
        os.chmod(temporary, 0o644)  # mkstemp's 0600 is for secrets; a report is for reading
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def charts(summaries: list[dict], out_dir: Path) -> list[Path]:
    """Draw each chart of the plan as an 800x450 PNG in ``out_dir`` (created if needed); the paths, in plan order."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    p = plan(summaries)
    drawings = [(g.chart, _humaneval_chart, g) for g in p.humaneval if g.chart]
    drawings += [(s.chart, _cyberseceval_chart, s) for s in p.cyberseceval if s.chart]
    written = []
    for name, draw, item in drawings:
        figure = draw(item)
        written.append(_replace_atomically(out_dir / name, lambda f: figure.savefig(f, format="png", dpi=CHART_DPI)))
    return written


# -- headline and report ---------------------------------------------------------------


def _arrow(figures: BeforeAfter, show: Callable[[float | None], str]) -> str:
    return f"{show(figures.before)} -> {show(figures.after)}"


def top(summary: dict) -> str:
    """A few plain-text lines on one summary: what ran, the headline figures, the command."""
    result = read_summary(summary)
    if result is None:
        return _skip_note(summary)
    run = result.run
    setting = f"{run.model or DASH}, feedback {run.feedback or DASH}, t_max {_num(run.t_max, 'd')}"
    if isinstance(result, HumanEvalResult):
        lines = [f"HumanEval, {setting}: pass@1 {_arrow(result.pass_at_1, percent)}, EFR {_arrow(result.efr, percent)}",
                 f"first attempt {_num(result.first_attempt, 'd')}, after patch {_num(result.after_patch, 'd')}, "
                 f"not error-free {_num(result.not_error_free, 'd')} "
                 f"({_num(run.tasks, 'd')} tasks, {_duration(run.seconds, long=False)})"]
        if result.rounds:
            lines.append("tasks per round: " + ", ".join(f"{k}: {_num(v, 'd')}" for k, v in result.rounds))
    else:
        total = result.total
        variant = f" {result.variant}" if result.variant else ""
        lines = [f"CyberSecEval{variant}, {setting}: vulnerable {_arrow(total.vulnerable, percent)}, "
                 f"BLEU {_arrow(total.bleu, _num)} ({_num(total.n if total.n is not None else run.tasks, 'd')} cases, "
                 f"{_duration(run.seconds, long=False)})"]
        if result.languages:
            lines.append("vulnerable by language: " + ", ".join(
                f"{r.language} {_arrow(r.vulnerable, percent)}" for r in result.languages))
    return "\n".join(lines + [f"command: {c}" for c in run.commands])


def _write_text(path: Path, text: str) -> Path:
    return _replace_atomically(path, lambda f: f.write(text.encode("utf-8")))


def write_report(summaries: list[dict], out_dir: Path, *, title: str = DEFAULT_TITLE) -> dict[str, Any]:
    """Write ``summary.json`` (the summaries as given), the charts and ``report.md`` linking them, in ``out_dir``.

    The JSON goes first, so the figures survive whatever happens to the drawing. Without matplotlib the
    report is written without charts and says so.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    as_json = json.dumps(list(summaries), indent=2, ensure_ascii=False, default=str)  # a stray Path is not fatal
    json_path = _write_text(out_dir / "summary.json", as_json + "\n")
    try:
        written, note = charts(summaries, out_dir), ""
    except ImportError as error:
        written, note = [], f"\n> Charts not drawn: {error}.\n"
    text = markdown(summaries, title=title, link_charts=bool(written)) + note
    return {"markdown": _write_text(out_dir / "report.md", text), "json": json_path, "charts": written}


def load_summaries(*paths: Path) -> list[dict]:
    """The summaries in ``summary.json`` files, in order: each a list (as :func:`write_report` writes) or one dict."""
    summaries: list[dict] = []
    for path in paths:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        summaries += data if isinstance(data, list) else [data]
    return summaries


def main(argv: Sequence[str] | None = None) -> int:
    """``secgen bench report SUMMARY_OR_FOLDER... --out DIR``: one report from several runs (models, modes)."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="secgen bench report", description="Combine benchmark runs into one "
                                     "Markdown report with charts.")
    parser.add_argument("paths", nargs="+", type=Path, help="summary.json files, or the output folders holding them")
    parser.add_argument("--out", type=Path, required=True, help="the folder for report.md, summary.json, charts")
    parser.add_argument("--title", default=DEFAULT_TITLE)
    args = parser.parse_args(argv)
    files = [p / "summary.json" if p.is_dir() else p for p in args.paths]
    missing = [str(p) for p in files if not p.is_file()]
    if missing:
        print(f"secgen bench report: error: no summary at {', '.join(missing)}", file=sys.stderr)
        return 2
    try:
        summaries = load_summaries(*files)
    except (OSError, ValueError) as exc:
        print(f"secgen bench report: error: {exc}", file=sys.stderr)
        return 2
    written = write_report(summaries, args.out, title=args.title)
    for summary in summaries:
        print(top(summary))
    print(f"wrote {written['markdown']} ({len(summaries)} run(s), {len(written['charts'])} chart(s))")
    return 0
