"""Cancelling and superseding completions over stdio, with a slow fake model.

The fake streams four characters every 50 ms. A prompt that mentions SLOW
gets a 600-character reply (about 7.5 s to stream), one that mentions MEDIUM
about half a second, anything else a short line. pygls' client does not send
``$/cancelRequest`` when a future is cancelled, so the tests send it.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcRequestCancelled

MEDIUM_REPLY = "return [1, 2, 3, 4, 5, 6, 7, 8]\n"
SCRIPT = {
    "chunk_delay_s": 0.05,
    "fim": ["return 1\n"],
    "rules": [{"kind": "fim", "match": "SLOW", "reply": "x = 1\n" * 100},
              {"kind": "fim", "match": "MEDIUM", "reply": MEDIUM_REPLY}],
}
SLOW_URI, SLOW_DOC = "file:///tmp/secgen-e2e/slow.py", "def slow():\n    # SLOW\n    \n"
MEDIUM_URI, MEDIUM_DOC = "file:///tmp/secgen-e2e/medium.py", "def medium():\n    # MEDIUM\n    \n"
FAST_URI, FAST_DOC = "file:///tmp/secgen-e2e/fast.py", "def fast():\n    \n"
PROMPT = "well under the 7.5 s the slow reply takes to stream"


async def _cancelled_promptly(client, request, msg_id):
    started = time.monotonic()
    client.cancel(msg_id)
    with pytest.raises(JsonRpcRequestCancelled):
        await client.answer(request, 5)
    assert time.monotonic() - started < 1.0, PROMPT


async def test_cancel_request_stops_a_completion_and_the_next_is_answered(client):
    client.open(SLOW_URI, SLOW_DOC)
    client.open(FAST_URI, FAST_DOC)
    request = client.inline_request(SLOW_URI, 2, 4, msg_id="slow-1")
    # A round trip: the server reads no further message before the completion's handler has started.
    await client.stats()
    await _cancelled_promptly(client, request, "slow-1")
    started = time.monotonic()
    result = await client.inline(FAST_URI, 1, 4)
    assert [item.insert_text for item in result.items] == ["return 1\n"]
    assert time.monotonic() - started < 2.0, PROMPT
    assert (await client.stats())["counts"]["cancelled"] == 1


async def test_a_newer_request_for_the_document_supersedes_the_older(client):
    client.open(MEDIUM_URI, MEDIUM_DOC)
    first = asyncio.ensure_future(client.inline(MEDIUM_URI, 2, 4))
    second = asyncio.ensure_future(client.inline(MEDIUM_URI, 2, 4))
    first, second = await asyncio.wait_for(asyncio.gather(first, second), 10)
    assert list(first.items) == []
    assert [item.insert_text for item in second.items] == [MEDIUM_REPLY]
    counts = (await client.stats())["counts"]
    assert counts["cancelled"] == 1 and counts["suggestions"] == 1


async def test_diagnostics_arrive_while_the_model_generates(client):
    client.open(SLOW_URI, SLOW_DOC)
    request = client.inline_request(SLOW_URI, 2, 4, msg_id="slow-2")
    await client.stats()
    other = "file:///tmp/secgen-e2e/other.py"
    client.open(other, "import pickle\n")
    published = await client.publish(other, timeout=5)
    assert "B403" in {d.code for d in published.diagnostics}
    assert not request.done()  # the model is still streaming in its thread
    await _cancelled_promptly(client, request, "slow-2")


async def test_closing_the_document_mid_completion_does_not_break_the_server(client):
    client.open(SLOW_URI, SLOW_DOC)
    request = client.inline_request(SLOW_URI, 2, 4, msg_id="slow-3")
    await client.stats()
    client.text_document_did_close(types.DidCloseTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=SLOW_URI)))
    await client.publish(SLOW_URI, lambda p: not p.diagnostics and p.version is None)
    await _cancelled_promptly(client, request, "slow-3")
    client.open(FAST_URI, FAST_DOC)
    assert [item.insert_text for item in (await client.inline(FAST_URI, 1, 4)).items] == ["return 1\n"]
