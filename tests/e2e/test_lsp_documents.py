"""Awkward documents over stdio: huge, binary, non-ASCII, odd line endings, stale versions.

Positions on the wire are UTF-16 code units on lines split at ``\\n``,
``\\r\\n`` and ``\\r`` (LSP's default encoding); the server converts once, and
these tests check it against text where code points and UTF-16 units differ.
"""

from __future__ import annotations

import pytest
from lsprotocol import types

SCRIPT = {"fim": ["return 1\n"]}
INSECURE = "import subprocess\n\n\ndef run(cmd):\n    return subprocess.run(cmd, shell=True)\n"
URI = "file:///tmp/secgen-e2e/doc.py"
HUGE = "x = 1\n" * 500_000  # 3 MB, over the server's 2,000,000-character limit


def _codes(published) -> set[str]:
    return {d.code for d in published.diagnostics}


async def test_a_huge_document_is_skipped_with_a_message_and_stale_findings_cleared(client):
    client.open(URI, INSECURE)
    assert "B602" in _codes(await client.publish(URI))
    client.replace(URI, HUGE, version=2)
    message = await client.message(lambda m: "analysis is skipped" in m.message)
    assert "3,000,000 characters" in message.message
    # the findings of version 1 would sit on lines that no longer hold that code
    assert _codes(await client.publish(URI, lambda p: p.version == 2)) == set()
    assert list((await client.inline(URI, 10, 0)).items) == []
    forged = types.Diagnostic(range=types.Range(start=types.Position(line=3, character=0),
                                                end=types.Position(line=3, character=5)),
                              message="x", source="secgen/bandit", code="B602",
                              data={"analyzer": "bandit", "ruleId": "B602", "line": 3})
    assert list(await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=URI), range=forged.range,
        context=types.CodeActionContext(diagnostics=[forged])))) == []  # never analyzed: nothing to act on
    # Incremental edits on the huge text (by offsets, not line by line): cut it under the limit,
    # then write the insecure code at its end; the findings land on the lines they are on.
    at = lambda line, character: types.Position(line=line, character=character)  # noqa: E731
    client.edit(URI, [types.TextEdit(range=types.Range(start=at(1, 0), end=at(499_999, 0)), new_text="")], version=3)
    client.edit(URI, [types.TextEdit(range=types.Range(start=at(2, 0), end=at(2, 0)), new_text=INSECURE)], version=4)
    published = await client.publish(URI, lambda p: p.version == 4)
    assert [(d.code, d.range.start.line) for d in published.diagnostics if d.code == "B602"] == [("B602", 6)]
    small = "file:///tmp/secgen-e2e/small.py"
    client.open(small, "import pickle\n")
    assert "B403" in _codes(await client.publish(small))


async def test_binary_text_and_lone_surrogates_do_not_break_the_server(client):
    client.open(URI, "\x00\x01\x02\x1b[0m\x7f\x08garbage\x00\n\x03\x04\n")
    published = await client.publish(URI)
    [syntax] = [d for d in published.diagnostics if d.code == "syntax-error"]
    assert syntax.severity == types.DiagnosticSeverity.Error
    assert syntax.range.start == types.Position(line=0, character=0)
    surrogate = "file:///tmp/secgen-e2e/surrogate.py"
    client.open(surrogate, 's = "\ud800"\nx = "😀"; eval(x)\n')
    # Python cannot compile it: a syntax error, on the line of the surrogate
    assert [d.range.start.line for d in (await client.publish(surrogate)).diagnostics] == [0]
    assert (await client.stats())["model"]["ready"] is True
    other = "file:///tmp/secgen-e2e/after.py"
    client.open(other, 'x = "😀"; eval(x)\n')
    [b307] = [d for d in (await client.publish(other)).diagnostics if d.code == "B307"]
    assert b307.range.start == types.Position(line=0, character=10)


async def test_a_finding_after_an_emoji_counts_it_as_two_utf16_units(client):
    for name, newline in {"lf": "\n", "crlf": "\r\n", "cr": "\r"}.items():
        uri = f"file:///tmp/secgen-e2e/emoji-{name}.py"
        client.open(uri, newline.join(["import os", 'x = "😀"; eval(x)', 'y = "é"; eval(y)', ""]))
        published = await client.publish(uri)
        ranges = sorted((d.range.start.line, d.range.start.character, d.range.end.character)
                        for d in published.diagnostics if d.code == "B307")
        # 'x = "😀"; ' is 9 code points and 10 UTF-16 units; "eval(x)" is 7 more
        assert ranges == [(1, 10, 17), (2, 9, 16)], name


@pytest.mark.parametrize(("encoding", "eval_at"), [
    pytest.param("utf-16", (10, 17), marks=pytest.mark.editor("visual-studio-code")),
    pytest.param("utf-8", (12, 19), marks=pytest.mark.editor("neovim@v0.11.0")),
    pytest.param("utf-32", (9, 16), marks=pytest.mark.editor("emacs")),
], ids=["vscode-utf16", "neovim-utf8", "emacs-utf32"])
async def test_positions_are_in_the_encoding_agreed_at_initialize(client, encoding, eval_at):
    assert client.server_capabilities.position_encoding == encoding
    text = 'import subprocess\nx = "😀"; eval(x)\nsubprocess.run(["😀", x], shell=True)\n'
    client.open(URI, text)
    published = await client.publish(URI)
    [b307] = [d for d in published.diagnostics if d.code == "B307"]
    assert (b307.range.start.character, b307.range.end.character) == eval_at
    [b602] = [d for d in published.diagnostics if d.code == "B602"]
    suppress = next(a for a in await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=URI), range=b602.range,
        context=types.CodeActionContext(diagnostics=[b602]))) if a.title.startswith("Suppress"))
    [change] = suppress.edit.document_changes
    [edit] = change.edits
    line = 'subprocess.run(["😀", x], shell=True)'
    assert edit.range.end.character == {"utf-16": 37, "utf-8": 39, "utf-32": 36}[encoding]
    assert edit.new_text == line + "  # nosec B602"


async def test_incremental_edits_below_a_form_feed_land_on_the_right_line(client):
    """LSP lines end at \\n, \\r\\n and \\r only; a form feed (or \\u2028) is not a line break."""
    client.open(URI, "import os\n\x0c\ns = '\u2028'\nx = 1\n")
    await client.publish(URI)
    at = types.Position(line=4, character=0)
    client.edit(URI, [types.TextEdit(range=types.Range(start=at, end=at), new_text="eval(input())\n")], version=2)
    latest = await client.publish(URI, lambda p: p.version == 2)
    assert [d.range.start.line for d in latest.diagnostics if d.code == "B307"] == [4]


async def test_a_completion_on_a_line_past_the_end_gets_nothing(client):
    client.open(URI, "def f():\n    \n")  # lines 0, 1 and an empty line 2
    for line in (3, 999):
        assert list((await client.inline(URI, line, 0)).items) == []
    assert (await client.stats())["counts"]["suggestions"] == 0
    # and the server still completes at a real position
    assert [i.insert_text for i in (await client.inline(URI, 1, 4)).items] == ["return 1\n"]


@pytest.mark.fake({"fim": ["return 1\n"], "rules": [{"match": "x = 1<\\|fim_suffix\\|><", "reply": " + 1"}]})
async def test_a_character_past_the_end_of_the_line_means_its_end(client):
    """As LSP says; the last line has no line break after it (pygls would put the cursor before its last character)."""
    client.open(URI, "y = 2\nx = 1")
    assert [i.insert_text for i in (await client.inline(URI, 1, 999)).items] == [" + 1"]


async def test_only_the_latest_version_is_published(client):
    client.open(URI, INSECURE)
    client.replace(URI, "import pickle\n", version=2)
    latest = await client.publish(URI, lambda p: p.version == 2)
    assert _codes(latest) == {"B403", "F401"}
    await client.stats()  # a round trip: anything the server still had to send has been read
    mine = [p for p in client.published if p.uri == URI]
    assert mine[-1] is latest
    assert all(p.version == 1 and "B602" in _codes(p) for p in mine[:-1])


async def test_rapid_incremental_edits_end_in_one_current_result(client, apply_edits):
    client.open(URI, "import os\n")
    text = "import os\n"
    for version, line in enumerate(["import pickle\n", "eval(input())\n", "import subprocess\n"], start=2):
        edit = types.TextEdit(range=types.Range(start=types.Position(line=version - 1, character=0),
                                                end=types.Position(line=version - 1, character=0)), new_text=line)
        text = apply_edits(text, [edit])
        client.edit(URI, [edit], version=version)
    latest = await client.publish(URI, lambda p: p.version == 4)
    assert _codes(latest) >= {"B403", "B307", "B404"}
    assert [d.range.start.line for d in latest.diagnostics if d.code == "B307"] == [2]
