"""The real ``secgen-lsp --stdio`` driven by a real LSP client (pytest-lsp), with the scripted fake model."""

from __future__ import annotations

import json
import sys

import pytest
import pytest_lsp
from lsprotocol import types
from secgen.bench.lsp import plain  # decodes pygls's named-tuple results
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

INSECURE = "import subprocess\n\n\ndef run(cmd):\n    return subprocess.run(cmd, shell=True)\n"
SCRIPT = {
    "fim": ["return subprocess.run(cmd, shell=True)\n", "return subprocess.run(cmd.split())\n"],
    "chat": ["```python\ndef run(cmd):\n    return subprocess.run(cmd.split())\n```"],
}


def _config(tmp_path_factory):
    path = tmp_path_factory.mktemp("fake") / "script.json"
    path.write_text(json.dumps(SCRIPT))
    return path


@pytest.fixture(scope="module")
def script_path(tmp_path_factory):
    return _config(tmp_path_factory)


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "secgen.server.lsp", "--stdio"]))
async def client(lsp_client: LanguageClient, script_path):
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"),
        initialization_options={"model": f"fake:{script_path}", "debounceMs": 50}))
    yield
    await lsp_client.shutdown_session()




async def stats(client):
    return plain(await client.protocol.send_request_async("secgen/stats", {}))


def _open(client, uri, text, version=1):
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="python", version=version, text=text)))


async def test_diagnostics_on_open(client: LanguageClient):
    uri = "file:///tmp/secgen-e2e/insecure.py"
    published = client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)  # before it can arrive
    _open(client, uri, INSECURE)
    await published
    got = {(d.source, d.code, d.range.start.line, d.severity) for d in client.diagnostics[uri]}
    assert got == {("secgen/bandit", "B404", 0, types.DiagnosticSeverity.Information),
                   ("secgen/bandit", "B602", 4, types.DiagnosticSeverity.Error)}
    b602 = next(d for d in client.diagnostics[uri] if d.code == "B602")
    assert b602.code_description.href == "https://cwe.mitre.org/data/definitions/78.html"


async def test_inline_completion_is_repaired_and_counted(client: LanguageClient):
    uri = "file:///tmp/secgen-e2e/complete.py"
    _open(client, uri, "import subprocess\n\n\ndef run(cmd):\n    \n")
    result = await client.text_document_inline_completion_async(types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=4, character=4),
        context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Invoked)))
    [item] = result.items
    assert item.insert_text == "return subprocess.run(cmd.split())\n"
    assert item.command.command == "secgen.accepted"
    data = await stats(client)
    assert data["counts"]["repaired"] == 1 and data["counts"]["suggestions"] == 1
    assert data["latency"]["round1"]["count"] == 1
