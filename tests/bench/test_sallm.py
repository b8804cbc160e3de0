"""SALLM: the 100 tasks load, every test method is classified, the harness scores known code as expected in the
real sandbox, and ``secgen bench sallm`` runs end to end with the scripted fake model.

The data is ``../shared/data/sallm`` beside the checkout (skipped when it is not there, like CyberSecEval's); the
tasks' packages are the ``bench`` extra.
"""

from __future__ import annotations

import ast
import json
import os
from pathlib import Path

import pytest

from secgen.bench import sallm
from secgen.bench import sallm_harness as harness
from secgen.engine.record import LoopResult, read_results

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "sallm"
needs_data = pytest.mark.skipif(not (DATA / "PythonDataset" / "dataset.jsonl").exists(),
                                reason="../shared/data/sallm is not beside this checkout")
NO_TEST_FILE = {"Assertion_Author_A_cwe319_0.py", "Assertion_Author_A_cwe306_0.py", "Assertion_Author_A_cwe798_0.py",
                "Assertion_Author_A_cwe215_0.py", "Assertion_SonarSource_SS_cwe827_0.py",
                "Assertion_SonarSource_SS_cwe379_0.py", "Assertion_SonarSource_SS_cwe1204_0.py"}


@pytest.fixture(scope="module")
def tasks():
    if not (DATA / "PythonDataset" / "dataset.jsonl").exists():
        pytest.skip("../shared/data/sallm is not beside this checkout")
    return {t.task_id: t for t in sallm.sallm_tasks(DATA)}


@pytest.fixture(scope="module")
def score():
    return sallm.scorer(DATA, test_timeout=30)


def test_the_classification_rule():
    assert harness.classify("TestCWE020_0.test_correctness") == harness.FUNCTIONAL
    assert harness.classify("test_correctness_2") == harness.FUNCTIONAL
    assert harness.classify("T.test_vulnerability") == harness.SECURITY
    assert harness.classify("T.test_security_headers") == harness.SECURITY
    assert harness.classify("T.test_something_else") is None


@needs_data
def test_all_100_tasks_load_and_every_test_method_is_classified(tasks):
    assert len(tasks) == 100
    with_tests = [t for t in tasks.values() if t.tests is not None]
    assert len(with_tests) == 93
    assert {t.task_id for t in tasks.values() if t.tests is None} == NO_TEST_FILE
    assert sallm.unclassified(with_tests) == {}
    for task in with_tests:
        kinds = [harness.classify(m) for m in task.meta["methods"]]
        assert kinds.count(harness.FUNCTIONAL) >= 1 and kinds.count(harness.SECURITY) >= 1, task.task_id
        assert f"from {task.meta['module']} import" in task.tests.replace("from  ", "from ")
    reasons = {t.task_id: sallm.problem(t) for t in tasks.values() if sallm.problem(t)}
    assert set(reasons) == NO_TEST_FILE | set(sallm.LIMITED), reasons  # a missing package would show here too
    assert tasks["Tainted_Author_A_cwe089_0.py"].cwe == "CWE-089"


@needs_data
def test_every_prompt_and_its_insecure_code_assemble_into_a_module(tasks):
    for task in tasks.values():
        module = harness.assemble(task.context, task.reference)
        names = {n.name for n in ast.parse(module).body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
        assert names == {n.name for n in ast.parse(task.reference).body
                         if isinstance(n, (ast.FunctionDef, ast.ClassDef))}, task.task_id


def test_a_function_only_answer_keeps_the_prompts_module_around_it():
    prompt = ("from flask import Flask\n\napp = Flask(__name__)\napp.secret_key = 'k'\n\n\n"
              "@app.route('/a')\ndef a():\n    '''Say hi.'''\n\n\nHELPER = 1\n")
    module = harness.assemble(prompt, "import secrets\n\n\n@app.route('/a')\ndef a():\n    return secrets.token_hex()\n")
    assert module.index("app = Flask") < module.index("import secrets") < module.index("token_hex") \
        < module.index("HELPER = 1")
    assert "Say hi" not in module and module.count("def a") == 1
    whole = harness.assemble(prompt, "from flask import Flask\napp = Flask('x')\n\n\ndef a():\n    return 'hi'\n")
    assert "app = Flask(__name__)" not in whole and "Say hi" not in whole
    assert harness.assemble(prompt, "def a(:\n") == "def a(:\n"  # does not parse: written as it is, fails its tests


@needs_data
def test_the_dockerfiles_files_are_laid_out_beside_the_module():
    folder = DATA / "PythonDataset"
    database = harness.layout(folder / "Tainted" / "Author", "A_cwe089_0")
    assert set(database.files) == {"Database/database.db"} and "Database" in database.dirs
    upload = harness.layout(folder / "Assertion" / "Author", "A_cwe434_0")
    assert {"static/dummy.png", "static/dummy.py"} <= set(upload.files)


@needs_data
@pytest.mark.parametrize("task_id, expected", [
    ("Assertion_Author_A_cwe020_0.py", {"func": True, "sec": False}),  # a plain function
    ("Tainted_Author_A_cwe089_0.py", {"func": True, "sec": False}),  # Flask + the task's SQLite database
    ("Tainted_Author_A_cwe078_1.py", {"func": True, "sec": False}),  # runs a shell command
    ("Matching_Author_A_cwe338_0.py", {"func": True, "sec": False}),  # a Flask session
])
def test_the_reference_insecure_code_works_and_is_exploitable(tasks, score, task_id, expected):
    task = tasks[task_id]
    scores = score(task, task.reference)
    assert {k: scores[k] for k in expected} == expected, scores["tests"]
    assert scores["func_sec"] is False


@needs_data
def test_a_secure_answer_passes_both_and_broken_code_neither(tasks, score):
    task = tasks["Assertion_Author_A_cwe020_0.py"]
    secure = ("import re\n\n\ndef match_string(target_string):\n"
              "    return re.fullmatch(r'[a-zA-Z]+\\.[a-zA-Z]+\\.[a-zA-Z]+', target_string) is not None\n")
    assert score(task, secure) | {"tests": None} == {"func": True, "sec": True, "func_sec": True, "tests": None}
    broken = score(task, "def match_string(:\n")
    assert (broken["func"], broken["sec"]) == (False, False)
    assert all(outcome.startswith("error: import: ") and "SyntaxError" in outcome
               for outcome in broken["tests"].values())


@needs_data
def test_a_test_that_hangs_costs_only_its_own_verdict(tasks):
    task = tasks["Assertion_Author_A_cwe020_0.py"]
    hangs_on_the_attack = ("import re\n\n\ndef match_string(target_string):\n    while 'X' in target_string:\n"
                           "        pass\n    return re.fullmatch(r'\\w+\\.\\w+\\.\\w+', target_string) is not None\n")
    score = sallm.scorer(DATA, test_timeout=3)
    scores = score(task, hangs_on_the_attack)
    assert (scores["func"], scores["sec"]) == (True, False)
    assert scores["tests"]["TestCWE020_0.test_vulnerability"].startswith("timeout")


@needs_data
def test_a_fake_model_run_of_three_tasks_writes_results_and_the_three_rates(tasks, tmp_path, capsys):
    first_three = ["Matching_Author_A_cwe502_0.py", "Matching_Author_A_cwe502_1.py", "Matching_Author_A_cwe338_0.py"]
    secure_session = ("import secrets\n\n\n@app.route('/session')\ndef getSessionID():\n"
                      "    session['id'] = secrets.token_hex(16)\n    return session['id']\n")
    block = lambda code: f"```python\n{code}```"
    script = {"chat": ["```python\npass\n```"], "rules": [
        {"kind": "chat", "match": r"/unmarshal'\)", "reply": block(tasks[first_three[0]].reference)},
        {"kind": "chat", "match": r"/unmarshal_config'\)", "reply": block(tasks[first_three[1]].reference)},
        {"kind": "chat", "match": r"/session'\)", "reply": block(secure_session)}]}
    model = tmp_path / "model.json"
    model.write_text(json.dumps(script))
    out = tmp_path / "out"
    argv = ["--limit", "3", "--model", f"fake:{model}", "--out", str(out), "--data", str(DATA)]
    assert sallm.main(argv) == 0
    printed = capsys.readouterr()
    assert "func@1 100.0% -> " in printed.out and "12 not run here" in printed.out

    lines = (out / "results.jsonl").read_text().splitlines()
    assert json.loads(lines[0])["header"]["benchmark"] == "sallm"
    run = read_results(out / "results.jsonl")
    records = list(run.results)
    assert [r.task_id for r in records] == first_three
    assert [s["machine"]["cpu_count"] for s in run.sessions] == [os.cpu_count()]
    figures = json.loads((out / "summary.json").read_text())[0]["sallm"]
    assert figures["func@1"]["before"] == 1.0
    assert figures["sec@1"]["before"] == pytest.approx(1 / 3)
    assert figures["func-sec@1"]["before"] == pytest.approx(1 / 3)
    assert all(0.0 <= figures[k]["after"] <= 1.0 for k in ("func@1", "sec@1", "func-sec@1"))
    assert figures["tasks"]["Matching_Author_A_cwe338_0.py"]["after"] == {"func": True, "sec": True, "func_sec": True}
    assert set(figures["not_run"]) == NO_TEST_FILE | set(sallm.LIMITED)
    assert "| func-sec@1 |" in (out / "report.md").read_text()

    assert sallm.main(argv) == 0  # everything is kept: a second run only summarizes
    assert "resuming: 3 of 3" in capsys.readouterr().err


def test_a_missing_dataset_is_a_one_line_error(tmp_path, capsys):
    assert sallm.main(["--data", str(tmp_path), "--reference"]) == 2
    assert "no SALLM dataset at" in capsys.readouterr().err
