"""The ``secgen`` command line, driven with the scripted fake backend and real analyzers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from secgen.server.cli import main

INSECURE = '''import subprocess


def run(cmd):
    return subprocess.run(cmd, shell=True)


def ok():
    return 1
'''
SAFE_RUN = "```python\ndef run(cmd):\n    return subprocess.run(cmd.split())\n```"


def test_check_text_json_and_exit_status(tmp_path, capsys):
    bad = tmp_path / "bad.py"
    bad.write_text(INSECURE)
    good = tmp_path / "good.py"
    good.write_text("def f(x):\n    return x + 1\n")
    assert main(["check", str(good)]) == 0
    assert main(["check", str(bad)]) == 1
    captured = capsys.readouterr()
    out = captured.out
    assert f"{bad}:5:" in out and "B602 (CWE-78)" in out
    timing = captured.err.splitlines()[-1]
    assert timing.startswith("analyzer time: ") and "bandit " in timing and "syntax " in timing and "(1 file(s))" in timing
    assert main(["check", str(bad), "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    b602 = [f for f in data[str(bad)] if f["rule_id"] == "B602"][0]
    assert b602["blocking"] and b602["range"]["start"]["line"] == 4 and b602["cwe"] == 78


def test_check_sarif_is_one_based_with_cwe_tags(tmp_path, capsys):
    bad = tmp_path / "bad.py"
    bad.write_text(INSECURE)
    main(["check", str(bad), "--format", "sarif"])
    sarif = json.loads(capsys.readouterr().out)
    assert sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    result = [r for r in run["results"] if r["ruleId"] == "bandit/B602"][0]
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 5
    rule = run["tool"]["driver"]["rules"][result["ruleIndex"]]
    assert "external/cwe/cwe-78" in rule["properties"]["tags"]


def test_check_runs_a_sarif_command_as_an_analyzer(tmp_path, tools_on_path, capsys):
    bad = tmp_path / "bad.py"
    bad.write_text(INSECURE)
    assert main(["check", str(bad), "--sarif-analyzer", "banditsarif=bandit -f sarif -q {file}", "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    by_analyzer = {(f["analyzer"], f["rule_id"], f["range"]["start"]["line"]) for f in data[str(bad)]}
    assert {("bandit", "B602", 4), ("banditsarif", "B602", 4), ("banditsarif", "B404", 0)} <= by_analyzer
    assert [f["cwe"] for f in data[str(bad)] if (f["analyzer"], f["rule_id"]) == ("banditsarif", "B602")] == [78]


def test_check_sarif_validates_and_reports_analyzers_that_did_not_run(tmp_path, monkeypatch, capsys, sarif_validator):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "bad.py").write_text(INSECURE)
    hang = f"{sys.executable} -c 'import time; time.sleep(60)' {{file}}"
    assert main(["check", "pkg", "--format", "sarif", "--sarif-analyzer", f"hang={hang}",
                 "--analyzer-timeout", "1"]) == 1
    captured = capsys.readouterr()
    sarif = json.loads(captured.out)
    assert list(sarif_validator.iter_errors(sarif)) == []
    run = sarif["runs"][0]
    result = [r for r in run["results"] if r["ruleId"] == "bandit/B602"][0]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "pkg/bad.py", "uriBaseId": "%SRCROOT%", "index": 0}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.as_uri() + "/"
    [notification] = [n for n in run["invocations"][0]["toolExecutionNotifications"] if n["descriptor"]["id"] == "hang"]
    assert "timed out after 1 s" in notification["message"]["text"]
    assert "analyzer hang did not run" in captured.err


def test_check_block_at_high_ignores_medium(tmp_path):
    f = tmp_path / "m.py"
    f.write_text("import hashlib\nh = hashlib.md5(b'x')\n")  # B324 is high; B303-style medium would pass
    assert main(["check", str(f), "--block-at", "error"]) == 0
    assert main(["check", str(f)]) == 1


def test_generate_repairs_with_feedback(script, capsys):
    spec = script(chat=["```python\nimport os\nos.system(input())\n```",
                        "```python\nimport subprocess\nsubprocess.run(['ls'])\n```"])
    assert main(["generate", "list files", "--model", spec, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["clean"] and data["stop_reason"] == "clean" and len(data["attempts"]) == 2
    assert "B605" in data["attempts"][1]["prompt"]


def test_complete_at_a_position(tmp_path, script, capsys):
    f = tmp_path / "c.py"
    f.write_text("import subprocess\n\ndef run(cmd):\n    \n")
    spec = script(fim=["return subprocess.run(cmd, shell=True)\n", "return subprocess.run(cmd.split())\n"])
    assert main(["complete", str(f), "--line", "4", "--column", "5", "--model", spec]) == 0
    captured = capsys.readouterr()
    assert captured.out == "return subprocess.run(cmd.split())\n"
    assert "attempt 0: 1 blocking" in captured.err and "stopped: clean" in captured.err


def test_fix_uses_the_mechanical_fix_first_and_says_so(tmp_path, script, capsys):
    f = tmp_path / "app.py"
    f.write_text(INSECURE)
    model = script(chat=[SAFE_RUN])
    assert main(["fix", str(f), "--model", model]) == 0
    out, err = capsys.readouterr()
    assert "-    return subprocess.run(cmd, shell=True)" in out and "+    return subprocess.run(shlex.split(cmd))" in out
    assert "+import shlex" in out and "cmd.split()" not in out  # the model's answer was not needed
    assert "# run (lines 4-5): 1 blocking -> fixed by subprocess-argument-list (mechanical, no model)" in err


def test_fix_prints_diff_and_write_keeps_backup(tmp_path, script, capsys):
    f = tmp_path / "app.py"
    f.write_text(INSECURE)
    spec = script(chat=[SAFE_RUN])
    assert main(["fix", str(f), "--model", spec, "--tiers", "repair"]) == 0
    diff = capsys.readouterr().out
    assert "-    return subprocess.run(cmd, shell=True)" in diff and "+    return subprocess.run(cmd.split())" in diff
    assert f.read_text() == INSECURE  # no file changes without --write
    assert main(["fix", str(f), "--model", spec, "--write", "--tiers", "repair"]) == 0
    assert "cmd.split()" in f.read_text() and "def ok():" in f.read_text()
    assert (tmp_path / "app.py.orig").read_text() == INSECURE


def test_fix_keeps_the_original_when_the_repair_is_no_better(tmp_path, script, capsys):
    f = tmp_path / "app.py"
    f.write_text(INSECURE)
    assert main(["fix", str(f), "--model", script(chat=["```python\ndef run(cmd):\n    os.system(cmd)\n```"]), "--write",
                 "--tiers", "repair"]) == 0
    assert f.read_text() == INSECURE and not (tmp_path / "app.py.orig").exists()
    assert "not repaired" in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["check", "/nonexistent/x.py"], "cannot read /nonexistent/x.py"),
    (["generate", "x", "--model", "nonsense-model"], "unknown model 'nonsense-model'"),
    (["generate", "x", "--model", "/tmp/missing.gguf"], "model file not found"),
    (["generate", "x", "--model", "fake:/nonexistent.json"], "cannot read fake backend script"),
    (["generate", "x", "--model", "hf-dir:/nonexistent/merged"], "model folder not found"),
    (["check", "--block-at", "severe", "setup.py"], "unknown severity 'severe'"),
    (["check", "setup.py", "--sarif-analyzer", "bandit -f sarif {file}"], "expected NAME=COMMAND"),
    (["check", "setup.py", "--sarif-analyzer", "b=bandit {file}", "--analyzer-timeout", "0"], "--analyzer-timeout must be"),
])
def test_user_errors_are_one_line_exit_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("\n") == 1


def test_model_serve_sends_a_hugging_face_folder_to_model(tmp_path, capsys):
    (tmp_path / "config.json").write_text("{}")
    assert main(["model", "serve", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "needs a .gguf file" in err and "pass it to --model directly" in err and err.count("\n") == 1


def test_binary_file_and_bad_position(tmp_path, capsys, script):
    b = tmp_path / "b.py"
    b.write_bytes(b"\xff\xfe\x00bin")
    assert main(["check", str(b)]) == 2
    assert "is not UTF-8 text" in capsys.readouterr().err
    f = tmp_path / "c.py"
    f.write_text("x = 1\n")
    assert main(["complete", str(f), "--line", "9", "--column", "1", "--model", script(fim=["y"])]) == 2
    assert "--line 9 is outside" in capsys.readouterr().err


def test_missing_default_model_names_the_fix(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SECGEN_MODEL_DIR", str(tmp_path))
    assert main(["generate", "x"]) == 2
    assert "secgen model pull" in capsys.readouterr().err


def test_model_list_and_info(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SECGEN_MODEL_DIR", str(tmp_path))
    assert main(["model", "list"]) == 0
    out = capsys.readouterr().out
    assert "qwen2.5-coder-0.5b-instruct-q4_k_m" in out and "missing" in out
    assert main(["model", "info", "1.5b", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["size"] == 1_117_320_768 and info["state"] == "missing" and len(info["parts"]) == 22


def test_console_scripts_are_installed():
    for args in (["secgen", "--help"], ["secgen-lsp", "--help"]):
        exe = Path(sys.executable).parent / args[0]  # console scripts sit beside the interpreter
        assert exe.is_file(), f"{args[0]} is not installed beside {sys.executable}"
        proc = subprocess.run([exe, *args[1:]], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0 and "usage:" in proc.stdout
    proc = subprocess.run([sys.executable, "-m", "secgen", "--version"], capture_output=True, text=True, timeout=60)
    assert proc.stdout.startswith("secgen ")
