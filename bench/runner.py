"""One way through every quality benchmark: tasks -> repair loop -> scored rounds -> results file.

For each task the repair loop (:class:`~secgen.engine.loop.RepairLoop`,
greedy, ``t_max`` rounds) generates code; every attempt it made is scored by
the benchmark's scorer (unit tests in the sandbox, the Insecure Code
Detector, BLEU...). "Before" is round 0, the answer without the loop: at
temperature 0 a run with ``t_max = 0`` gives the same first answer, so one
run measures both columns of the paper's before/after tables. "After" is the
loop's best attempt (its first clean one, else the one with the fewest
blocking findings).

**Feedback modes** (the paper's Tables 4-6) name the analyzers that give the
loop its feedback and decide what is error-free (EFR):
``bandit`` (syntax + Bandit), ``svace`` (syntax + the Svace adapter),
``both`` (syntax + Bandit + Svace), ``default`` (secgen's default set:
syntax, pyflakes, Bandit, tree-sitter, gcc), ``icd`` (both halves of the
Insecure Code Detector: the CyberSecEval scorer itself as feedback), or a
comma-separated list of analyzer names. A mode whose analyzer cannot run here
(Svace not installed) stops before the first task with the analyzer's reason.

**Resume.** Results go to ``results.jsonl`` in the output folder: a header
line (benchmark, model, feedback, t_max, max tokens) and one line per task,
flushed and fsynced as each task ends. A run that finds the file continues
after the last task it holds; a header that differs is an error (use another
``--out`` or ``--restart``), so results from two settings never mix.
Progress is a bar on stderr (tqdm) with the running figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from secgen.analyzers import default_registry
from secgen.analyzers.registry import DEFAULT_ANALYZERS, AnalyzerRegistry
from secgen.bench.tasks import Task, TaskError, select
from secgen.engine.backend import Backend, GenerationParams
from secgen.engine.loop import Attempt, LoopConfig, RepairLoop

FEEDBACK_MODES: dict[str, tuple[str, ...]] = {
    "bandit": ("syntax", "tree-sitter", "bandit"),
    "svace": ("syntax", "tree-sitter", "svace"),
    "both": ("syntax", "tree-sitter", "bandit", "svace"),
    "default": DEFAULT_ANALYZERS,
    "icd": ("syntax", "tree-sitter", "icd-regex", "icd-semgrep"),
}
RESULTS = "results.jsonl"

# A scorer turns one attempt's code into figures: {"passed": bool, "vulnerable": bool, "bleu": float, ...}
Scorer = Callable[[Task, str], Mapping[str, Any]]


class BenchError(Exception):
    """A benchmark that cannot start or continue; the message says what to do."""


def feedback_analyzers(mode: str) -> tuple[str, ...]:
    if mode in FEEDBACK_MODES:
        return FEEDBACK_MODES[mode]
    names = tuple(n.strip() for n in mode.split(",") if n.strip())
    if not names:
        raise BenchError(f"--feedback: name a mode ({', '.join(FEEDBACK_MODES)}) or analyzers")
    return names


def check_analyzers(registry: AnalyzerRegistry, names: Sequence[str]) -> None:
    """:class:`BenchError` when an analyzer the feedback names cannot run here (unknown, not installed)."""
    for name in names:
        if registry.get(name) is None:
            raise BenchError(f"feedback analyzer {name} cannot run here: {registry.problem(name)}")


@dataclass(frozen=True, kw_only=True)
class RunConfig:
    benchmark: str
    model: str  # the spec as typed, for the header
    feedback: str
    t_max: int = 3
    max_tokens: int = 512
    time_budget_s: float | None = 300.0

    def header(self) -> dict:
        return {"benchmark": self.benchmark, "model": self.model, "feedback": self.feedback,
                "analyzers": list(feedback_analyzers(self.feedback)), "t_max": self.t_max,
                "max_tokens": self.max_tokens}


class ResultsFile:
    """``results.jsonl``: a header, then one record per task; appended and fsynced per task."""

    def __init__(self, path: Path, header: Mapping[str, Any], *, restart: bool = False) -> None:
        self.path = Path(path)
        self.header = dict(header)
        self.records: dict[str, dict] = {}
        if restart and self.path.exists():
            self.path.unlink()
        if self.path.exists():
            self._load()
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._append({"header": self.header})

    def _load(self) -> None:
        data = self.path.read_bytes()
        complete, _, partial = data.rpartition(b"\n")  # a last line without its newline was cut short
        lines = complete.split(b"\n") if complete else []
        for number, line in enumerate(lines):
            try:
                item = json.loads(line)
            except ValueError:
                raise BenchError(f"{self.path}:{number + 1} is not JSON; move the file away or pass --restart") from None
            if number == 0:
                found = item.get("header") if isinstance(item, dict) else None
                if found != self.header and len(lines) == 1:  # no results yet: nothing to protect
                    self.path.unlink()
                    self._append({"header": self.header})
                    return
                if found != self.header:
                    differs = sorted(k for k in set(self.header) | set(found or {})
                                     if (found or {}).get(k) != self.header.get(k))
                    raise BenchError(f"{self.path} holds results made with other settings ({', '.join(differs)}); "
                                     "use another --out, or --restart to discard them")
            else:
                self.records[item["task_id"]] = item
        if not lines:
            raise BenchError(f"{self.path} has no header line; move the file away or pass --restart")
        if partial:  # drop it before appending; its task runs again
            with open(self.path, "r+b") as stream:
                stream.truncate(len(complete) + 1)

    def _append(self, data: Mapping[str, Any]) -> None:
        with open(self.path, "a", encoding="utf-8") as stream:
            stream.write(json.dumps(data) + "\n")
            stream.flush()
            os.fsync(stream.fileno())

    def add(self, record: Mapping[str, Any]) -> None:
        self.records[record["task_id"]] = dict(record)
        self._append(record)


def attempt_record(attempt: Attempt, scores: Mapping[str, Any]) -> dict:
    return {"round": attempt.round, "code": attempt.text,
            "blocking": [{"analyzer": f.analyzer, "rule_id": f.rule_id, "cwe": f.cwe, "line": f.line + 1}
                         for f in attempt.blocking],
            "findings": len(attempt.findings), "generation_s": round(attempt.generation_s, 3),
            "analysis_s": round(attempt.analysis_s, 3), **scores}


def run_tasks(tasks: Sequence[Task], loop: RepairLoop, score: Scorer, results: ResultsFile,
              *, progress: Callable[[dict], str] | None = None) -> list[dict]:
    """Run every task ``results`` lacks; return the records of all ``tasks`` (old and new), in order."""
    from tqdm import tqdm

    todo = [t for t in tasks if t.task_id not in results.records]
    done = [results.records[t.task_id] for t in tasks if t.task_id in results.records]
    if done:
        print(f"resuming: {len(done)} of {len(tasks)} task(s) already in {results.path}", file=sys.stderr)
    bar = tqdm(total=len(tasks), initial=len(done), unit="task", file=sys.stderr, dynamic_ncols=True,
               disable=None)
    every, resumed, clock = max(1, len(tasks) // 20), len(done), time.perf_counter()
    try:
        for task in todo:
            started = time.perf_counter()
            outcome = loop.generate(task.prompt, language=task.language, preamble=task.preamble,
                                    context=task.context or "")
            best_round = outcome.best.round if outcome.best else None
            rounds = [attempt_record(a, score(task, a.text)) for a in outcome.attempts]
            record = {"task_id": task.task_id, "language": task.language, "stop_reason": outcome.stop_reason,
                      "best_round": best_round, "clean": outcome.clean, "rounds": rounds,
                      "analyzer_failures": outcome.analyzer_failures,
                      "seconds": round(time.perf_counter() - started, 3)}
            results.add(record)
            done.append(record)
            bar.update(1)
            if progress:
                bar.set_postfix_str(progress(done), refresh=False)
            if bar.disable and (len(done) % every == 0 or len(done) == len(tasks)):  # no terminal: a line now and then
                elapsed = time.perf_counter() - clock
                print(f"[{len(done)}/{len(tasks)}] {progress(done) if progress else ''} "
                      f"({elapsed:.0f} s for {len(done) - resumed} new)", file=sys.stderr, flush=True)
    finally:
        bar.close()
    order = {t.task_id: i for i, t in enumerate(tasks)}
    return sorted((r for r in results.records.values() if r["task_id"] in order), key=lambda r: order[r["task_id"]])


def execute(name: str, args: argparse.Namespace, argv: Sequence[str] | None, tasks: Sequence[Task], *,
            config: RunConfig, make_scorer: Callable[[], Scorer], summarize: Callable[[list[dict]], dict],
            progress: Callable[[list[dict]], str], title: str, header: Mapping[str, Any] | None = None,
            extra: Mapping[str, Any] | None = None) -> int:
    """The shared second half of a benchmark command: model, loop, results file, run, summary, report.

    Returns the exit status: 0, 2 for an error the user can fix (one line on stderr), 130 when
    interrupted (what was done is kept, and the same command continues it).
    """
    from secgen.bench import report
    from secgen.engine.backend import BackendError, open_backend

    started, clock, host = now(), time.perf_counter(), machine()  # the commit the run started from
    backend = None
    try:
        if not tasks:
            raise BenchError("no tasks selected")
        score = make_scorer()
        backend = open_backend(args.model)
        loop = make_loop(backend, config)
        check_analyzers(loop.registry, loop.config.analyzers)
        results = ResultsFile(output_dir(args, config.benchmark) / RESULTS, config.header() | dict(header or {}),
                              restart=args.restart)
        records = run_tasks(tasks, loop, score, results, progress=progress)
    except (BenchError, TaskError, BackendError) as exc:
        kept = f" ({len(results.records)} task(s) kept in {results.path})" if "results" in locals() else ""
        print(f"secgen bench {name}: error: {exc}{kept}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"\ninterrupted: {len(results.records)} task(s) kept in {results.path}; run the same command to "
              "continue", file=sys.stderr)
        return 130
    finally:
        if backend is not None:
            backend.close()
    summary = {"benchmark": name, "model": getattr(backend, "name", config.model), "model_spec": config.model,
               "feedback": config.feedback, "analyzers": list(loop.config.analyzers), "t_max": config.t_max,
               "machine": host, "command": command_line(argv, name), "started": started,
               "seconds": round(time.perf_counter() - clock, 1), "tasks": len(records), **dict(extra or {}),
               name: summarize(records)}
    written = report.write_report([summary], results.path.parent, title=f"{title}: {summary['model']}")
    print(report.top(summary))
    print(f"wrote {written['markdown']} and {written['json']}", file=sys.stderr)
    return 0


def pick(tasks: Sequence[Task], args: argparse.Namespace, *, languages: Sequence[str] = ()) -> list[Task]:
    """The tasks the common options choose (``--tasks``, ``--limit``); the options checked first."""
    if args.t_max < 0:
        raise BenchError("--t-max must be 0 or more")
    return select(tasks, ids=[t for t in (args.tasks or "").split(",") if t], languages=languages, limit=args.limit)


def before(record: Mapping[str, Any]) -> dict:
    return record["rounds"][0]


def after(record: Mapping[str, Any]) -> dict:
    """The loop's answer: its best attempt."""
    best = record.get("best_round")
    return next((r for r in record["rounds"] if r["round"] == best), record["rounds"][-1])


def make_loop(backend: Backend, config: RunConfig, registry: AnalyzerRegistry | None = None) -> RepairLoop:
    loop_config = LoopConfig(t_max=config.t_max, time_budget_s=config.time_budget_s,
                             analyzers=feedback_analyzers(config.feedback), include_slow=True,
                             params=GenerationParams(max_tokens=config.max_tokens))
    return RepairLoop(backend, registry or default_registry(), loop_config)


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                cwd=Path(__file__).parent, timeout=5).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        commit = None
    return {"cpu": cpu, "cpu_count": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform(), "secgen_commit": commit}


def add_common_arguments(parser: argparse.ArgumentParser, *, default_feedback: str) -> None:
    parser.add_argument("--model", default=None, help="catalog name, .gguf path, Hugging Face folder, http(s):// server, "
                                                      "fake:SCRIPT "
                                                      "(default: $SECGEN_MODEL or the catalog default)")
    parser.add_argument("--feedback", default=default_feedback,
                        help=f"analyzers that give the loop its feedback: {', '.join(FEEDBACK_MODES)}, or a "
                             f"comma-separated list (default {default_feedback})")
    parser.add_argument("--t-max", type=int, default=3, help="repair rounds after the first answer (default 3)")
    parser.add_argument("--max-tokens", type=int, default=512, help="tokens per answer (default 512)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N tasks")
    parser.add_argument("--tasks", default=None, help="comma-separated task ids (a trailing / selects a prefix)")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default bench-results/NAME)")
    parser.add_argument("--restart", action="store_true", help="discard the results in --out and start again")


def output_dir(args, benchmark: str) -> Path:
    if args.out:
        return args.out
    model = Path(args.model).stem if args.model and os.sep in args.model else (args.model or "default")
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in f"{benchmark}-{model}-{args.feedback}")
    return Path("bench-results") / safe


def command_line(argv: Sequence[str] | None, name: str) -> str:
    return " ".join(["secgen", "bench", name, *map(shlex.quote, argv if argv is not None else sys.argv[1:])])


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def before_after(records: Sequence[Mapping[str, Any]], value: Callable[[dict], Any],
                 combine: Callable[[list], float | None] | None = None) -> dict[str, float | None]:
    """One figure at the first attempt and at the loop's answer: ``combine`` (default :func:`rate`) of
    ``value(attempt)`` over the records."""
    combine = combine or rate
    return {"before": combine([value(before(r)) for r in records]),
            "after": combine([value(after(r)) for r in records])}


def error_free(attempt: Mapping[str, Any]) -> bool:
    return not attempt["blocking"]


def mean(values: Sequence[float | None]) -> float | None:
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None


def arrow(figure: Mapping[str, float | None]) -> str:
    """``24%->23%``: a before/after fraction for a progress line."""
    fmt = lambda v: "-" if v is None else f"{100 * v:.0f}%"
    return f"{fmt(figure['before'])}->{fmt(figure['after'])}"


def rate(values: Sequence[bool]) -> float | None:
    return sum(values) / len(values) if values else None


__all__ = ["BenchError", "FEEDBACK_MODES", "ResultsFile", "RunConfig", "Scorer", "TaskError", "after", "before",
           "feedback_analyzers", "make_loop", "run_tasks"]
