"""One way through every quality benchmark: tasks -> repair loop -> scored rounds -> results file.

For each task the repair loop (:class:`~secgen.engine.loop.RepairLoop`,
greedy, ``t_max`` rounds; the run itself is :func:`secgen.engine.runs.run_tasks`)
generates code; every attempt it made is scored by the benchmark's scorer (unit tests in the sandbox, the Insecure Code
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

**Resume.** Results go to ``results.jsonl`` in the output folder
(:class:`~secgen.engine.runs.ResultsFile`: a header line, then one
:class:`~secgen.engine.record.LoopResult` per task, fsynced as each task
ends); a run that finds the file continues after the last task it holds.
Progress is a bar on stderr (tqdm) with the running figures.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from secgen.analyzers import default_registry
from secgen.analyzers.registry import AnalyzerRegistry
from secgen.engine.backend import Backend
from secgen.engine.config import BATCH, FEEDBACK_MODES, FeedbackError, feedback_analyzers, parse_tiers
from secgen.engine.prompts import WORDINGS
from secgen.engine.loop import RepairLoop
from secgen.engine.measure import rate
from secgen.engine.record import Attempt, LoopResult
from secgen.engine.runs import RESULTS, ResultsFile, RunError, Scorer, run_tasks
from secgen.engine.tasks import Task, TaskError, select


class BenchError(RunError):
    """A benchmark that cannot start or continue; the message says what to do."""


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
    t_max: int = BATCH.t_max
    max_tokens: int = BATCH.max_tokens
    time_budget_s: float | None = BATCH.time_budget_s
    tiers: tuple[str, ...] = BATCH.tiers
    wording: str | None = BATCH.wording  # None: each repair path's default wording

    def header(self) -> dict:
        wording = {} if self.wording is None else {"wording": self.wording}  # runs before --wording resume as they were
        return {"benchmark": self.benchmark, "model": self.model, "feedback": self.feedback,
                "analyzers": list(feedback_analyzers(self.feedback)), "t_max": self.t_max,
                "max_tokens": self.max_tokens, "tiers": list(self.tiers)} | wording


def execute(name: str, args: argparse.Namespace, argv: Sequence[str] | None, tasks: Sequence[Task], *,
            config: RunConfig, make_scorer: Callable[[], Scorer], summarize: Callable[[list[LoopResult]], dict],
            progress: Callable[[list[LoopResult]], str], title: str, header: Mapping[str, Any] | None = None,
            extra: Mapping[str, Any] | None = None, publish: Callable[[dict, Path], None] | None = None) -> int:
    """The shared second half of a benchmark command: model, loop, results file, run, summary, report.

    ``publish(summary, out_dir)`` writes and prints a benchmark's own report instead of :mod:`secgen.bench.report`'s
    (which knows HumanEval and CyberSecEval).

    Returns the exit status: 0, 2 for an error the user can fix (one line on stderr), 130 when
    interrupted (what was done is kept, and the same command continues it).
    """
    from secgen.bench import report
    from secgen.engine.backend import BackendError, open_backend
    from secgen.engine.measure import machine_info

    started, clock, host = now(), time.perf_counter(), None
    backend = None
    try:
        if not tasks:
            raise BenchError("no tasks selected")
        score = make_scorer()
        backend = open_backend(args.model)
        host = machine_info(getattr(backend, "model_path", None))  # the commit the run started from, the model file
        loop = make_loop(backend, config)
        check_analyzers(loop.registry, loop.config.analyzers)
        results = ResultsFile(output_dir(args, config.benchmark) / RESULTS, config.header() | dict(header or {}),
                              restart=args.restart)
        results.start({"started": started, "command": command_line(argv, name), "machine": host})
        records = run_tasks(tasks, loop, score, results, progress=progress)
    except (RunError, TaskError, BackendError, FeedbackError) as exc:
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
    if publish is not None:
        publish(summary, results.path.parent)
        return 0
    written = report.write_report([summary], results.path.parent, title=f"{title}: {summary['model']}")
    print(report.top(summary))
    print(f"wrote {written['markdown']} and {written['json']}", file=sys.stderr)
    return 0


def pick(tasks: Sequence[Task], args: argparse.Namespace, *, languages: Sequence[str] = ()) -> list[Task]:
    """The tasks the common options choose (``--tasks``, ``--limit``); the options checked first."""
    if args.t_max < 0:
        raise BenchError("--t-max must be 0 or more")
    return select(tasks, ids=[t for t in (args.tasks or "").split(",") if t], languages=languages, limit=args.limit)


def make_loop(backend: Backend, config: RunConfig, registry: AnalyzerRegistry | None = None) -> RepairLoop:
    loop_config = replace(BATCH, t_max=config.t_max, time_budget_s=config.time_budget_s,
                          analyzers=feedback_analyzers(config.feedback), tiers=config.tiers, wording=config.wording,
                          params=replace(BATCH.params, max_tokens=config.max_tokens))
    return RepairLoop(backend, registry or default_registry(), loop_config)


def add_common_arguments(parser: argparse.ArgumentParser, *, default_feedback: str) -> None:
    parser.add_argument("--model", default=None, help="catalog name, .gguf path, Hugging Face folder, http(s):// server, "
                                                      "fake:SCRIPT "
                                                      "(default: $SECGEN_MODEL or the catalog default)")
    parser.add_argument("--feedback", default=default_feedback,
                        help=f"analyzers that give the loop its feedback: {', '.join(FEEDBACK_MODES)}, or a "
                             f"comma-separated list (default {default_feedback})")
    parser.add_argument("--t-max", type=int, default=BATCH.t_max,
                        help=f"repair rounds after the first answer (default {BATCH.t_max})")
    parser.add_argument("--max-tokens", type=int, default=BATCH.max_tokens,
                        help=f"tokens per answer (default {BATCH.max_tokens})")
    parser.add_argument("--tiers", type=tiers_argument, default=BATCH.tiers,
                        help=f"repair tiers, cheapest first (default {','.join(BATCH.tiers)}; `repair` alone is the "
                             f"paper's loop)")
    parser.add_argument("--wording", choices=WORDINGS, default=None,
                        help="how a repair round words the findings: full (rule, message, remedy), message (the "
                             "analyzer's message only, as in the paper) or remedy (what to write instead); default: "
                             "full for chat, remedy for a completion")
    parser.add_argument("--limit", type=int, default=None, help="only the first N tasks")
    parser.add_argument("--tasks", default=None, help="comma-separated task ids (a trailing / selects a prefix)")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default bench-results/NAME)")
    parser.add_argument("--restart", action="store_true", help="discard the results in --out and start again")


def tiers_argument(text: str) -> tuple[str, ...]:
    try:
        return parse_tiers(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


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


def before_after(records: Sequence[LoopResult], value: Callable[[Attempt], Any],
                 combine: Callable[[list], float | None] | None = None) -> dict[str, float | None]:
    """One figure at the first attempt (:attr:`LoopResult.first`) and at the loop's answer
    (:attr:`LoopResult.answer`): ``combine`` (default :func:`rate`) of ``value(attempt)`` over the records."""
    combine = combine or rate
    return {"before": combine([value(r.first) for r in records]),
            "after": combine([value(r.answer) for r in records])}


def error_free(attempt: Attempt) -> bool:
    return not attempt.blocking


def arrow(figure: Mapping[str, float | None]) -> str:
    """``24%->23%``: a before/after fraction for a progress line."""
    fmt = lambda v: "-" if v is None else f"{100 * v:.0f}%"
    return f"{fmt(figure['before'])}->{fmt(figure['after'])}"


__all__ = ["BenchError", "FEEDBACK_MODES", "RunConfig", "TaskError", "feedback_analyzers", "make_loop"]
