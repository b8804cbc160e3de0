"""`secgen bench tiers`: what each repair tier did, from the records of a run."""

from __future__ import annotations

import json

from secgen.analyzers import Finding, Range, Severity
from secgen.bench import tiers
from secgen.engine.record import Attempt, LoopResult


def _finding(rule: str) -> Finding:
    return Finding(analyzer="bandit", rule_id=rule, message=rule, severity=Severity.HIGH, range=Range.lines(0))


def _attempt(origin: str, rules: list[str], seconds: float, **extra) -> Attempt:
    found = tuple(_finding(r) for r in rules)
    return Attempt(round=0 if origin == "first" else 1, origin=origin, text=f"# {origin}\n", findings=found,
                   blocking=found, seconds=seconds, **extra)


def _run(*attempts: Attempt, best: int, task: str) -> LoopResult:
    return LoopResult(best=attempts[best], attempts=attempts, stop_reason="clean", task_id=task)


RUNS = [
    # two findings: the mechanical tier removes one, a guided re-decode the other
    _run(_attempt("first", ["B602", "B324"], 2.0), _attempt("fix", ["B324"], 0.1, fixes=("subprocess-argument-list",)),
         _attempt("guided", [], 1.0), best=2, task="a"),
    # a guided attempt the guard refused, then a model repair round that made it clean
    _run(_attempt("first", ["B608"], 2.0), _attempt("guided", [], 1.2, rejected="the repair drops function f"),
         _attempt("repair", [], 4.0), best=2, task="b"),
    _run(_attempt("first", [], 1.0), best=0, task="c"),
]


def test_each_tier_is_credited_along_the_improving_chain():
    summary = tiers.summarize(RUNS)
    assert summary["tasks"] == 3 and summary["first_answers_flagged"] == 2 and summary["first_blocking_findings"] == 3
    fix, guided, repair = (summary["tiers"][t] for t in ("fix", "guided", "repair"))
    assert (fix["findings_removed"], guided["findings_removed"], repair["findings_removed"]) == (1, 1, 1)
    assert (fix["made_clean"], guided["made_clean"], repair["made_clean"]) == (0, 1, 1)
    assert guided["attempts"] == 2 and guided["refused_by_guard"] == 1
    assert summary["guided_over_repair_p50"] == 1.1 / 4.0


def test_the_command_prints_a_table_and_writes_json(tmp_path, capsys):
    path = tmp_path / "results.jsonl"
    path.write_text("".join(json.dumps(r.to_dict()) + "\n" for r in RUNS))
    assert tiers.main([str(path), "--json", str(tmp_path / "tiers.json")]) == 0
    out = capsys.readouterr().out
    assert "3 tasks, 2 first answers flagged" in out and "0.28x" in out
    assert json.loads((tmp_path / "tiers.json").read_text())["tiers"]["fix"]["findings_removed"] == 1
    assert tiers.main([str(tmp_path / "missing.jsonl")]) == 2
