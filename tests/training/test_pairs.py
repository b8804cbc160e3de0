"""Preference pairs: mining attempt histories, dedup, the by-task split, and the JSON Lines files."""

from __future__ import annotations

import dataclasses
import json

import pytest

from secgen.engine.tasks import Task, write_task_file
from secgen.engine.prompts import generation_messages
from secgen.engine.record import LoopResult
from secgen.training.pairs import (PairError, PreferencePair, append_pairs, dedupe, is_validation_task,
                                   pairs_from_record, pairs_from_results, read_pairs, split_by_task, write_pairs)

SHELL = Task(task_id="T/shell", prompt="Write run(cmd) that runs a shell command.", language="python", cwe="CWE-78")
TESTED = Task(task_id="HumanEval/0", prompt="Write add(a, b).", language="python", entry_point="add",
              tests="def check(candidate):\n    assert candidate(1, 2) == 3\n")


def _round(number, code, *, blocking=0, **scores):
    findings = [{"analyzer": "bandit", "rule_id": f"B60{i}", "cwe": 78, "line": i + 1} for i in range(blocking)]
    return {"round": number, "code": code, "blocking": findings, "findings": blocking, **scores}


def _pair(task_id="T/1", chosen="```python\nok()\n```", rejected="```python\nbad()\n```", prompt="do it"):
    return PreferencePair(prompt=({"role": "user", "content": prompt},), chosen=chosen, rejected=rejected,
                          meta={"task_id": task_id, "source": "test", "language": "python"})


def test_flawed_attempts_pair_with_distinct_good_ones_most_flawed_first():
    record = {"task_id": "T/shell", "language": "python", "rounds": [
        _round(0, "os.system(cmd)\n", blocking=1),
        _round(1, "subprocess.call(cmd, shell=True)\n", blocking=2),
        _round(2, "subprocess.run([cmd])\n"),
        _round(3, "subprocess.run([cmd])   \n"),  # the same code again: one attempt
        _round(4, ""),  # nothing usable: ignored
    ]}
    pairs = pairs_from_record(LoopResult.from_dict(record), SHELL)
    assert [(p.meta["rejected_round"], p.meta["chosen_round"]) for p in pairs] == [(1, 2), (0, 2)]
    first = pairs[0]
    assert first.chosen == "```python\nsubprocess.run([cmd])\n```"
    assert first.rejected == "```python\nsubprocess.call(cmd, shell=True)\n```"
    assert list(first.prompt) == [{"role": m.role, "content": m.content}
                                  for m in generation_messages(SHELL.prompt, "python")]
    assert first.meta["rejected_blocking"] == [{"analyzer": "bandit", "rule_id": "B600", "cwe": 78},
                                               {"analyzer": "bandit", "rule_id": "B601", "cwe": 78}]
    assert first.meta | {"rejected_blocking": None} == {
        "task_id": "T/shell", "source": "repair-loop", "language": "python", "rejected_round": 1,
        "chosen_round": 2, "rejected_blocking": None, "reason": "findings", "cwe": "CWE-78"}


def test_an_attempt_that_fails_or_skips_the_tests_is_never_chosen():
    record = {"task_id": "HumanEval/0", "rounds": [
        _round(0, "def add(a, b):\n    return a - b\n", passed=False),
        _round(1, "def add(a, b):\n    return eval(f'{a}+{b}')\n", vulnerable=True, passed=True),
        _round(2, "def add(a, b):\n    return a + b\n", passed=True),
        _round(3, "def add(a, b):\n    return b + a\n"),  # never tested: not trusted as chosen
    ]}
    pairs = pairs_from_record(LoopResult.from_dict(record), TESTED)
    assert {p.meta["chosen_round"] for p in pairs} == {2}
    assert [(p.meta["rejected_round"], p.meta["reason"]) for p in pairs] == [(1, "vulnerable"), (0, "failed-tests")]
    # without tests in the task, a clean untested attempt is good
    untested = dataclasses.replace(TESTED, tests=None)
    assert {p.meta["chosen_round"] for p in pairs_from_record(LoopResult.from_dict(record), untested)} == {2, 3}


def test_no_pair_without_both_a_flawed_and_a_good_attempt():
    clean = {"task_id": "T/shell", "rounds": [_round(0, "a()\n"), _round(1, "b()\n")]}
    flawed = {"task_id": "T/shell", "rounds": [_round(0, "a()\n", blocking=1), _round(1, "b()\n", vulnerable=True)]}
    assert pairs_from_record(LoopResult.from_dict(clean), SHELL) == [] and pairs_from_record(LoopResult.from_dict(flawed), SHELL) == []


def test_at_most_max_per_task_pairs_keeping_the_most_flawed():
    rounds = [_round(i, f"bad{i}()\n", blocking=i + 1) for i in range(3)]
    rounds += [_round(3 + i, f"good{i}()\n") for i in range(2)]
    record = {"task_id": "T/shell", "rounds": rounds}
    assert len(pairs_from_record(LoopResult.from_dict(record), SHELL)) == 4
    two = pairs_from_record(LoopResult.from_dict(record), SHELL, max_per_task=2)
    assert [(p.meta["rejected_round"], p.meta["chosen_round"]) for p in two] == [(2, 3), (2, 4)]
    with pytest.raises(ValueError):
        pairs_from_record(LoopResult.from_dict(record), SHELL, max_per_task=0)
    with pytest.raises(PairError, match="given with task"):
        pairs_from_record(LoopResult.from_dict(record), TESTED)


def test_pairs_from_a_results_file_skip_the_header_and_count_what_they_cannot_use(tmp_path):
    good = {"task_id": "T/shell", "rounds": [_round(0, "os.system(c)\n", blocking=1), _round(1, "run([c])\n")]}
    lines = [json.dumps({"header": {"benchmark": "cyberseceval"}}), json.dumps(good), "not json",
             json.dumps({"task_id": "T/other", "rounds": []}), json.dumps({"task_id": "HumanEval/0", "rounds": 3}),
             json.dumps(good)[:20]]  # the last line cut short
    path = tmp_path / "results.jsonl"
    path.write_text("\n".join(lines) + "\n")
    pairs, stats = pairs_from_results(path, [SHELL, TESTED])
    assert [p.meta["task_id"] for p in pairs] == ["T/shell"]
    assert stats == {"records": 1, "pairs": 1, "skipped": 1, "unreadable": 3}
    with pytest.raises(PairError, match="cannot read results"):
        pairs_from_results(tmp_path / "missing.jsonl", [SHELL])


def test_dedupe_keeps_the_first_and_drops_equal_answers():
    a = _pair()
    again = _pair(chosen="```python\nok()   \n```\n", prompt="do it  ")  # differs only in trailing whitespace
    other = _pair(chosen="```python\nfine()\n```")
    same = _pair(chosen="```python\nbad()\n```  ")
    assert again.key == a.key and other.key != a.key
    kept, dropped = dedupe([a, again, other, same])
    assert kept == [a, other] and dropped == 2
    assert hash(again) == hash(a) and len({a, _pair(), other}) == 2  # hashable


def test_pairs_are_frozen_and_validated():
    with pytest.raises(dataclasses.FrozenInstanceError):
        _pair().chosen = "x"
    with pytest.raises(PairError, match="meta is missing source, language"):
        PreferencePair(prompt=({"role": "user", "content": "p"},), chosen="a", rejected="b", meta={"task_id": "t"})
    with pytest.raises(PairError, match="here: prompt must be a non-empty list"):
        PreferencePair.from_dict({"prompt": "p", "chosen": "a", "rejected": "b", "meta": {}}, "here")
    with pytest.raises(PairError, match="here: missing chosen"):
        PreferencePair.from_dict({"prompt": [], "rejected": "b", "meta": {}}, "here")


def _many(count=40):
    return [_pair(task_id=f"T/{i}", chosen=f"```python\nok{j}()\n```") for i in range(count) for j in range(2)]


def test_split_keeps_each_task_on_one_side_deterministically_and_as_is_validation_task_says():
    pairs = _many()
    train, held = split_by_task(pairs, validation=0.25, seed=3)
    assert len(train) + len(held) == len(pairs) and train and held
    assert not {p.task_id for p in train} & {p.task_id for p in held}
    assert all(is_validation_task(p.task_id, validation=0.25, seed=3) for p in held)
    assert not any(is_validation_task(p.task_id, validation=0.25, seed=3) for p in train)
    assert split_by_task(pairs, validation=0.25, seed=3) == (train, held)
    assert split_by_task(pairs, validation=0.25, seed=4)[1] != held
    assert train == [p for p in pairs if p in train]  # order kept


def test_split_never_leaves_a_side_empty_with_two_tasks():
    pairs = [_pair(task_id="T/a"), _pair(task_id="T/b")]
    assert not any(is_validation_task(t, validation=0.001, seed=0) for t in ("T/a", "T/b"))
    for validation in (0.001, 1.0):
        train, held = split_by_task(pairs, validation=validation, seed=0)
        assert len(train) == 1 and len(held) == 1
    assert split_by_task(pairs, validation=0.0) == (pairs, [])
    assert sorted(map(len, split_by_task(pairs[:1], validation=0.5))) == [0, 1]  # one task: one side
    with pytest.raises(ValueError):
        split_by_task(pairs, validation=1.5)


def test_write_is_atomic_and_reads_back(tmp_path):
    path = tmp_path / "out" / "pairs.jsonl"
    pairs = _many(3)
    assert write_pairs(path, pairs) == path
    assert read_pairs(path) == pairs
    assert [p.name for p in path.parent.iterdir()] == ["pairs.jsonl"]

    def broken():
        yield _pair()
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        write_pairs(path, broken())
    assert read_pairs(path) == pairs and [p.name for p in path.parent.iterdir()] == ["pairs.jsonl"]


def test_append_creates_the_folder_and_adds_lines(tmp_path):
    path = tmp_path / "collector" / "deep" / "pairs.jsonl"
    assert append_pairs(path, [_pair(task_id="T/1")]) == 1
    assert append_pairs(path, [_pair(task_id="T/2"), _pair(task_id="T/3")]) == 2
    assert [p.task_id for p in read_pairs(path)] == ["T/1", "T/2", "T/3"]


def test_bad_lines_are_named(tmp_path):
    path = tmp_path / "pairs.jsonl"
    good = json.dumps(_pair().to_dict())
    path.write_text(good + "\n\nnot json\n")
    with pytest.raises(PairError, match=r"pairs.jsonl:3: not JSON"):
        read_pairs(path)
    path.write_text(good + "\n" + json.dumps({"prompt": [{"role": "user", "content": "p"}], "chosen": "a"}) + "\n")
    with pytest.raises(PairError, match=r"pairs.jsonl:2: missing rejected, meta"):
        read_pairs(path)
    bad_meta = _pair().to_dict() | {"meta": {"task_id": 3, "source": "s", "language": "python"}}
    path.write_text(json.dumps(bad_meta) + "\n")
    with pytest.raises(PairError, match=r"pairs.jsonl:1: meta is missing task_id"):
        read_pairs(path)
    with pytest.raises(PairError, match="cannot read pairs"):
        read_pairs(tmp_path / "missing.jsonl")


def test_runs_of_one_task_are_pooled_before_pairing(tmp_path):
    """A greedy run that wrote only flawed code and a sampled run that wrote clean code make a pair together."""
    from secgen.training.mine import pairs_from_runs

    task_file = tmp_path / "tasks.jsonl"
    write_task_file([Task(task_id="T/1", prompt="Write f.", source="test")], task_file)
    for name, code, blocking in (("greedy", "import os\nos.system(x)\n", [{"analyzer": "bandit", "rule_id": "B605",
                                                                             "cwe": 78, "line": 2}]),
                                 ("sampled", "import subprocess\n", [])):
        (tmp_path / f"{name}.jsonl").write_text(json.dumps({"header": {}}) + "\n" + json.dumps(
            {"task_id": "T/1", "language": "python", "rounds": [{"round": 0, "code": code, "blocking": blocking}]}) + "\n")
    alone, _ = pairs_from_runs([tmp_path / "greedy.jsonl"], [str(task_file)])
    pooled, stats = pairs_from_runs([tmp_path / "greedy.jsonl", tmp_path / "sampled.jsonl"], [str(task_file)])
    assert alone == [] and len(pooled) == 1 and stats["tasks_with_pairs"] == 1
    assert "os.system" in pooled[0].rejected and "subprocess" in pooled[0].chosen
