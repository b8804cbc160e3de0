"""Code actions and the ``secgen.generate`` command over stdio, with the fake model.

The client applies every edit itself (from the TextEdits, in UTF-16 positions)
and sends the result back as a didChange with a new version, as an editor
does; the next publish for that version must no longer carry the finding.
"""

from __future__ import annotations

import pytest
from lsprotocol import types

# A pipe in the command: no mechanical fix rewrites it, so the fix comes from the (fake) model
INSECURE = "import subprocess\n\n\ndef run(cmd):\n    return subprocess.run(cmd + ' | sort', shell=True)\n"
FIXED = "import subprocess\n\n\ndef run(cmd):\n    return subprocess.run(cmd.split())\n"
# The same finding where the mechanical tier has a fix: an argument list, no model needed
PLAIN = "import subprocess\n\n\ndef run(cmd):\n    return subprocess.run(cmd, shell=True)\n"
PLAIN_FIXED = "import subprocess\nimport shlex\n\n\ndef run(cmd):\n    return subprocess.run(shlex.split(cmd))\n"
GENERATED = "```python\ndef add(a, b):\n    return a + b\n```"
SCRIPT = {
    "chat": ["```python\ndef run(cmd):\n    return subprocess.run(cmd.split())\n```"],
    "rules": [{"kind": "chat", "match": "add two numbers", "reply": GENERATED}],
}
STILL_FLAGGED = {"chat": ["```python\ndef run(cmd):\n    return subprocess.run(cmd + ' | sort', shell=True)\n```"]}
URI = "file:///tmp/secgen-e2e/actions.py"


async def _open_with_b602(client, text=INSECURE):
    client.open(URI, text)
    published = await client.publish(URI)
    [b602] = [d for d in published.diagnostics if d.code == "B602"]
    return b602


async def _actions(client, diagnostic) -> dict[str, types.CodeAction]:
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=URI), range=diagnostic.range,
        context=types.CodeActionContext(diagnostics=[diagnostic])))
    return {a.title: a for a in actions}


def _edits_of(edit: types.WorkspaceEdit, version: int) -> list[types.TextEdit]:
    [change] = edit.document_changes
    assert change.text_document.uri == URI and change.text_document.version == version
    return list(change.edits)


async def _codes_after(client, version: int) -> set[str]:
    """The rules published for ``version`` (the fixed call without a shell still gets Bandit's low B603)."""
    published = await client.publish(URI, lambda p: p.version == version)
    return {d.code for d in published.diagnostics}


async def test_resolved_fix_applied_by_the_client_removes_the_finding(client, apply_edits):
    b602 = await _open_with_b602(client)
    actions = await _actions(client, b602)
    assert set(actions) == {"Fix with analyzer: B602", "Suppress B602 with # nosec",
                            "Fix all analyzer findings in this file"}
    fix = actions["Fix with analyzer: B602"]
    assert fix.kind == types.CodeActionKind.QuickFix and fix.edit is None
    assert fix.data["kind"] == "fix" and fix.data["finding"]["ruleId"] == "B602"
    assert actions["Suppress B602 with # nosec"].edit is not None
    fix_all = actions["Fix all analyzer findings in this file"]
    assert fix_all.kind == types.CodeActionKind.SourceFixAll and fix_all.edit is None
    # codeAction/resolve computes the fix, as a versioned edit the client applies
    resolved = await client.code_action_resolve_async(fix)
    edits = _edits_of(resolved.edit, version=1)
    assert apply_edits(INSECURE, edits) == FIXED
    client.edit(URI, edits, version=2)  # incremental: the server applies the ranges itself
    assert await _codes_after(client, 2) == {"B404", "B603"}


async def test_only_filter_and_no_fix_all_without_blocking_findings(client):
    b602 = await _open_with_b602(client)
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=URI), range=b602.range,
        context=types.CodeActionContext(diagnostics=[b602], only=[types.CodeActionKind.Source])))
    assert [a.title for a in actions] == ["Fix all analyzer findings in this file"]  # source covers source.fixAll
    # a file whose only finding is informational (B404, import subprocess) gets no "Fix all"
    client.replace(URI, FIXED, version=2)
    published = await client.publish(URI, lambda p: p.version == 2)
    low = [d for d in published.diagnostics if d.code == "B404"]
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=URI), range=low[0].range,
        context=types.CodeActionContext(diagnostics=low)))
    assert "Fix all analyzer findings in this file" not in [a.title for a in actions]


@pytest.mark.settings({"analyzers": ["syntax", "pyflakes", "bandit", "dataflow"]})
async def test_suppress_edit_removes_the_finding(client, apply_edits):
    # the emoji makes the edit's end column differ in UTF-16 and code points
    text = PLAIN.replace("cmd, shell", '"😀" + cmd, shell')
    b602 = await _open_with_b602(client, text)
    suppress = (await _actions(client, b602))["Suppress B602 with # nosec"]
    new = apply_edits(text, _edits_of(suppress.edit, version=1))
    assert new.splitlines()[4] == '    return subprocess.run("😀" + cmd, shell=True)  # nosec B602'
    client.replace(URI, new, version=2)
    # the same line's data-flow finding is its own, with its own suppression, added to the same comment
    published = await client.publish(URI, lambda p: p.version == 2)
    assert {d.code for d in published.diagnostics} == {"B404", "command-line-injection"}
    [flow] = [d for d in published.diagnostics if d.code == "command-line-injection"]
    suppress = (await _actions(client, flow))["Suppress command-line-injection with # nosec"]
    newer = apply_edits(new, _edits_of(suppress.edit, version=2))
    assert newer.splitlines()[4].endswith("# nosec B602, command-line-injection")
    client.replace(URI, newer, version=3)
    assert await _codes_after(client, 3) == {"B404"}


async def test_fix_all_applied_by_the_client_removes_the_finding(client, apply_edits):
    b602 = await _open_with_b602(client)
    fix_all = (await _actions(client, b602))["Fix all analyzer findings in this file"]
    resolved = await client.code_action_resolve_async(fix_all)
    new = apply_edits(INSECURE, _edits_of(resolved.edit, version=1))
    assert new == FIXED
    client.replace(URI, new, version=2)
    assert await _codes_after(client, 2) == {"B404", "B603"}


@pytest.mark.settings({"model": "/nonexistent/model.gguf"})
async def test_a_mechanical_fix_needs_no_model(client, apply_edits):
    """The model cannot load here at all; "Fix with analyzer" still answers with the mechanical fix."""
    b602 = await _open_with_b602(client, PLAIN)
    fix = (await _actions(client, b602))["Fix with analyzer: B602"]
    resolved = await client.code_action_resolve_async(fix)
    new = apply_edits(PLAIN, _edits_of(resolved.edit, version=1))
    assert new == PLAIN_FIXED
    client.replace(URI, new, version=2)
    assert "B602" not in await _codes_after(client, 2)


@pytest.mark.fake(STILL_FLAGGED)
async def test_unrepairable_fix_has_no_edit_and_says_why(client):
    b602 = await _open_with_b602(client)
    fix = (await _actions(client, b602))["Fix with analyzer: B602"]
    seen = len(client.messages)
    resolved = await client.code_action_resolve_async(fix)
    assert resolved.edit is None
    message = await client.message(lambda m: "could not repair" in m.message, after=seen)
    assert message.type == types.MessageType.Warning


async def test_fix_for_a_finding_fixed_meanwhile_says_so(client):
    b602 = await _open_with_b602(client)
    fix = (await _actions(client, b602))["Fix with analyzer: B602"]
    client.replace(URI, FIXED, version=2)
    assert await _codes_after(client, 2) == {"B404", "B603"}
    seen = len(client.messages)
    resolved = await client.code_action_resolve_async(fix)
    assert resolved.edit is None
    await client.message(lambda m: "gone" in m.message, after=seen)


async def test_generate_inserts_code_below_the_comment_with_its_indent(client, apply_edits):
    text = "class Tools:\n    # add two numbers\n\n\nprint(Tools)\n"
    client.open(URI, text)
    result = await client.command("secgen.generate", URI, {"line": 1, "character": 10})
    assert result["applied"] is True and result["clean"] is True and result["residual"] == []
    [params] = client.edits
    edits = _edits_of(params.edit, version=1)
    assert edits == [types.TextEdit(range=types.Range(start=types.Position(line=2, character=0),
                                                      end=types.Position(line=2, character=0)),
                                    new_text="    def add(a, b):\n        return a + b\n")]
    assert apply_edits(text, edits) == ("class Tools:\n    # add two numbers\n    def add(a, b):\n"
                                        "        return a + b\n\n\nprint(Tools)\n")
    # no comment at the cursor: nothing to generate, no edit sent
    result = await client.command("secgen.generate", URI, {"line": 4, "character": 0})
    assert result["applied"] is False and "no comment" in result["reason"]
    assert len(client.edits) == 1


async def test_generate_on_a_last_line_without_newline(client, apply_edits):
    text = "import os\n# add two numbers"
    client.open(URI, text)
    result = await client.command("secgen.generate", URI, {"line": 1, "character": 5})
    assert result["applied"] is True
    [params] = client.edits
    assert apply_edits(text, _edits_of(params.edit, version=1)) == \
        "import os\n# add two numbers\ndef add(a, b):\n    return a + b\n"
