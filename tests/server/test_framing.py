"""FrameReader: LSP's Content-Length framing, read so that a bad frame costs one message, never the session."""

from __future__ import annotations

import json
import logging

import pytest

from secgen.server.framing import MAX_BODY, FrameReader


def body(n: int) -> bytes:
    return json.dumps({"jsonrpc": "2.0", "method": "m", "params": {"n": n}}).encode()


def frame(data: bytes, length: int | None = None, header: bytes = b"Content-Length: %d\r\n\r\n") -> bytes:
    return header % (len(data) if length is None else length) + data


def read(stream: bytes, step: int | None = None) -> list[int]:
    """The params.n of every message read from ``stream`` fed ``step`` bytes at a time (all at once if None)."""
    reader, found = FrameReader(), []
    step = step or len(stream) or 1
    for start in range(0, len(stream), step):
        reader.feed(stream[start:start + step])
        while (data := reader.next_body()) is not None:
            try:
                found.append(json.loads(data)["params"]["n"])
            except ValueError:
                reader.unread(data)  # what the protocol does with a body that is not JSON
    reader.close()
    return found


@pytest.mark.parametrize("step", [1, 3, None])
def test_well_formed_frames_in_any_chunks_and_header_spellings(step):
    stream = (frame(body(1)) + frame(body(2), header=b"content-length:%d\r\n\r\n")
              + frame(body(3), header=b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n"
                                      b"Content-Length: %d\r\n\r\n")
              + frame(body(4), header=b"Content-Length: %d\r\nContent-Type: application/vscode-jsonrpc\r\n\r\n")
              + frame(body(5), header=b"Content-Length: %d\n\n"))
    assert read(stream, step) == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("step", [1, None])
def test_a_short_length_loses_only_its_own_message(step, caplog):
    # pygls' anchored header pattern never matched again: the rest of the body sat on the next header's line
    stream = frame(body(1)) + frame(body(2), length=10) + frame(body(3)) + frame(body(4))
    with caplog.at_level(logging.WARNING, logger="secgen.server.framing"):
        assert read(stream, step) == [1, 3, 4]
    assert "not a message" in caplog.text


def test_a_long_length_does_not_wait_for_its_bytes():
    reader = FrameReader()
    reader.feed(frame(body(1), length=10_000) + frame(body(2)))
    # pygls blocked here until 10,000 bytes had come, swallowing the messages after
    assert json.loads(reader.next_body())["params"]["n"] == 2
    assert reader.next_body() is None


@pytest.mark.parametrize("extra", [1, 5, 13, 20])
def test_a_length_that_ends_inside_the_next_header_loses_only_its_own_message(extra):
    stream = frame(body(1), length=len(body(1)) + extra) + frame(body(2)) + frame(body(3))
    assert read(stream) == [2, 3]
    assert read(stream, 1) == [2, 3]


def test_missing_and_broken_headers_and_garbage_are_skipped_and_logged(caplog):
    stream = (b"garbage \x00\xff\r\n" + frame(body(1)) + b"Content-Type: x\r\n\r\n" + body(2) + frame(body(3))
              + b"Content-Length: abc\r\n\r\n" + body(4) + b"\r\n\r\n\n" + frame(body(5))
              + b"Content-Length: %d\r\n\r\n" % (MAX_BODY + 1) + body(6) + frame(body(7)))
    with caplog.at_level(logging.WARNING, logger="secgen.server.framing"):
        assert read(stream) == [1, 3, 5, 7]
    assert "skipped" in caplog.text and "announcing" in caplog.text


def test_a_body_put_back_is_not_reported_twice(caplog):
    reader = FrameReader()
    reader.feed(frame(b"not json at all") + frame(body(1)))
    bad = reader.next_body()
    reader.unread(bad)  # the protocol has logged it
    with caplog.at_level(logging.WARNING, logger="secgen.server.framing"):
        assert json.loads(reader.next_body())["params"]["n"] == 1
    assert "not a message" not in caplog.text


def test_the_end_of_the_stream_inside_a_message_is_logged(caplog):
    reader = FrameReader()
    reader.feed(frame(body(1))[:-3])
    assert reader.next_body() is None
    with caplog.at_level(logging.WARNING, logger="secgen.server.framing"):
        reader.close()
    assert "ended inside a message" in caplog.text
