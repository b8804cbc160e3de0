"""Settings and a missing model over stdio: bad values are shown and replaced, never fatal.

Settings come from initializationOptions, from the client's answer to
``workspace/configuration`` (pytest-lsp's client answers it from
``set_configuration``) and from ``workspace/didChangeConfiguration``.
"""

from __future__ import annotations

import pytest
from lsprotocol import types

SCRIPT = {"fim": ["return subprocess.run(cmd, shell=True)\n"]}
INSECURE = "import subprocess\n\n\ndef run(cmd):\n    return subprocess.run(cmd, shell=True)\n"
PROMPT = "import subprocess\n\n\ndef run(cmd):\n    \n"
URI = "file:///tmp/secgen-e2e/settings.py"
BROKEN_URI = "file:///tmp/secgen-e2e/broken.py"


def _codes(published) -> set[str]:
    return {d.code for d in published.diagnostics}


@pytest.mark.settings({"tMax": "three", "colour": "blue", "residualSuggestions": "maybe"})
async def test_invalid_initialization_options_are_shown_and_defaulted(client):
    texts = [m.message for m in client.messages]
    assert len(texts) == 3, texts
    assert all(m.type == types.MessageType.Warning and m.message.endswith("(from initializationOptions)")
               for m in client.messages)
    assert any("tMax" in t and '"three"' in t and "must be an integer" in t for t in texts)
    assert any("'colour'" in t and "unknown" in t for t in texts)
    assert any("residualSuggestions" in t and "hide, warn" in t for t in texts)
    # the server works, with the defaults: residualSuggestions "warn" offers the flagged suggestion
    client.open(URI, INSECURE)
    assert _codes(await client.publish(URI)) == {"B404", "B602"}
    client.open("file:///tmp/secgen-e2e/prompt.py", PROMPT)
    result = await client.inline("file:///tmp/secgen-e2e/prompt.py", 4, 4)
    assert len(result.items) == 1
    assert (await client.stats())["counts"]["residual"] == 1


@pytest.mark.configuration({"analyzers": ["syntax"]})
async def test_workspace_configuration_answer_takes_effect(client):
    client.open(URI, INSECURE)
    assert _codes(await client.publish(URI)) == set()
    client.open(BROKEN_URI, "def broken(:\n")
    assert _codes(await client.publish(BROKEN_URI)) == {"syntax-error"}


@pytest.mark.configuration({"tMax": -1, "debounceMs": "soon"})
async def test_invalid_workspace_configuration_is_shown(client):
    texts = [m.message for m in client.messages]
    assert len(texts) == 2, texts
    assert all(t.endswith("(from workspace/configuration)") for t in texts)
    assert any("tMax" in t and "between 0 and 10" in t for t in texts)
    client.open(URI, INSECURE)
    assert _codes(await client.publish(URI)) == {"B404", "B602"}


async def test_did_change_configuration_reanalyzes_open_documents(client):
    client.open(URI, INSECURE)
    assert _codes(await client.publish(URI)) == {"B404", "B602"}
    seen = len(client.published)
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"secgen": {"analyzers": ["syntax"]}}))
    assert _codes(await client.publish(URI, after=seen)) == set()
    # no settings in the notification: the server asks for them with workspace/configuration
    client.set_configuration({"analyzers": ["syntax", "bandit"]}, section="secgen")
    seen = len(client.published)
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    assert _codes(await client.publish(URI, after=seen)) == {"B404", "B602"}


@pytest.mark.settings({"model": "/nonexistent/m.gguf"})
async def test_missing_model_degrades_completions_only(client):
    errors = [m for m in client.messages if m.type == types.MessageType.Error]
    assert len(errors) == 1
    assert "completions are off" in errors[0].message and "/nonexistent/m.gguf" in errors[0].message
    client.open(URI, INSECURE)
    assert _codes(await client.publish(URI)) == {"B404", "B602"}
    client.open("file:///tmp/secgen-e2e/prompt.py", PROMPT)
    assert list((await client.inline("file:///tmp/secgen-e2e/prompt.py", 4, 4)).items) == []
    model = (await client.stats())["model"]
    assert model["ready"] is False and "/nonexistent/m.gguf" in model["error"]
    task = "file:///tmp/secgen-e2e/task.py"
    client.open(task, "# add two numbers\n")
    result = await client.command("secgen.generate", task, {"line": 0, "character": 5})
    assert result["applied"] is False and "no model" in result["reason"]
    assert client.edits == []


@pytest.mark.settings({"analyzers": ["syntax", "no-such-analyzer", "bandit"]})
async def test_an_analyzer_that_cannot_run_is_shown_once_and_the_others_still_run(client):
    client.open(URI, INSECURE)
    assert _codes(await client.publish(URI)) == {"B404", "B602"}
    shown = await client.message(lambda m: "no-such-analyzer" in m.message)
    assert "did not run" in shown.message and "unknown analyzer" in shown.message
    client.open(BROKEN_URI, INSECURE + "x = (\n")
    assert _codes(await client.publish(BROKEN_URI)) == {"syntax-error"}
    assert sum("no-such-analyzer" in m.message for m in client.messages) == 1


SARIF_SETTINGS = {"analyzers": ["syntax", "banditsarif"],
                  "sarifAnalyzers": {"banditsarif": {"command": f"{__import__('sys').executable} -m bandit -f sarif -q {{file}}",
                                                     "timeoutS": 60}}}


@pytest.mark.settings(SARIF_SETTINGS)
async def test_a_sarif_command_from_the_settings_runs_on_save_only(client):
    client.open(URI, INSECURE)
    assert _codes(await client.publish(URI)) == set()  # slow analyzers wait for a save
    client.text_document_did_save(types.DidSaveTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=URI)))
    saved = await client.publish(URI, lambda p: bool(p.diagnostics))
    assert _codes(saved) == {"B404", "B602"}
    assert {d.source for d in saved.diagnostics} == {"secgen/banditsarif"}


ICD_PY = "import hashlib\nimport subprocess\n\n\ndef run(cmd):\n    hashlib.md5(cmd)\n    return subprocess.run(cmd, shell=True)\n"


def _semgrep() -> str:
    import shutil
    import sys
    from pathlib import Path
    return str(Path(sys.executable).with_name("semgrep")) if Path(sys.executable).with_name("semgrep").exists() \
        else shutil.which("semgrep") or "semgrep"


@pytest.mark.settings({"analyzers": ["icd-regex", "icd-semgrep"],
                       "icd": {"semgrep": _semgrep(), "semgrepLanguages": ["python"], "timeoutS": 120}})
async def test_icd_options_from_the_settings_run_both_halves(client):
    client.open(URI, ICD_PY)
    first = await client.publish(URI)
    assert _codes(first) == {"insecure-md5-hash-usage"}  # the regex half is fast: it runs on every change
    client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=URI)))
    saved = await client.publish(URI, lambda p: "insecure-subprocess-using-shell" in _codes(p), timeout=120)
    assert {d.source for d in saved.diagnostics} == {"secgen/icd-regex", "secgen/icd-semgrep"}


@pytest.mark.settings({"analyzers": ["syntax", "icd-semgrep"], "icd": {"semgrep": "/nonexistent/bin/semgrep"}})
async def test_icd_semgrep_path_from_the_settings_is_used_and_a_wrong_one_is_explained(client):
    client.open(URI, ICD_PY)
    client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=URI)))
    shown = await client.message(lambda m: "icd-semgrep" in m.message)
    assert "semgrep not found at /nonexistent/bin/semgrep" in shown.message


@pytest.mark.settings({"icd": {"semgrepLanguages": ["python", "cobol"], "timeoutS": -1}})
async def test_invalid_icd_options_are_shown_and_defaulted(client):
    shown = await client.message(lambda m: "icd" in m.message)
    assert "cobol" in shown.message and "using the default" in shown.message
