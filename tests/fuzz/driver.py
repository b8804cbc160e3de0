"""A raw LSP client over pipes: it sends bytes, so it can send what no well-behaved client would.

pytest-lsp's client (the e2e tests' harness) sends only well-formed messages.
The fuzzer and the protocol tests need broken frames, bodies that are not
JSON, and ids of every type, so :class:`RawServer` writes bytes to the real
``secgen-lsp --stdio`` and reads its output on a thread. That output, unlike
the input, must always be well formed: a frame the reader cannot parse is
counted in ``bad_output``.

The same client drives other language servers (``command``): the fuzzer runs
its stream against them side by side (``tests.fuzz.targets``).

It answers the server's own requests (``workspace/configuration``,
``workspace/applyEdit``, progress creation) as a quiet client would, records
every response by id, and keeps the ``window/showMessage`` texts and the
``secgen/status`` notifications.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

SERVER_COMMAND = [sys.executable, "-m", "secgen.server.lsp", "--stdio"]
FAKE_SCRIPT = {"fim": ["return 1\n"], "chat": ["```python\nvalue = 1\n```"]}


def frame(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def encode(message) -> bytes:
    """JSON as a client writes it; ``ensure_ascii`` keeps lone surrogates as ``\\ud800`` escapes."""
    return json.dumps(message).encode()


class RawServer:
    """``secgen-lsp --stdio`` with the scripted fake model (or ``command``, as it is), driven with raw bytes."""

    def __init__(self, workdir: Path, *, script: dict | None = None, command: list[str] | None = None,
                 cwd: Path | None = None) -> None:
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.script_path = workdir / "fake-script.json"
        self.script_path.write_text(json.dumps(FAKE_SCRIPT if script is None else script))
        self.log_path = workdir / "server.log"
        self.stderr_path = workdir / "stderr.txt"
        if command is None:
            command = [*SERVER_COMMAND, "--log-file", str(self.log_path), "--log-level", "WARNING"]
        with open(self.stderr_path, "wb") as stderr:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr,
                                            cwd=cwd)
        self.responses: dict = defaultdict(list)  # id -> every response with that id
        self.shown: list[str] = []  # window/showMessage texts
        self.statuses: list[dict] = []  # secgen/status params
        self.bad_output = 0
        self.ids: set[str] = set()  # the ids new_id gave out
        self._arrived = threading.Condition()
        self._outbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._next_id = 0
        self._reader = threading.Thread(target=self._read, name="raw-lsp-reader", daemon=True)
        self._writer = threading.Thread(target=self._write_all, name="raw-lsp-writer", daemon=True)
        self._reader.start()
        self._writer.start()

    # -- sending ----------------------------------------------------------------------

    def send_raw(self, data: bytes) -> None:
        """Queue bytes for the writer thread, which sends them as they are.

        Writes go through one thread so that neither the test nor the reader
        (answering the server's requests) ever blocks on a full pipe while the
        server, blocked on its own full stdout, waits for the reader.
        """
        self._outbox.put(data)

    def _write_all(self) -> None:
        while (data := self._outbox.get()) is not None:
            try:
                self.process.stdin.write(data)
                self.process.stdin.flush()
            except (BrokenPipeError, ValueError, OSError):
                pass  # the server is gone: the rest is dropped, and its exit is what the caller checks
        try:
            self.process.stdin.close()
        except OSError:
            pass

    def send(self, message: dict) -> None:
        self.send_raw(frame(encode(message)))

    def new_id(self) -> str:
        self._next_id += 1
        self.ids.add(f"r{self._next_id}")
        return f"r{self._next_id}"

    def request(self, method: str, params=None, *, msg_id=None):
        msg_id = self.new_id() if msg_id is None else msg_id
        message = {"jsonrpc": "2.0", "id": msg_id, "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)
        return msg_id

    def notify(self, method: str, params=None) -> None:
        message = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)

    # -- waiting ----------------------------------------------------------------------

    def wait(self, msg_id, timeout: float) -> dict | None:
        """The first response to ``msg_id``, or None if none came within ``timeout`` seconds."""
        with self._arrived:
            self._arrived.wait_for(lambda: self.responses.get(msg_id) or not self._reader.is_alive(), timeout)
            answers = self.responses.get(msg_id)
            return answers[0] if answers else None

    def call(self, method: str, params=None, *, timeout: float = 30.0) -> dict:
        msg_id = self.request(method, params)
        response = self.wait(msg_id, timeout)
        assert response is not None, f"no response to {method} within {timeout} s"
        return response

    def wait_status(self, match, timeout: float) -> dict | None:
        with self._arrived:
            self._arrived.wait_for(lambda: any(match(s) for s in self.statuses) or not self._reader.is_alive(),
                                   timeout)
            return next((s for s in self.statuses if match(s)), None)

    def initialize(self, *, settings: dict | None = None, timeout: float = 60.0) -> dict:
        """initialize and initialized, then wait until the model (the fake unless ``settings`` names one) is loaded."""
        options = {"model": f"fake:{self.script_path}", "debounceMs": 0, **(settings or {})}
        result = self.call("initialize", {"processId": os.getpid(), "rootUri": None, "capabilities": {},
                                          "initializationOptions": options}, timeout=timeout)
        self.notify("initialized", {})
        loaded = self.wait_status(lambda s: s["model"]["state"] in ("ready", "failed"), timeout)
        assert loaded and loaded["model"]["state"] == "ready", f"the model did not load: {loaded}"
        return result

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    @property
    def reading(self) -> bool:
        """Whether the server's output is still open (it closes when the process ends)."""
        return self._reader.is_alive()

    def close(self, timeout: float = 30.0) -> int | None:
        """shutdown, exit, and the exit code (None if it had to be killed)."""
        if self.alive:
            msg_id = self.request("shutdown")
            self.wait(msg_id, timeout)
            self.notify("exit")
        self._outbox.put(None)  # then close stdin
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
            code = None
        self._reader.join(10)
        return code

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stderr_tail(self, chars: int = 1000) -> str:
        """The end of what the server wrote to stderr (where a crashing Python server leaves its traceback)."""
        with open(self.stderr_path, "rb") as stderr:
            stderr.seek(max(0, stderr.seek(0, os.SEEK_END) - chars))
            return stderr.read().decode(errors="replace")

    # -- reading ----------------------------------------------------------------------

    def _read(self) -> None:
        stream = self.process.stdout
        while True:
            headers = {}
            while True:
                line = stream.readline()
                if not line:
                    return self._ended()
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode("ascii", "replace").partition(":")
                headers[name.strip().lower()] = value.strip()
            try:
                length = int(headers["content-length"])
                body = stream.read(length)
                if len(body) < length:  # the output ended inside the frame: the process died writing it
                    return self._ended()
                message = json.loads(body)
            except (KeyError, ValueError):
                self.bad_output += 1
                continue
            self._dispatch(message)

    def _ended(self) -> None:
        with self._arrived:
            self._arrived.notify_all()

    def _dispatch(self, message: dict) -> None:
        method = message.get("method")
        if method is not None and "id" in message:  # the server asks: answer as a quiet client
            self.send({"jsonrpc": "2.0", "id": message["id"], "result": _answer(method, message.get("params"))})
            return
        with self._arrived:
            if method is None:
                self.responses[message.get("id")].append(message)
            elif method == "window/showMessage":
                self.shown.append(message["params"]["message"])
            elif method == "secgen/status":
                self.statuses.append(message["params"])
            self._arrived.notify_all()


def _answer(method: str, params):
    if method == "workspace/configuration":
        return [None] * len((params or {}).get("items", []))
    if method == "workspace/applyEdit":
        return {"applied": False}
    return None


def wait_until(predicate, timeout: float, interval: float = 0.05) -> bool:
    """Poll ``predicate`` (for a process's exit, which has no event to wait on) until true or ``timeout``."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)
    return True
