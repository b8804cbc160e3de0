"""Do two runs give the same answers? Task by task, attempt by attempt: code, blocking findings, scores.

A refactor of the loop, a new llama.cpp build or another CPU should leave a
greedy run's answers alone, or say exactly where they fork (llama.cpp's
kernels round differently on AVX2 and AVX-512, and the 0.5B model's greedy
answers fork there). This reads two ``results.jsonl`` files of any schema
(:func:`secgen.engine.record.read_results`) and compares, for each task both
hold: the code of every attempt, the rule ids of its blocking findings (rule
and analyzer; messages and lines are not compared, since a schema-1 run did
not record messages), its scores, which attempt is best, and why the loop
stopped. Timings are not compared. When the two runs were made on different CPU kinds or at
different commits (as their run files record), the comparison says so first.

    secgen bench diff before/results.jsonl after/results.jsonl       # exit 1 when any task differs

Prints one line per differing task and a summary line; ``--json FILE`` writes
the comparison.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Sequence

from secgen.engine.measure import machines_differ
from secgen.engine.record import LoopResult, RecordError, read_results, run_machines

def answers(result: LoopResult) -> dict[str, Any]:
    """What a run's record says of one task that a second run should repeat."""
    return {"attempts": [{"text": a.text, "blocking": sorted((f.analyzer, f.rule_id) for f in a.blocking),
                          "scores": dict(a.scores)}
                         for a in result.attempts],
            "best": result.best_index, "stop_reason": result.stop_reason}


def first_difference(a: dict[str, Any], b: dict[str, Any]) -> str | None:
    """Where two tasks' :func:`answers` first differ, in words; ``None`` when they do not."""
    if len(a["attempts"]) != len(b["attempts"]):
        return f"{len(a['attempts'])} vs {len(b['attempts'])} attempts"
    for number, (x, y) in enumerate(zip(a["attempts"], b["attempts"])):
        for key in ("text", "blocking", "scores"):
            if x[key] != y[key]:
                return f"attempt {number}: {'code' if key == 'text' else key} differs"
    for key in ("best", "stop_reason"):
        if a[key] != b[key]:
            return f"{key}: {a[key]} vs {b[key]}"
    return None


def compare(first: Path, second: Path) -> dict[str, Any]:
    runs = [read_results(path) for path in (first, second)]
    by_task = [{r.task_id: r for r in run.results} for run in runs]
    common = [t for t in by_task[0] if t in by_task[1]]
    differing = {}
    for task_id in common:
        where = first_difference(answers(by_task[0][task_id]), answers(by_task[1][task_id]))
        if where:
            differing[task_id] = where
    return {"first": str(first), "second": str(second), "tasks_compared": len(common),
            "only_in_first": [t for t in by_task[0] if t not in by_task[1]],
            "only_in_second": [t for t in by_task[1] if t not in by_task[0]],
            "identical": len(common) - len(differing), "differing": differing,
            "attempts_compared": sum(len(by_task[0][t].attempts) for t in common),
            "unreadable_lines": [run.unreadable for run in runs],
            "machines_differ": machines_differ(run_machines(first), run_machines(second))}


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="secgen bench diff", description=__doc__.split("\n\n")[0])
    parser.add_argument("first", type=Path, help="a results.jsonl")
    parser.add_argument("second", type=Path, help="another results.jsonl")
    parser.add_argument("--json", type=Path, default=None, help="write the comparison here")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    try:
        result = compare(args.first, args.second)
    except RecordError as exc:
        print(f"secgen bench diff: error: {exc}", file=sys.stderr)
        return 2
    if result["machines_differ"]:
        print(f"note: the runs are {result['machines_differ']}")
    for task_id, where in result["differing"].items():
        print(f"{task_id}: {where}")
    print(f"{result['identical']} of {result['tasks_compared']} task(s) identical "
          f"({result['attempts_compared']} attempt(s) compared); {len(result['differing'])} differ; "
          f"only in the first {len(result['only_in_first'])}, only in the second {len(result['only_in_second'])}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return 1 if result["differing"] or not result["tasks_compared"] else 0


if __name__ == "__main__":
    sys.exit(main())
