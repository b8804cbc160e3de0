"""HumanEval: pass@1 and error-free rate, without and with the repair loop (the paper's Tables 1, 2, 4-6).

Each of the 164 problems (or a task file of the same kind, e.g. a hard set
from :mod:`secgen.bench.select`) is asked of the model through the repair
loop, greedily (temperature 0, as in the paper). Every attempt is scored:

* **pass@1**: the attempt's code, the problem's imports, its ``check``
  function and ``check(entry_point)`` run in :mod:`secgen.engine.sandbox` (a
  scratch directory, time, memory and file-size limits, no network, no
  processes, no writes outside the scratch directory). With one greedy sample
  per problem, pass@1 is the share of problems whose code passes.
* **EFR** (error-free rate): the share of problems whose code has no blocking
  finding from the feedback analyzers (the paper uses Svace; ``--feedback``
  picks Bandit, Svace, both, secgen's defaults...).

"Before" is the first answer, "after" the loop's answer (``t_max`` rounds).
Table 2's counts: error-free at the first attempt, error-free after a repair
round, not error-free after all rounds.

    secgen bench humaneval                              # default model, default feedback, t_max 3
    secgen bench humaneval --model 1.5b --feedback bandit
    secgen bench humaneval --limit 10 --out /tmp/he    # a quick look
    secgen bench humaneval --tasks hard.jsonl          # a task file instead of HumanEval

Results: ``results.jsonl`` (resumable), ``summary.json``, ``report.md`` and
charts in the output folder (``bench-results/humaneval-MODEL-FEEDBACK/``).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, Sequence

from secgen.bench import runner
from secgen.bench.runner import BenchError, RunConfig, arrow, before_after, error_free
from secgen.engine.record import LoopResult
from secgen.engine.runs import unit_test_scorer
from secgen.engine.sandbox import SandboxLimits
from secgen.engine.tasks import HUMANEVAL, TaskError, humaneval_tasks, load_tasks

NAME = "humaneval"


def summarize(records: Sequence[LoopResult]) -> dict[str, Any]:
    """pass@1 and EFR before and after, and Table 2's counts."""
    tested = [r for r in records if r.first.scores.get("passed") is not None]
    first_clean = sum(1 for r in records if not r.first.blocking)
    clean_after = sum(1 for r in records if not r.answer.blocking)
    rounds: dict[str, int] = {}
    for record in records:
        for attempt in record.attempts:
            rounds[str(attempt.round)] = rounds.get(str(attempt.round), 0) + 1
    return {
        "pass@1": before_after(tested, lambda attempt: bool(attempt.scores["passed"])),
        "efr": before_after(records, error_free),
        "table2": {"first_attempt": first_clean, "after_patch": clean_after - first_clean,
                   "not_error_free": len(records) - clean_after},
        "rounds": rounds,
        "tested": len(tested),
    }


def progress(records: Sequence[LoopResult]) -> str:
    s = summarize(records)
    return f"pass@1 {arrow(s['pass@1'])} EFR {arrow(s['efr'])}"


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="secgen bench humaneval", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    runner.add_common_arguments(parser, default_feedback="default")
    parser.add_argument("--task-set", default=HUMANEVAL, help="humaneval (default) or a .jsonl task file")
    parser.add_argument("--test-timeout", type=float, default=10.0, help="seconds per test run (default 10)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    try:
        tasks = runner.pick(load_tasks(args.task_set) if args.task_set != HUMANEVAL else humaneval_tasks(), args)
    except (BenchError, TaskError) as exc:
        print(f"secgen bench {NAME}: error: {exc}", file=sys.stderr)
        return 2
    untestable = [t.task_id for t in tasks if not t.tests]
    if untestable:
        print(f"note: {len(untestable)} task(s) have no tests; they count for EFR only", file=sys.stderr)
    config = RunConfig(benchmark=NAME, model=args.model or "default", feedback=args.feedback, t_max=args.t_max,
                       max_tokens=args.max_tokens, tiers=args.tiers,
                       wording=args.wording)
    return runner.execute(NAME, args, argv, tasks, config=config, title="HumanEval",
                          make_scorer=lambda: unit_test_scorer(SandboxLimits(timeout_s=args.test_timeout)),
                          summarize=summarize, progress=progress, extra={"task_set": args.task_set})


if __name__ == "__main__":
    sys.exit(main())
