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
    first, second = client.statuses[:2]
    assert first["model"]["state"] == "loading" and first["model"]["message"]
    assert second["model"]["state"] == "ready" and second["model"]["error"] is None
    assert second["lastLatencyMs"] is None and second["counts"]["suggestions"] == 0


async def test_status_after_a_repaired_completion(client):
    client.open(URI, PROMPT)
    seen = len(client.statuses)
    [item] = (await client.inline(URI, 4, 4)).items
    assert item.insert_text == "return subprocess.run(cmd.split())\n"
    status = await client.status(after=seen)
    stats = await client.stats()
    assert status["counts"]["repaired"] == 1 and status["counts"]["suggestions"] == 1
    assert status["lastLatencyMs"] == stats["latency"]["completion"]["last_ms"] > 0
    assert stats["model"]["state"] == "ready" and stats["model"]["ready"] is True


@pytest.mark.settings({"model": "/nonexistent/m.gguf"})
async def test_status_reports_a_failed_load(client):
    status = await client.status(lambda s: s["model"]["state"] == "failed")
    assert "/nonexistent/m.gguf" in status["model"]["error"]
    assert [s["model"]["state"] for s in client.statuses][-1] == "failed"
