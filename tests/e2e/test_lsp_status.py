"""The ``secgen/status`` notification: what an editor's status bar shows (model state, last latency, repairs).

The fake model's first answer is flagged (``shell=True``) and its second is
clean, so one completion makes one repair.
"""

from __future__ import annotations

import pytest

SCRIPT = {"fim": ["return subprocess.run(cmd, shell=True)\n", "return subprocess.run(cmd.split())\n"]}
PROMPT = "import subprocess\n\n\ndef run(cmd):\n    \n"
URI = "file:///tmp/secgen-e2e/status.py"


async def test_status_is_sent_before_and_after_the_model_load(client):
    await client.status(lambda s: s["model"]["state"] == "ready")  # sent just after the load's progress ends
    first, second = client.statuses[:2]
    assert first["model"]["state"] == "loading" and first["model"]["message"]
    assert second["model"]["state"] == "ready" and second["model"]["error"] is None
    assert second["lastLatencyMs"] is None and second["counts"]["suggestions"] == 0


async def test_status_after_a_repaired_completion(client):
    client.open(URI, PROMPT)
    seen = len(client.statuses)
    [item] = (await client.inline(URI, 4, 4)).items
    assert item.insert_text == "return subprocess.run(cmd.split())\n"
    status = await client.status(lambda s: s["counts"]["suggestions"] == 1, after=seen)  # not a late "ready"
    stats = await client.stats()
    assert status["counts"]["repaired"] == 1 and status["counts"]["suggestions"] == 1
    assert status["lastLatencyMs"] == stats["latency"]["completion"]["last_ms"] > 0
    assert stats["model"]["state"] == "ready" and stats["model"]["ready"] is True
    seen = len(client.statuses)
    await client.command(item.command.command, *item.command.arguments)
    assert (await client.status(after=seen))["counts"]["accepted"] == 1  # the status bar counts acceptances


@pytest.mark.settings({"model": "/nonexistent/m.gguf"})
async def test_status_reports_a_failed_load(client):
    status = await client.status(lambda s: s["model"]["state"] == "failed")
    assert "/nonexistent/m.gguf" in status["model"]["error"]
    assert [s["model"]["state"] for s in client.statuses][-1] == "failed"



def test_stats_without_params_is_answered(tmp_path):
    """JSON-RPC lets a request leave ``params`` out; pygls' generic request type required them, and no answer came.

    Raw bytes over the real server's stdio, since LSP client libraries always send ``params``.
    """
    import json
    import subprocess
    import sys

    script = tmp_path / "script.json"
    script.write_text("{}")
    server = subprocess.Popen([sys.executable, "-m", "secgen.server.lsp", "--stdio"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

    def send(message):
        body = json.dumps(message).encode()
        server.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        server.stdin.flush()

    def receive():
        length = 0
        while (line := server.stdout.readline()) not in (b"\r\n", b""):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        return json.loads(server.stdout.read(length))

    try:
        send({"jsonrpc": "2.0", "id": 1, "method": "initialize",
              "params": {"capabilities": {}, "initializationOptions": {"model": f"fake:{script}"}}})
        send({"jsonrpc": "2.0", "id": 2, "method": "secgen/stats"})
        messages = [receive() for _ in range(2)]  # the initialize result, then the answer (or, before, a popup)
        answer = next((m for m in messages if m.get("id") == 2), None)
        assert answer is not None and "result" in answer, messages
        assert "counts" in answer["result"] and answer["result"]["model"]["state"] == "loading"  # no initialized yet
        assert not any(m.get("method") == "window/showMessage" for m in messages), messages
    finally:
        server.kill()
        server.wait()


async def test_edits_leave_nothing_behind_in_the_table_of_requests_in_flight(client):
    from lsprotocol import types

    client.open(URI, PROMPT)
    for version in range(2, 202):  # typing: one character at a time
        at = types.Position(line=4, character=4 + version - 2)
        client.edit(URI, [types.TextEdit(range=types.Range(start=at, end=at), new_text="x")], version=version)
    await client.publish(URI, lambda p: p.version == 201)
    stats = await client.stats()
    assert stats["in_flight"] == 0  # pygls alone kept one future per didChange: 200 here
    assert stats["analyzer_workers"]["size"] >= 1 and stats["analyzer_workers"]["broken"] is None
