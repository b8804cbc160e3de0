"""The one record of a loop run: what the loop writes in it, its round trip, the old schema, every committed run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from secgen.analyzers import Finding, Range, Severity, default_registry
from secgen.engine.fake import ScriptedBackend
from secgen.engine.loop import LoopConfig, RepairLoop
from secgen.engine.record import SCHEMA, Attempt, LoopResult, RecordError, read_results

RUNS = Path(__file__).resolve().parents[2] / "docs" / "results" / "runs"
SHELL = "```python\nimport subprocess\n\ndef run(c):\n    return subprocess.run(c, shell=True)\n```"
SAFE = "```python\nimport subprocess\n\ndef run(c):\n    return subprocess.run(c.split())\n```"


def _run(*replies: str, tiers=("repair",)) -> LoopResult:
    config = LoopConfig(tiers=tiers)
    return RepairLoop(ScriptedBackend(chat_replies=list(replies)), default_registry(), config).generate("x")


def test_the_loop_records_how_each_attempt_was_made_its_tokens_and_timings():
    result = _run(SHELL, SAFE)
    first, repair = result.attempts
    assert (first.origin, repair.origin) == ("first", "repair") and result.best is repair
    assert [f.rule_id for f in first.blocking] == ["B602"] and set(first.blocking) <= set(first.findings)
    # the fake streams a few characters a chunk: more chunks than one, fewer than characters
    assert 1 < first.tokens < len(SHELL) and first.raw == SHELL and "B602" in repair.prompt
    assert first.seconds >= first.generation_s > 0 and first.analysis_s > 0
    assert result.language == "python" and result.seconds >= max(first.seconds, repair.seconds)


def test_a_record_survives_its_round_trip_through_json():
    result = _run(SHELL, SAFE).scored(lambda attempt: {"passed": "split" in attempt.text})
    data = json.loads(json.dumps(result.to_dict()))
    assert data["schema"] == SCHEMA and data["best"] == 1 and data["clean"] is True
    again = LoopResult.from_dict(data)
    assert again.best is again.attempts[1]
    assert [a.scores for a in again.attempts] == [{"passed": False}, {"passed": True}]
    for old, new in zip(result.attempts, again.attempts):
        assert (new.text, new.findings, new.blocking, new.tokens, new.origin, new.prompt, new.raw) == \
               (old.text, old.findings, old.blocking, old.tokens, old.origin, old.prompt, old.raw)
    compact = LoopResult.from_dict(json.loads(json.dumps(result.compact().to_dict())))
    assert [a.prompt for a in compact.attempts] == ["", ""] and compact.text == result.text


def test_each_tier_is_recorded_with_what_it_did_and_survives_the_round_trip():
    result = _run(SHELL, SAFE, tiers=("fix", "guided", "repair"))
    assert [a.origin for a in result.attempts] == ["first", "fix"] and result.best.fixes == ("subprocess-argument-list",)
    refused = Attempt(round=1, origin="guided", text="def run(c):\n    return 0\n", seed=2,
                      rejected="the repair removes what run does (process)")
    data = json.loads(json.dumps(result.with_attempts([*result.attempts[:1], result.attempts[1]]).to_dict()))
    again = LoopResult.from_dict(data)
    assert again.best.fixes == ("subprocess-argument-list",) and again.best.origin == "fix"
    back = Attempt.from_dict(json.loads(json.dumps(refused.to_dict())))
    assert (back.origin, back.seed, back.rejected) == ("guided", 2, refused.rejected)
    assert "fixes" not in result.first.to_dict() and "seed" not in result.first.to_dict()  # only when set


def test_a_schema_1_record_loads_with_its_blocking_findings_and_scores():
    old = {"task_id": "HumanEval/7", "language": "python", "stop_reason": "no_progress", "best_round": 0,
           "clean": False, "analyzer_failures": {}, "seconds": 3.5, "rounds": [
               {"round": 0, "code": "import hashlib\nhashlib.md5(b'')\n", "findings": 2, "generation_s": 1.0,
                "analysis_s": 0.01, "blocking": [{"analyzer": "bandit", "rule_id": "B324", "cwe": 327, "line": 2}],
                "passed": True, "test": "passed"},
               {"round": 1, "code": "import hashlib\nhashlib.md5(b'')\n", "findings": 2, "blocking": [
                   {"analyzer": "bandit", "rule_id": "B324", "cwe": 327, "line": 2}], "passed": True}]}
    result = LoopResult.from_dict(old)
    assert result.task_id == "HumanEval/7" and result.best is result.attempts[0] and not result.clean
    first = result.first
    assert first.origin == "first" and result.attempts[1].origin == "repair"
    assert [(f.analyzer, f.rule_id, f.cwe, f.line) for f in first.blocking] == [("bandit", "B324", 327, 1)]
    assert first.scores == {"passed": True, "test": "passed"} and first.generation_s == 1.0
    # written again, it is a schema-2 record that reads back the same
    again = LoopResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert again.attempts == result.attempts and again.best_index == 0


@pytest.mark.parametrize("data, message", [
    ([], "must be an object"),
    ({"schema": 9, "attempts": []}, "schema 9"),
    ({"schema": SCHEMA}, "no list of attempts"),
    ({"schema": SCHEMA, "attempts": [{"round": 0, "origin": "first"}], "best": None}, "not an attempt"),
    ({"schema": SCHEMA, "attempts": [], "best": 0}, "is not one of its 0 attempts"),
    ({"rounds": [{"round": 0, "code": "x", "blocking": 3}]}, "not an attempt"),
])
def test_what_is_not_a_record_is_a_record_error(data, message):
    with pytest.raises(RecordError, match=message):
        LoopResult.from_dict(data)


def test_a_finding_flagged_blocking_stays_blocking_without_the_policy():
    info = Finding(analyzer="a", rule_id="R", message="m", severity=Severity.INFO, range=Range.lines(0))
    attempt = Attempt(round=0, text="x\n", findings=(info,), blocking=(info,))
    assert Attempt.from_dict(json.loads(json.dumps(attempt.to_dict()))).blocking == (info,)


def _committed_results() -> list[Path]:
    return sorted(RUNS.glob("*/results.jsonl"))


def test_there_are_committed_runs_to_load():
    assert len(_committed_results()) >= 10


def _raw_attempts(line: dict) -> list[tuple[str, int]]:
    """(code, blocking count) of each attempt of a record as written, in either schema."""
    if line.get("schema", 1) == 1:
        return [(r["code"], len(r["blocking"])) for r in line["rounds"]]
    return [(a["text"], sum(f["blocking"] for f in a["findings"])) for a in line["attempts"]]


def _raw_best(line: dict) -> int | None:
    if line.get("schema", 1) == 1:
        return next((i for i, r in enumerate(line["rounds"]) if r["round"] == line["best_round"]), None)
    return line["best"]


@pytest.mark.parametrize("path", _committed_results(), ids=lambda p: p.parent.name)
def test_every_committed_run_loads_through_the_record(path):
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    run = read_results(path)
    assert run.unreadable == 0 and run.header == lines[0]["header"]
    sessions = [line["session"] for line in lines[1:] if "session" in line]  # each start of the run: its machine
    assert list(run.sessions) == sessions and all(s["machine"]["cpu_flags"] for s in sessions)
    records = [line for line in lines[1:] if "session" not in line]
    assert [r.task_id for r in run.results] == list(dict.fromkeys(line["task_id"] for line in records))
    for result, line in zip(run.results, records):
        assert len(result.attempts) >= 1
        assert [(a.text, len(a.blocking)) for a in result.attempts] == _raw_attempts(line)
        assert result.best_index == _raw_best(line)
        assert {"passed", "vulnerable", "func"} & set(result.first.scores)  # every run was scored (SALLM: func, sec)
