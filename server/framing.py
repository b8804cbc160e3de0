"""LSP's base protocol, read so that a bad frame costs one message, never the session.

A client frames each message as ``Content-Length: N`` (other headers may
follow), a blank line, and N bytes of JSON. pygls' reader
(``pygls.io_.run_async``) trusts that framing. A length that is too short
leaves the rest of the body glued to the next header on one line, which its
anchored pattern never matches again, so every later message is lost; a
length that is too long blocks the read until N more bytes arrive, swallowing
the messages after it. This reader, :class:`FrameReader`, keeps reading:

* a header is found anywhere in the stream (the name in any case, lines ending
  in CRLF or LF); bytes before it are logged and skipped;
* while a body arrives, the next header is looked for inside it. Valid JSON
  never holds ``Content-Length: N`` followed by a raw line break (outside a
  string that is not JSON; inside one a raw line break is not allowed), so
  such a header means the declared length was too long: that message is
  skipped and reading resumes at the header, without waiting for N bytes;
* a body that is not JSON comes back through :meth:`FrameReader.unread` and is
  searched for a header: a too-long length that ended inside the next header
  then loses only its own message.

:func:`serve` runs it over any source of byte chunks (stdin, a socket) and
hands each body to the protocol (``SecgenProtocol.handle_body``).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import re
import threading
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

CHUNK = 1 << 16
MAX_BODY = 1 << 30  # a longer Content-Length is a broken header, not a message to wait for
MAX_HEADER_BLOCK = 8192  # a header block not complete within this many bytes is broken
NAME = b"content-length"
_LENGTH = rb"content-length[ \t]{0,8}:[ \t]{0,8}(\d{1,12})[ \t]{0,8}\r?\n"
_OTHER_HEADER = rb"[!-9;-~]+[ \t]*:[^\r\n]*\r?\n"  # a header name is printable ASCII without ':'
HEADER = re.compile(_LENGTH + rb"(?:" + _OTHER_HEADER + rb")*\r?\n", re.IGNORECASE)
LENGTH_LINE = re.compile(_LENGTH, re.IGNORECASE)
LENGTH_LINE_MAX = 64  # the longest LENGTH_LINE can match
OTHER_HEADERS = re.compile(rb"(?:" + _OTHER_HEADER + rb")*")
SAMPLE = 1024  # skipped bytes kept: enough to tell headers from garbage, and for the log


class FrameReader:
    """Message bodies out of a byte stream (sans I/O): :meth:`feed` bytes in, take bodies with :meth:`next_body`."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._length: int | None = None  # the body being read, once its header is in
        self._scanned = 0  # how much of that body has been searched for the next header
        self._skipped = 0  # bytes skipped since the last header, for one log line
        self._sample = b""
        self._quiet = 0  # the first bytes of the buffer are a body the protocol has already reported

    def feed(self, data: bytes) -> None:
        self._buffer += data

    def unread(self, body: bytes) -> None:
        """Put back a body that did not parse: a header may lie inside it (see the module docstring)."""
        self._buffer[:0] = body
        self._quiet += len(body)

    def next_body(self) -> bytes | None:
        """The next whole body, or None until more bytes are fed."""
        while True:
            if self._length is None and not self._read_header():
                return None
            body = self._read_body()
            if body is not None:
                return body
            if self._length is not None:
                return None  # the body is incomplete; else it was skipped and the next header is first in line

    def close(self) -> None:
        """The stream ended: log what was left unread."""
        if self._length is not None:
            log.warning("the stream ended inside a message (%d of %d bytes)", len(self._buffer), self._length)
        self._skip(len(self._buffer))
        self._report_skipped()

    def _read_header(self) -> bool:
        match = HEADER.search(self._buffer)
        if match is None:
            # keep what may still become a header; the rest is not a message
            tail = bytes(self._buffer[-MAX_HEADER_BLOCK:]).lower()
            at = tail.rfind(NAME)
            keep = len(tail) - at if at >= 0 else len(NAME) - 1
            self._skip(len(self._buffer) - keep)
            return False
        length = int(match.group(1))  # before the buffer changes under the match
        self._skip(match.start())
        self._report_skipped()
        self._drop(match.end() - match.start())
        if length > MAX_BODY:
            log.warning("skipped a header announcing %d bytes (more than %d)", length, MAX_BODY)
            return self._read_header()
        self._length, self._scanned = length, 0
        return True

    def _read_body(self) -> bytes | None:
        """The body once all of it is in; None while it is incomplete, or when it was cut short and skipped."""
        length = self._length
        start = max(0, self._scanned - LENGTH_LINE_MAX)
        found = LENGTH_LINE.search(self._buffer, start, min(len(self._buffer), length + LENGTH_LINE_MAX))
        if found is not None and found.start() < length:
            log.warning("skipped a message of %d bytes whose Content-Length said %d: the next header came first",
                        found.start(), length)
            self._drop(found.start())
            self._length = None
            return None
        self._scanned = len(self._buffer)
        if len(self._buffer) < length:
            return None
        body = bytes(self._buffer[:length])
        self._drop(length)
        self._length = None
        return body

    def _drop(self, count: int) -> None:
        del self._buffer[:count]
        self._quiet = max(0, self._quiet - count)

    def _skip(self, count: int) -> None:
        """Drop ``count`` bytes that are not a message, keeping those not reported yet for :meth:`_report_skipped`."""
        if count <= 0:
            return
        loud = count - min(count, self._quiet)
        if loud:
            room = SAMPLE - len(self._sample)
            if room > 0:
                self._sample += bytes(self._buffer[count - loud:count - loud + min(loud, room)])
            self._skipped += loud
        self._drop(count)

    def _report_skipped(self) -> None:
        if not self._skipped:
            return
        if self._skipped <= len(self._sample) and OTHER_HEADERS.fullmatch(self._sample):
            log.debug("headers before Content-Length: %r", self._sample)  # Content-Type first is no fault
        else:
            log.warning("skipped %d bytes that were not a message: %r", self._skipped, self._sample[:60])
        self._skipped, self._sample = 0, b""


async def serve(read: Callable[[], Awaitable[bytes]], protocol, stop: threading.Event) -> None:
    """Read chunks until the stream ends or ``stop`` is set, and hand every body to ``protocol.handle_body``.

    ``handle_body`` returns False for a body that is not JSON; it goes back to
    the reader to be searched for a header.
    """
    frames = FrameReader()
    while not stop.is_set():
        data = await read()
        if not data:
            break
        frames.feed(data)
        while (body := frames.next_body()) is not None:
            try:
                parsed = protocol.handle_body(body)
            except Exception:  # a bug in handling one message must not end the session
                log.exception("failed to handle a message")
                parsed = True
            if not parsed:
                frames.unread(body)
            await asyncio.sleep(0)  # let the handlers just started run before the next message
    frames.close()


class StdinChunks:
    """Chunks of a binary stream, read on a daemon thread one at a time as :func:`serve` asks for them.

    pygls reads stdin in its worker pool, whose threads Python joins at exit:
    a server told to ``exit`` by a client that kept the pipe open hung there.
    A daemon thread ends with the process.
    """

    def __init__(self, stream) -> None:
        self._read = getattr(stream, "read1", stream.read)
        self._wanted: queue.SimpleQueue[asyncio.Future] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    async def __call__(self) -> bytes:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._wanted.put(future)
        if self._thread is None:
            self._thread = threading.Thread(target=self._pump, args=(loop,), name="secgen-stdin", daemon=True)
            self._thread.start()
        return await future

    def _pump(self, loop: asyncio.AbstractEventLoop) -> None:
        data = b"-"
        while data:
            future = self._wanted.get()
            try:
                data = self._read(CHUNK)
            except (OSError, ValueError) as exc:  # the stream was closed under us
                log.warning("stdin: %s", exc)
                data = b""
            try:
                loop.call_soon_threadsafe(_settle, future, data)
            except RuntimeError:  # the event loop is gone: the server is exiting
                return


def _settle(future: asyncio.Future, data: bytes) -> None:
    if not future.done():
        future.set_result(data)
