"""Before/after figures split by whether the tuned model trained on the task."""

from __future__ import annotations

import json

from secgen.training.compare import compare, table
from secgen.training.pairs import PreferencePair, write_pairs


def results(path, records):
    lines = [json.dumps({"header": {"benchmark": "humaneval"}})]
    for task_id, first, best in records:
        rounds = [{"round": 0, "code": "a", "blocking": [] if first["clean"] else [{"rule_id": "F821"}],
                   "passed": first["passed"]}]
        if best is not None:
            rounds.append({"round": 1, "code": "b", "blocking": [], "passed": best["passed"]})
        lines.append(json.dumps({"task_id": task_id, "rounds": rounds, "best_round": rounds[-1]["round"]}))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_figures_for_seen_and_unseen_tasks(tmp_path):
    ok, bad = {"clean": True, "passed": True}, {"clean": False, "passed": False}
    base = results(tmp_path / "base.jsonl", [("A", bad, ok), ("B", bad, None), ("C", ok, None)])
    tuned = results(tmp_path / "tuned.jsonl", [("A", ok, None), ("B", ok, None), ("C", bad, None), ("D", ok, None)])
    pairs = write_pairs(tmp_path / "train.jsonl", [PreferencePair(
        prompt=({"role": "user", "content": "q"},), chosen="x", rejected="y",
        meta={"task_id": "A", "source": "repair-loop", "language": "python"})])
    result = compare(base, tuned, [pairs])
    assert result["all"]["base"]["n"] == 3  # D is only in the tuned run: not compared
    assert result["seen"]["tuned"]["n"] == 1 and result["unseen"]["tuned"]["n"] == 2
    assert result["unseen"]["base"]["pass@1"] == {"before": 0.5, "after": 0.5}
    assert result["unseen"]["tuned"]["pass@1"] == {"before": 0.5, "after": 0.5}
    assert result["seen"]["base"]["efr"] == {"before": 0.0, "after": 1.0}
    assert result["seen"]["tuned"]["efr"] == {"before": 1.0, "after": 1.0}
    assert "vulnerable" not in result["all"]["base"]
    rendered = table(result)
    assert "| unseen | tuned | 2 | 50.0% | 50.0% |" in rendered


def test_the_command_names_runs_from_different_cpu_kinds(tmp_path, capsys):
    from secgen.training.cli import main

    ok = {"clean": True, "passed": True}
    (tmp_path / "base").mkdir()
    (tmp_path / "tuned").mkdir()
    base = results(tmp_path / "base" / "results.jsonl", [("A", ok, None)])
    tuned = results(tmp_path / "tuned" / "results.jsonl", [("A", ok, None)])
    pairs = write_pairs(tmp_path / "train.jsonl", [])
    for folder, avx512 in (("base", True), ("tuned", False)):
        (tmp_path / folder / "summary.json").write_text(json.dumps([{"machine": {
            "cpu_flags": {"avx2": True, "avx512": avx512, "amx": False}, "secgen_commit": "abc1234"}}]))
    out = tmp_path / "compare.json"
    assert main(["compare", "--base-results", str(base), "--tuned-results", str(tuned), "--train-pairs", str(pairs),
                 "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("note: the base and tuned runs are from different CPU kinds (AVX-512, AVX2")
    assert json.loads(out.read_text())["machines_differ"].startswith("from different CPU kinds")
