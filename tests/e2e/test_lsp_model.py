"""``secgen-lsp --stdio`` with the real default model, driven by a real LSP client (pytest-lsp).

The document is the bundled ``examples/complete_me.py``: at its cursor the raw
0.5B model writes ``subprocess.run(command, shell=True, ...)`` (Bandit B602);
the suggestion the server offers must be clean, and ``secgen/stats`` must show
the repair round.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from secgen.bench.lsp import plain  # decodes pygls's named-tuple results
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from secgen.analyzers import SeverityPolicy, Source, default_registry

pytestmark = pytest.mark.model

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "complete_me.py"




@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "secgen.server.lsp", "--stdio"]))
async def client(lsp_client: LanguageClient, default_model_path):
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"),
        initialization_options={"model": str(default_model_path), "maxTokens": 96,
                                # no time-budget cut: on busy cores the first answer alone can take 30 s
                                "timeBudgetS": 600}))
    yield
    await lsp_client.shutdown_session()


async def test_inline_completion_with_the_real_model_is_repaired(client: LanguageClient):
    text = EXAMPLE.read_text()
    uri = EXAMPLE.as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)))
    lines = text.split("\n")
    line = next(i for i, l in enumerate(lines) if l == "    ")
    result = await client.text_document_inline_completion_async(types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=line, character=4),
        context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Invoked)))
    [item] = result.items
    offset = sum(len(l) + 1 for l in lines[:line]) + 4
    completed = text[:offset] + item.insert_text + text[offset:]
    findings = default_registry().analyze(Source(text=completed)).findings
    assert not SeverityPolicy().blocking(findings), item.insert_text
    assert "shell=True" not in item.insert_text

    stats = plain(await client.protocol.send_request_async("secgen/stats", {}))
    assert stats["model"]["ready"] is True
    # the raw fill runs the command through a shell; the mechanical tier's argument list repairs it, no model round
    assert stats["counts"]["repaired"] == 1 and stats["counts"]["repaired_by_fix"] == 1
    assert stats["counts"]["suggestions"] == 1
    assert stats["latency"]["round0"]["count"] == 2 and "round1" not in stats["latency"]


def apply_edits(text: str, edits) -> str:
    """Apply LSP TextEdits (whole-line ranges here) to ``text``, last first."""
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))

    def at(position):
        return offsets[min(position.line, len(lines))] + position.character

    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        text = text[:at(edit.range.start)] + edit.new_text + text[at(edit.range.end):]
    return text


async def test_fix_with_analyzer_with_the_real_model_removes_the_finding(client: LanguageClient):
    path = EXAMPLE.with_name("insecure.py")
    text, uri = path.read_text(), path.as_uri()
    published = client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)  # waiting before it can arrive
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)))
    await published
    b301 = next(d for d in client.diagnostics[uri] if d.code == "B301")
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=b301.range,
        context=types.CodeActionContext(diagnostics=[b301])))
    fix = next(a for a in actions if a.title == "Fix with analyzer: B301")
    assert fix.edit is None  # computed lazily
    resolved = await client.code_action_resolve_async(fix)
    [change] = resolved.edit.document_changes
    assert change.text_document.version == 1
    fixed = apply_edits(text, change.edits)
    assert "pickle.loads" not in fixed and "def run_command" in fixed and "def hash_password" in fixed
    published = client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=fixed)]))
    await published
    codes = {d.code for d in client.diagnostics[uri]}
    assert "B301" not in codes and "B602" in codes  # only the finding asked about was fixed
