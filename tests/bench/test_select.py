"""Hard-set selection (the paper's MultiEval rule) over results files, and the task file round trip."""

from __future__ import annotations

import json

import pytest

from secgen.bench import select
from secgen.engine.tasks import Task, TaskError, load_tasks, read_task_file, write_task_file


def _results(path, header, flagged: dict[str, bool]):
    lines = [json.dumps({"header": header})]
    for task_id, bad in flagged.items():
        blocking = [{"analyzer": "bandit", "rule_id": "B602", "cwe": 78, "line": 3}] if bad else []
        lines.append(json.dumps({"task_id": task_id, "rounds": [{"round": 0, "blocking": blocking}]}))
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def task_file(tmp_path):
    tasks = [Task(task_id=f"T/{i}", prompt=f"task {i}", source="t", meta={"n": i}) for i in range(5)]
    return write_task_file(tasks, tmp_path / "tasks.jsonl")


def test_a_task_flagged_in_enough_runs_is_kept_in_task_order(tmp_path, task_file, capsys):
    small = _results(tmp_path / "a.jsonl", {"model": "small"}, {"T/0": False, "T/1": True, "T/3": True, "T/4": False})
    large = _results(tmp_path / "b.jsonl", {"model": "large"}, {"T/0": False, "T/3": True, "T/4": True})
    out = tmp_path / "hard.jsonl"
    assert select.main([str(small), str(large), "--task-set", str(task_file), "--out", str(out)]) == 0
    kept = read_task_file(out)
    assert [t.task_id for t in kept] == ["T/1", "T/3", "T/4"]
    assert kept[1].meta == {"n": 3, "hard": {"flagged_in_runs": 2}} and kept[1].prompt == "task 3"
    assert "kept 3 of 4 scored task(s) (5 in the set)" in capsys.readouterr().out
    assert select.main([str(small), str(large), "--task-set", str(task_file), "--out", str(out), "--min-runs", "2"]) == 0
    assert [t.task_id for t in read_task_file(out)] == ["T/3"]
    # the hard set is a task set like any other
    assert [t.task_id for t in load_tasks(str(out))] == ["T/3"]


def test_results_from_another_task_set_are_refused(tmp_path, task_file, capsys):
    other = _results(tmp_path / "c.jsonl", {}, {"HumanEval/0": True})
    assert select.main([str(other), "--task-set", str(task_file), "--out", str(tmp_path / "x.jsonl")]) == 2
    assert "not in" in capsys.readouterr().err and not (tmp_path / "x.jsonl").exists()
    assert select.main([str(other), "--task-set", str(task_file), "--out", str(tmp_path / "x.jsonl"),
                        "--min-runs", "3"]) == 2


def test_task_file_errors_name_the_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"task_id": "a", "prompt": "p"}\nnot json\n')
    with pytest.raises(TaskError, match=r"bad.jsonl:2: not JSON"):
        read_task_file(path)
    path.write_text('{"task_id": "a", "prompt": "p", "language": "cobol"}\n')
    with pytest.raises(TaskError, match="unknown language 'cobol'"):
        read_task_file(path)
    with pytest.raises(TaskError, match="no task set"):
        load_tasks(str(tmp_path / "missing.jsonl"))
