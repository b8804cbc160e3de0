"""The opt-in pair collector over stdio: accepting a silently repaired suggestion keeps one preference pair.

The fake model's first answer is flagged by Bandit (B602, ``shell=True``) and
its repair is clean, so the suggestion offered is the repaired one. The
settings arrive in ``workspace/didChangeConfiguration`` before the document
opens, as an editor sends them when the user turns collecting on.
"""

from __future__ import annotations

import pytest
from lsprotocol import types

from secgen.engine.prompts import generation_messages
from secgen.training.pairs import fenced, read_pairs

FLAGGED = "return subprocess.run(cmd, shell=True)\n"
CLEAN = "return subprocess.run(cmd.split())\n"
SCRIPT = {"fim": [FLAGGED, CLEAN]}
PROMPT = "import subprocess\n\n\ndef run(cmd):\n    \n"
URI = "file:///tmp/secgen-e2e/folder/collect.py"


def _configure(client, **settings) -> None:
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={"secgen": settings}))


async def _accept_repaired(client) -> types.InlineCompletionItem:
    client.open(URI, PROMPT)
    await client.publish(URI)
    [item] = (await client.inline(URI, 4, 4)).items
    assert item.insert_text == CLEAN  # the flagged first answer was repaired before it was offered
    assert (await client.command(item.command.command, *item.command.arguments))["accepted"] is True
    return item


async def test_accepting_a_repaired_suggestion_keeps_one_pair(client, tmp_path):
    path = tmp_path / "collected" / "pairs.jsonl"
    _configure(client, collectPairs=True, collectPairsPath=str(path))
    item = await _accept_repaired(client)
    [pair] = read_pairs(path)
    assert "shell=True" in pair.rejected and pair.rejected == fenced(FLAGGED, "python")
    assert pair.chosen == fenced(item.insert_text, "python")
    assert pair.meta["source"] == "editor" and pair.meta["file"] == "collect.py"
    assert [b["rule_id"] for b in pair.meta["rejected_blocking"]] == ["B602"]
    assert pair.meta["fim"] == {"prefix": PROMPT[:-1], "suffix": "\n"}
    assert "<CURSOR>" in pair.prompt[-1]["content"]
    # the same suggestion's command again: no second pair
    await client.command(item.command.command, *item.command.arguments)
    assert len(read_pairs(path)) == 1
    assert (await client.stats())["counts"]["pairs"] == 1
    assert client.messages == []


async def test_with_the_setting_off_nothing_is_written(client, tmp_path):
    path = tmp_path / "collected" / "pairs.jsonl"
    _configure(client, collectPairsPath=str(path))  # collectPairs stays false
    await _accept_repaired(client)
    assert not path.parent.exists()


SHELL_CHAT = "```python\nimport subprocess\n\n\ndef run(cmd):\n    return subprocess.run(cmd, shell=True)\n```"
SAFE_CHAT = "```python\nimport subprocess\n\n\ndef run(cmd):\n    return subprocess.run(cmd.split())\n```"


@pytest.mark.fake({"chat": [SHELL_CHAT, SAFE_CHAT]})
async def test_generated_code_applied_by_the_client_keeps_a_pair(client, tmp_path):
    path = tmp_path / "pairs.jsonl"
    _configure(client, collectPairs=True, collectPairsPath=str(path))
    client.open(URI, "# run the command cmd\n")
    await client.publish(URI)
    result = await client.command("secgen.generate", URI, {"line": 0, "character": 5})
    assert result["applied"] is True and result["clean"] is True and result["attempts"] == 2
    [pair] = read_pairs(path)
    assert pair.prompt == tuple({"role": m.role, "content": m.content}
                                for m in generation_messages("run the command cmd", "python"))
    # the chosen side is the mechanical fix of the first answer (the model was asked once)
    assert "shell=True" in pair.rejected and "subprocess.run(shlex.split(cmd))" in pair.chosen
    assert "fim" not in pair.meta
