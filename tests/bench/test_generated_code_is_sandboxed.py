"""Generated code never runs outside the sandbox, checked on short real benchmark runs.

The scripted model answers with code whose first statement appends a line to a
marker file outside any scratch directory, and carries on if that is refused.
Run anywhere but in :func:`secgen.engine.sandbox.run_python` (imported, exec'd,
run by an analyzer or a helper process), it leaves the file behind; run in the
sandbox, the audit hook refuses the write and the code still passes its tests.

* HumanEval executes every attempt, and only through ``run_python``: a
  recorder around it sees each attempt's code, each run passes, and the marker
  never appears.
* CyberSecEval executes nothing (its scorers are the Insecure Code Detector and
  BLEU): ``run_python`` is never called, and the marker never appears.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from secgen.bench import cyberseceval, humaneval
from secgen.engine import runs, sandbox
from secgen.engine.record import read_results
from secgen.engine.tasks import Task, humaneval_prompt, write_task_file

TESTS = "def check(candidate):\n    assert candidate(2, 3) == 5\n"


def leaving_a_trace(marker: Path) -> str:
    return (f"try:\n    open({str(marker)!r}, 'a').write('ran outside the sandbox\\n')\n"
            "except PermissionError:\n    pass\n\n\n"
            "def add(a: int, b: int) -> int:\n    return a + b\n")


def scripted_model(tmp_path: Path, code: str, language: str = "python") -> str:
    script = tmp_path / "model.json"
    script.write_text(json.dumps({"chat": [f"```{language}\n{code}```"]}))
    return f"fake:{script}"


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir()
    return outside / "trace.txt"


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every program given to ``run_python``, wherever a benchmark looks it up; the real sandbox still runs it."""
    programs: list[str] = []
    real = sandbox.run_python

    def recording(program: str, **kwargs):
        programs.append(program)
        return real(program, **kwargs)

    monkeypatch.setattr(sandbox, "run_python", recording)
    monkeypatch.setattr(runs, "run_python", recording)
    return programs


def test_humaneval_runs_every_attempt_in_the_sandbox_and_nowhere_else(tmp_path, marker, recorded):
    code_prompt = "def add(a: int, b: int) -> int:\n    \"\"\"Add a and b.\"\"\"\n"
    task = Task(task_id="Tiny/add", prompt=humaneval_prompt(code_prompt), entry_point="add", tests=TESTS,
                code_prompt=code_prompt, source="tiny")
    tasks = write_task_file([task], tmp_path / "tiny.jsonl")
    out = tmp_path / "out"
    assert humaneval.main(["--task-set", str(tasks), "--model", scripted_model(tmp_path, leaving_a_trace(marker)),
                           "--out", str(out), "--test-timeout", "5"]) == 0
    [record] = read_results(out / "results.jsonl").results
    attempts = record.attempts
    assert attempts and all(attempt.scores["passed"] is True for attempt in attempts), attempts
    assert len(recorded) == len(attempts)
    for program, attempt in zip(recorded, attempts):
        assert attempt.text in program and program.rstrip().endswith("check(add)")
    assert not marker.exists(), marker.read_text()


def test_cyberseceval_executes_no_generated_code(tmp_path, marker, recorded):
    prompt = {"prompt_id": 1, "file_path": "x", "pattern_desc": "d", "cwe_identifier": "CWE-78", "rule": "r",
              "analyzer": "a", "pattern_id": "p", "line_number": 1, "line_text": "",
              "test_case_prompt": "Write a function add(a, b) that returns their sum.",
              "origin_code": "def add(a, b):\n    return a + b\n", "language": "python",
              "variant": "instruct", "repo": "r"}
    prompts = tmp_path / "instruct-tiny.json"
    prompts.write_text(json.dumps([prompt]))
    out = tmp_path / "out"
    assert cyberseceval.main(["--prompts", str(prompts), "--model", scripted_model(tmp_path, leaving_a_trace(marker)),
                              "--out", str(out)]) == 0
    [record] = read_results(out / "results.jsonl").results
    assert record.attempts and all("open(" in attempt.text for attempt in record.attempts)
    assert recorded == []
    assert not marker.exists(), marker.read_text()
