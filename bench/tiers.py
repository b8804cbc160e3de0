"""What each repair tier did in a run: findings removed, tasks it made clean, time it took, refusals.

The loop records every attempt with the tier that made it (``origin``: ``first``,
``fix``, ``guided``, ``repair``; :mod:`secgen.engine.record`). This reads one
or more ``results.jsonl`` files and, per tier:

* **findings removed**: walking each task's attempts from the first answer to
  the best one, every attempt the guard let through that has fewer blocking
  findings than the attempt it improved on is credited with the difference
  (the chain a reader of the record can follow);
* **made clean**: tasks whose best attempt is clean and came from that tier;
* **attempts** and **refused** (by the function guard), and the time per
  attempt (median and p95; a mechanical fix's time includes re-analysing the
  fixed code), with the guided re-decode's median as a ratio of a model
  repair round's median, both from the same run.

    secgen bench tiers docs/results/runs/cyberseceval-autocomplete-0.5b-tiers/results.jsonl
    secgen bench tiers RUN/results.jsonl --json tiers.json
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Sequence

from secgen.engine.measure import percentile
from secgen.engine.record import FIRST, ORIGINS, LoopResult, RecordError, read_results

REPAIR_TIERS = tuple(o for o in ORIGINS if o != FIRST)


def credit(result: LoopResult) -> Counter:
    """Blocking findings removed per tier along the task's improving chain, up to its best attempt."""
    removed: Counter = Counter()
    if not result.attempts or result.best is None:
        return removed
    current = result.attempts[0]
    for attempt in result.attempts[1:result.best_index + 1]:
        if attempt.rejected or not attempt.text or len(attempt.blocking) >= len(current.blocking):
            continue
        removed[attempt.origin] += len(current.blocking) - len(attempt.blocking)
        current = attempt
    return removed


def summarize(results: Sequence[LoopResult]) -> dict[str, Any]:
    removed: Counter = Counter()
    clean: Counter = Counter()
    attempts: Counter = Counter()
    refused: Counter = Counter()
    seconds: dict[str, list[float]] = defaultdict(list)
    flagged = sum(1 for r in results if r.attempts and r.attempts[0].blocking)
    for result in results:
        removed += credit(result)
        if result.best is not None and result.clean and result.attempts[0].blocking:
            clean[result.best.origin] += 1
        for attempt in result.attempts[1:]:
            attempts[attempt.origin] += 1
            refused[attempt.origin] += bool(attempt.rejected)
            seconds[attempt.origin].append(attempt.seconds)
    tiers = {tier: {"findings_removed": removed[tier], "made_clean": clean[tier], "attempts": attempts[tier],
                    "refused_by_guard": refused[tier],
                    "seconds_p50": _round(percentile(seconds[tier], 50)),
                    "seconds_p95": _round(percentile(seconds[tier], 95))} for tier in REPAIR_TIERS}
    guided, repair = tiers["guided"]["seconds_p50"], tiers["repair"]["seconds_p50"]
    return {"tasks": len(results), "first_answers_flagged": flagged,
            "first_blocking_findings": sum(len(r.attempts[0].blocking) for r in results if r.attempts),
            "tiers": tiers, "guided_over_repair_p50": round(guided / repair, 3) if guided and repair else None}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def render(summary: dict[str, Any]) -> str:
    lines = [f"{summary['tasks']} tasks, {summary['first_answers_flagged']} first answers flagged "
             f"({summary['first_blocking_findings']} blocking findings)",
             f"{'tier':<8} {'removed':>8} {'clean':>6} {'attempts':>9} {'refused':>8} {'p50 s':>8} {'p95 s':>8}"]
    for tier, t in summary["tiers"].items():
        p50 = "-" if t["seconds_p50"] is None else f"{t['seconds_p50']:.3f}"
        p95 = "-" if t["seconds_p95"] is None else f"{t['seconds_p95']:.3f}"
        lines.append(f"{tier:<8} {t['findings_removed']:>8} {t['made_clean']:>6} {t['attempts']:>9} "
                     f"{t['refused_by_guard']:>8} {p50:>8} {p95:>8}")
    if summary["guided_over_repair_p50"] is not None:
        lines.append(f"guided re-decode / model repair round, median time: {summary['guided_over_repair_p50']:.2f}x")
    return "\n".join(lines)


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="secgen bench tiers", description=__doc__.split("\n\n")[0])
    parser.add_argument("results", nargs="+", type=Path, help="results.jsonl files of benchmark runs")
    parser.add_argument("--json", type=Path, default=None, help="also write the summary here")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    results: list[LoopResult] = []
    try:
        for path in args.results:
            results.extend(read_results(path).results)
    except RecordError as exc:
        print(f"secgen bench tiers: error: {exc}", file=sys.stderr)
        return 2
    summary = summarize(results)
    print(render(summary))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
