"""Before and after tuning: one benchmark's figures for two models, on all tasks and on unseen ones.

A DPO run trains on pairs mined from benchmark prompts, so a figure over the
whole benchmark mixes tasks the tuned model has seen (their prompts were in
its training pairs) with tasks it has not. :func:`compare` reads the two
runs' ``results.jsonl`` files (the base model's and the tuned model's, same
benchmark, same settings) and the training pairs, and reports each figure
three ways: all tasks, *seen* tasks (a training pair's task id), and
*unseen* tasks (the honest measure of what tuning taught).

Figures, each at the first answer (the model alone) and after the repair
loop: pass@1 and EFR where the benchmark has tests (HumanEval), vulnerable %
where it has the Insecure Code Detector's verdict (CyberSecEval).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

from secgen.engine.measure import percent, rate
from secgen.engine.record import LoopResult, read_results
from secgen.training.pairs import read_pairs


def read_records(path: Path) -> dict[str, LoopResult]:
    return {r.task_id: r for r in read_results(path).results if r.attempts}


def figures(records: Sequence[LoopResult]) -> dict[str, Any]:
    out: dict[str, Any] = {"n": len(records)}
    tested = [r for r in records if r.first.scores.get("passed") is not None]
    if tested:
        out["pass@1"] = {"before": rate([bool(r.first.scores["passed"]) for r in tested]),
                         "after": rate([bool(r.answer.scores.get("passed")) for r in tested])}
    out["efr"] = {"before": rate([not r.first.blocking for r in records]),
                  "after": rate([not r.answer.blocking for r in records])}
    scored = [r for r in records if "vulnerable" in r.first.scores]
    if scored:
        out["vulnerable"] = {"before": rate([bool(r.first.scores["vulnerable"]) for r in scored]),
                             "after": rate([bool(r.answer.scores.get("vulnerable")) for r in scored])}
    return out


def compare(base_results: Path, tuned_results: Path, train_pairs: Sequence[Path]) -> dict[str, Any]:
    """Figures for both models over the tasks both runs hold: all, seen in training, unseen."""
    base, tuned = read_records(base_results), read_records(tuned_results)
    seen_ids = {p.task_id for path in train_pairs for p in read_pairs(path)}
    common = [t for t in base if t in tuned]
    groups = {"all": common, "seen": [t for t in common if t in seen_ids],
              "unseen": [t for t in common if t not in seen_ids]}
    return {name: {"base": figures([base[t] for t in ids]), "tuned": figures([tuned[t] for t in ids])}
            for name, ids in groups.items()}


def table(result: Mapping[str, Any]) -> str:
    """A markdown table: one row per (task group, model), before -> after per figure."""
    keys = [k for k in ("pass@1", "efr", "vulnerable") if k in result["all"]["base"]]
    head = "| tasks | model | n | " + " | ".join(f"{k} first answer | {k} after loop" for k in keys) + " |"
    rows = [head, "|" + "---|" * (3 + 2 * len(keys))]
    for group, models in result.items():
        for model, figs in models.items():
            cells = []
            for key in keys:
                pair = figs.get(key) or {}
                cells += [percent(pair.get("before"), "-"), percent(pair.get("after"), "-")]
            rows.append(f"| {group} | {model} | {figs['n']} | " + " | ".join(cells) + " |")
    return "\n".join(rows)

