"""`secgen bench diff`: two runs' answers compared task by task, across the two record schemas."""

from __future__ import annotations

import json
from dataclasses import replace

from secgen.analyzers import Finding, Range, Severity
from secgen.bench import diff
from secgen.engine.jsonl import write_jsonl
from secgen.engine.record import Attempt, LoopResult

B602 = Finding(analyzer="bandit", rule_id="B602", message="shell", severity=Severity.HIGH, range=Range.lines(3))


def _result(task_id: str, *texts: str, passed: bool = True) -> LoopResult:
    attempts = tuple(Attempt(round=i, text=t, findings=(B602,) if "shell" in t else (),
                             blocking=(B602,) if "shell" in t else (), scores={"passed": passed})
                     for i, t in enumerate(texts))
    return LoopResult(best=attempts[-1], attempts=attempts, stop_reason="clean", task_id=task_id)


def _v1(result: LoopResult) -> dict:
    """The same record as a schema-1 benchmark line (what runs before the record looked like)."""
    return {"task_id": result.task_id, "stop_reason": result.stop_reason, "best_round": result.best.round,
            "rounds": [{"round": a.round, "code": a.text, "findings": len(a.findings),
                        "blocking": [{**f.brief(), "line": f.line + 1} for f in a.blocking], **a.scores}
                       for a in result.attempts]}


def test_same_answers_in_either_schema_are_identical_and_a_fork_is_named(tmp_path, capsys):
    runs = [_result("T/0", "run(c, shell=True)\n", "run(c.split())\n"), _result("T/1", "x = 1\n")]
    old = write_jsonl(tmp_path / "old.jsonl", [{"header": {}}, *map(_v1, runs)])
    new = write_jsonl(tmp_path / "new.jsonl", [{"header": {}}, *(r.to_dict() for r in runs)])
    assert diff.main([str(old), str(new), "--json", str(tmp_path / "d.json")]) == 0
    assert "2 of 2 task(s) identical (3 attempt(s) compared); 0 differ" in capsys.readouterr().out
    assert json.loads((tmp_path / "d.json").read_text())["identical"] == 2

    forked = [_result("T/0", "run(c, shell=True)\n", "run(c.split(' '))\n"), replace(runs[1], stop_reason="t_max"),
              _result("T/2", "y = 2\n")]
    other = write_jsonl(tmp_path / "other.jsonl", [{"header": {}}, *(r.to_dict() for r in forked)])
    assert diff.main([str(old), str(other)]) == 1
    out = capsys.readouterr().out
    assert "T/0: attempt 1: code differs" in out and "T/1: stop_reason: clean vs t_max" in out
    assert "0 of 2 task(s) identical" in out and "only in the second 1" in out
    failing = write_jsonl(tmp_path / "failing.jsonl", [{"header": {}}, _result("T/1", "x = 1\n", passed=False).to_dict()])
    assert diff.main([str(new), str(failing)]) == 1 and "T/1: attempt 0: scores differ" in capsys.readouterr().out


def test_an_unreadable_file_is_one_line(tmp_path, capsys):
    assert diff.main([str(tmp_path / "a.jsonl"), str(tmp_path / "b.jsonl")]) == 2
    assert capsys.readouterr().err.startswith("secgen bench diff: error: cannot read results from")


def test_runs_from_different_cpu_kinds_or_commits_are_named_first(tmp_path, capsys):
    def machine(avx512, commit):
        return {"cpu_flags": {"avx2": True, "avx512": avx512, "amx": False}, "secgen_commit": commit}

    run = _result("T/0", "x = 1\n").to_dict()
    here = write_jsonl(tmp_path / "a" / "results.jsonl",
                       [{"header": {}}, {"session": {"machine": machine(False, "aaa1111")}}, run])
    same = write_jsonl(tmp_path / "b" / "results.jsonl",
                       [{"header": {}}, {"session": {"machine": machine(False, "aaa1111")}}, run])
    assert diff.main([str(here), str(same)]) == 0 and "note:" not in capsys.readouterr().out
    other = write_jsonl(tmp_path / "c" / "results.jsonl", [{"header": {}}, run])
    (tmp_path / "c" / "summary.json").write_text(json.dumps([{"machine": machine(True, "bbb2222")}]))
    assert diff.main([str(here), str(other), "--json", str(tmp_path / "d.json")]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first == ("note: the runs are from different CPU kinds (AVX2, AVX-512: llama.cpp's greedy answers fork "
                     "between them) and commits (aaa1111, bbb2222)")
    assert json.loads((tmp_path / "d.json").read_text())["machines_differ"] == first.removeprefix("note: the runs are ")
