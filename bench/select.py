"""Hard-set selection, the paper's "MultiEval" procedure, on the task sets we have.

The paper built MultiEval by generating a first solution for each of 16,534
tasks with several Qwen models and keeping the 376 tasks whose first-attempt
solution had analyzer errors. Here the same rule runs over benchmark results
(``results.jsonl`` from :mod:`secgen.bench.humaneval` or
:mod:`secgen.bench.cyberseceval`, one per model): a task is kept when the
first attempt had a blocking finding in at least ``--min-runs`` of the runs
(default 1: any model). The kept tasks are written as a secgen task file
(JSON Lines), which every benchmark reads back with ``--task-set`` /
``--tasks``... so the hard set is reusable across models and feedback modes.

    secgen bench select-hard --task-set humaneval \\
        bench-results/humaneval-0.5b-default/results.jsonl bench-results/humaneval-1.5b-default/results.jsonl \\
        --out hard-humaneval.jsonl
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from secgen.engine.record import RecordError, read_results
from secgen.engine.tasks import Task, TaskError, load_tasks, write_task_file


def flagged_first(results: Path) -> tuple[set[str], set[str]]:
    """The task ids whose first attempt had a blocking finding, and all task ids, in one results file."""
    try:
        run = read_results(results)
    except RecordError as exc:
        raise TaskError(str(exc)) from None
    if run.unreadable:
        print(f"warning: {results}: {run.unreadable} line(s) that are not task records skipped", file=sys.stderr)
    seen = {r.task_id for r in run.results}
    return {r.task_id for r in run.results if r.attempts and r.first.blocking}, seen


def hard_tasks(tasks: Sequence[Task], runs: Iterable[tuple[set[str], set[str]]], *, min_runs: int = 1) -> list[Task]:
    """The tasks flagged at the first attempt in at least ``min_runs`` runs, in task-set order, with why."""
    votes: dict[str, int] = {}
    for flagged, _ in runs:
        for task_id in flagged:
            votes[task_id] = votes.get(task_id, 0) + 1
    kept = []
    for task in tasks:
        if votes.get(task.task_id, 0) >= min_runs:
            meta: Mapping = {**task.meta, "hard": {"flagged_in_runs": votes[task.task_id]}}
            kept.append(Task(**{**task.__dict__, "meta": meta}))
    return kept


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="secgen bench select-hard", description=__doc__.split("\n\n")[0])
    parser.add_argument("results", nargs="+", type=Path, help="results.jsonl files, one per model run")
    parser.add_argument("--task-set", required=True, help="the task set the runs used: humaneval, a .jsonl task "
                                                          "file, or a CyberSecEval .json file")
    parser.add_argument("--min-runs", type=int, default=1, help="keep a task flagged in at least this many runs")
    parser.add_argument("--out", type=Path, required=True, help="the task file to write (.jsonl)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    try:
        if args.min_runs < 1 or args.min_runs > len(args.results):
            raise TaskError(f"--min-runs must be between 1 and {len(args.results)}")
        tasks = load_tasks(args.task_set)
        runs = [flagged_first(path) for path in args.results]
        known = {t.task_id for t in tasks}
        for path, (_, seen) in zip(args.results, runs):
            stray = seen - known
            if stray:
                raise TaskError(f"{path} has task ids that are not in {args.task_set} (e.g. {sorted(stray)[0]})")
        kept = hard_tasks(tasks, runs, min_runs=args.min_runs)
        write_task_file(kept, args.out)
    except TaskError as exc:
        print(f"secgen bench select-hard: error: {exc}", file=sys.stderr)
        return 2
    scored = set().union(*(seen for _, seen in runs))
    print(f"kept {len(kept)} of {len(scored)} scored task(s) ({len(tasks)} in the set), flagged at the first "
          f"attempt in at least {args.min_runs} of {len(runs)} run(s); wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
