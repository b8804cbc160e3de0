"""Completions over stdio: accepting a suggestion with residual findings, the residual policy, plain completion.

The fake model always answers with flagged code (``shell=True``), so the repair
loop cannot clean it: the suggestion is offered with its B602 finding
("warn") or withheld ("hide"). The debounce is long, so a publish seen soon
after an acceptance is the immediate one, not the next analysis.
"""

from __future__ import annotations

import pytest
from lsprotocol import types

FLAGGED = "return subprocess.run(cmd, shell=True)\n"
SCRIPT = {"fim": [FLAGGED]}
SETTINGS = {"debounceMs": 10000}
PROMPT = "import subprocess\n\n\ndef run(cmd):\n    \n"
URI = "file:///tmp/secgen-e2e/accept.py"
SOON = 5.0  # well under the debounce


async def _offered(client) -> types.InlineCompletionItem:
    client.open(URI, PROMPT)
    await client.publish(URI)
    result = await client.inline(URI, 4, 4)
    [item] = result.items
    assert item.insert_text == FLAGGED
    assert item.command.command == "secgen.accepted"
    return item


def _assert_ai_b602(diagnostics):
    ai = [d for d in diagnostics if d.source == "secgen/bandit (AI suggestion)"]
    assert len(ai) == 1, diagnostics
    [d] = ai
    assert d.code == "B602"
    assert d.message.startswith("AI suggestion:")
    assert d.code_description.href == "https://cwe.mitre.org/data/definitions/78.html"
    # the inserted line: "    return subprocess.run(cmd, shell=True)"; the finding is the call
    assert (d.range.start.line, d.range.start.character) == (4, 11)
    assert (d.range.end.line, d.range.end.character) == (4, 42)
    assert d.data["ai"] is True and d.data["ruleId"] == "B602"


def _insert(item: types.InlineCompletionItem) -> types.TextEdit:
    return types.TextEdit(range=item.range, new_text=item.insert_text)


async def test_accept_command_publishes_residual_findings_at_once(client):
    item = await _offered(client)
    before = len(client.published)
    result = await client.command(item.command.command, *item.command.arguments)
    assert result == {"accepted": True, "findings": 1}
    published = await client.publish(URI, lambda p: p.diagnostics and any(d.data["ai"] for d in p.diagnostics),
                                     after=before, timeout=SOON)
    _assert_ai_b602(published.diagnostics)
    assert (await client.stats())["counts"]["accepted"] == 1
    assert await client.command("secgen.accepted", "no-such-suggestion") == {"accepted": False}


async def test_accept_by_edit_is_recognised_on_did_change(client):
    item = await _offered(client)
    before = len(client.published)
    client.edit(URI, [_insert(item)], version=2)
    published = await client.publish(URI, lambda p: any(d.data["ai"] for d in p.diagnostics),
                                     after=before, timeout=SOON)
    _assert_ai_b602(published.diagnostics)
    counts = (await client.stats())["counts"]
    # residualSuggestions "warn" (the default) offered it, counted as residual
    assert counts["accepted"] == 1 and counts["residual"] == 1 and counts["suggestions"] == 1
    assert counts["hidden"] == 0


async def test_edit_then_command_counts_one_acceptance(client):
    """What VS Code does: the text arrives on didChange, then the item's command runs."""
    item = await _offered(client)
    before = len(client.published)
    client.edit(URI, [_insert(item)], version=2)
    result = await client.command(item.command.command, *item.command.arguments)
    assert result["accepted"] is True
    published = await client.publish(URI, lambda p: any(d.data["ai"] for d in p.diagnostics), after=before,
                                     timeout=SOON)
    _assert_ai_b602(published.diagnostics)
    assert (await client.stats())["counts"]["accepted"] == 1


@pytest.mark.settings({"residualSuggestions": "hide"})
async def test_hide_withholds_a_flagged_suggestion(client):
    client.open(URI, PROMPT)
    result = await client.inline(URI, 4, 4)
    assert list(result.items) == []
    counts = (await client.stats())["counts"]
    assert counts["hidden"] == 1 and counts["suggestions"] == 0 and counts["residual"] == 0


async def test_plain_completion_is_one_item_with_edit_command_and_detail(client):
    client.open(URI, PROMPT)
    result = await client.text_document_completion_async(types.CompletionParams(
        text_document=types.TextDocumentIdentifier(uri=URI), position=types.Position(line=4, character=4)))
    [item] = result.items
    assert item.label == "return subprocess.run(cmd, shell=True)"
    assert item.text_edit.new_text == FLAGGED
    assert item.text_edit.range == types.Range(start=types.Position(line=4, character=4),
                                               end=types.Position(line=4, character=4))
    assert item.command.command == "secgen.accepted" and len(item.command.arguments) == 1
    assert item.detail.startswith("secgen: unresolved") and "B602" in item.detail
    assert "B602" in item.documentation.value
    # the plain item's command is as good as the inline one
    assert (await client.command(item.command.command, *item.command.arguments))["accepted"] is True


@pytest.mark.fake({"fim": ["return subprocess.run(cmd.split())\n"]})
async def test_plain_completion_of_clean_code_says_checked(client):
    client.open(URI, PROMPT)
    result = await client.text_document_completion_async(types.CompletionParams(
        text_document=types.TextDocumentIdentifier(uri=URI), position=types.Position(line=4, character=4)))
    [item] = result.items
    assert item.detail == "secgen: checked by analyzers"
    assert item.text_edit.new_text == "return subprocess.run(cmd.split())\n"
