"""A deliberately fragile stdio language server: what the fuzzer's crash and hang bookkeeping is tested on.

    python tests/fuzz/fragile_server.py

It fails in the two ways the fuzzer tells apart, on input a seeded stream
holds now and then:

* it **crashes** (exits with code 3, after a line on stderr) on a body that is
  JSON but not an object, as python-lsp-server does;
* it **hangs** on a ``textDocument/completion`` request: it stops reading and
  sleeps until it is killed, still running.

Other broken input costs only its own message: :class:`Frames` finds a header
anywhere in the stream, and a header inside a body that is still arriving
means that body's length lied. Every request is answered: ``initialize`` with
no capabilities, the rest with a null result. ``exit`` ends it with code 0.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sys

NOT_AN_OBJECT = 3
HEADER = re.compile(rb"content-length[ \t]*:[ \t]*(\d{1,9})[ \t]*\r?\n(?:[^\r\n]+\r?\n)*?\r?\n", re.IGNORECASE)


class Frames:
    """Message bodies out of a byte stream: :meth:`feed` bytes, then take :meth:`bodies`."""

    def __init__(self) -> None:
        self.buffer = b""

    def feed(self, data: bytes) -> None:
        self.buffer += data

    def bodies(self):
        while header := HEADER.search(self.buffer):
            end = header.end() + int(header.group(1))
            following = HEADER.search(self.buffer, header.end())
            if following and following.start() < end:  # the length lied: skip to the next header
                self.buffer = self.buffer[following.start():]
            elif len(self.buffer) >= end:
                body, self.buffer = self.buffer[header.end():end], self.buffer[end:]
                yield body
            else:
                return


def handle(body: bytes, stdout) -> int | None:
    """Answer one body; an exit code when the server ends."""
    try:
        message = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(message, dict):
        print(f"fragile: a body that is not an object: {message!r:.40}", file=sys.stderr, flush=True)
        return NOT_AN_OBJECT
    if message.get("method") == "exit":
        return 0
    if message.get("method") == "textDocument/completion":
        signal.pause()  # a hang: alive, reading nothing more
    if "id" in message and "method" in message:
        result = {"capabilities": {}} if message["method"] == "initialize" else None
        answer = json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": result}).encode()
        stdout.write(b"Content-Length: %d\r\n\r\n" % len(answer) + answer)
        stdout.flush()
    return None


def main() -> int:
    frames = Frames()
    while data := os.read(sys.stdin.fileno(), 1 << 16):
        frames.feed(data)
        for body in frames.bodies():
            if (code := handle(body, sys.stdout.buffer)) is not None:
                return code
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
