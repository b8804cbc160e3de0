"""Fault injection at the language server: the real ``secgen-lsp --stdio``, things going wrong around it.

* **The model server fails.** The model spec is ``http://`` and points at a
  stub HTTP server in this test, which answers each completion as the test
  says: HTTP 500 with a traceback, a garbled event, an answer that is no event
  stream, events of the wrong shape, silence past the timeout (before the
  answer or mid-stream), or nothing at all (the port refuses connections). The
  server's timeout is made small with ``SECGEN_OPENAI_TIMEOUT_S``. Each time
  the completion gets an empty result, the user one ``window/showMessage`` of
  one line without traceback text (and no second one while the failure lasts),
  the next request is answered, and once the stub answers properly so does
  the server.
* **The client vanishes mid-request.** A client of bare pipes starts the
  server in its own session, leaves a completion streaming from a slow fake
  model and a SARIF-command analyzer hanging in a child process, and closes
  both pipes. The server must exit within :data:`EXIT_S` and leave no process
  behind: neither its children nor anything in its process group.
* **A setting turns invalid mid-session.** ``didChangeConfiguration`` with
  values of the wrong type: one message per key, naming it; the previous
  values stay; completions keep coming.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, client_capabilities

from tests.e2e.conftest import SERVER_COMMAND, E2EClient, make_client

MODEL_TIMEOUT_S = 2  # the server's SECGEN_OPENAI_TIMEOUT_S: what a stall costs, with room for a loaded machine
EXIT_S = 10.0  # how long a server whose client vanished may take to exit
DOC_URI, DOC = "file:///tmp/secgen-e2e/faults.py", "def answer():\n    \n"
REPLY = "return 42\n"
INSECURE = "import subprocess\n\n\ndef run(cmd):\n    return subprocess.run(cmd, shell=True)\n"
TRACEBACK = ("Traceback (most recent call last):\n  File \"/srv/model.py\", line 7, in generate\n"
             "    out = model(prompt)\nRuntimeError: CUDA out of memory\n")


# -- a model server that fails on request ---------------------------------------------


class ModelStub:
    """An OpenAI-compatible server on loopback whose every answer is ``self.reply(handler)``.

    ``stop()`` closes the port (connections are refused); ``start()`` opens it again on the same port.
    """

    def __init__(self) -> None:
        self.reply = self.answer(REPLY)
        self.requests = 0
        self.release = threading.Event()  # ends the stalls when the test is over
        self.port = 0
        self.start()

    def start(self) -> None:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                stub.requests += 1
                stub.reply(self)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_port
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)

    def close(self) -> None:
        self.release.set()
        self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @staticmethod
    def send(handler, status: int, body: bytes, content_type: str = "text/event-stream") -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.end_headers()
        handler.wfile.write(body)

    @staticmethod
    def events(*events: str, done: bool = True) -> bytes:
        return b"".join(f"data: {event}\n\n".encode() for event in (*events, *(["[DONE]"] if done else [])))

    def answer(self, text: str):
        event = json.dumps({"object": "text_completion", "choices": [{"index": 0, "text": text}]})
        return lambda handler: self.send(handler, 200, self.events(event))

    def stall(self, *events: str):
        """Send the answer's head (and ``events``), then nothing until the test ends."""
        def reply(handler):
            self.send(handler, 200, self.events(*events, done=False))
            handler.wfile.flush()
            self.release.wait(timeout=60)
        return reply

    def silent(self, handler) -> None:
        self.release.wait(timeout=60)


FAULTS = {  # name -> (reply, what the message must say)
    "http-500": (lambda stub: lambda h: stub.send(h, 500, TRACEBACK.encode(), "text/plain"),
                 "answered HTTP 500: RuntimeError: CUDA out of memory"),
    "garbled-event": (lambda stub: lambda h: stub.send(h, 200, stub.events('{"choices": [{"text": "ret')),
                      "sent a malformed event"),
    "not-an-event-stream": (lambda stub: lambda h: stub.send(h, 200, b"<<garbled>> {not: json}", "application/json"),
                            "answered without an event stream"),
    "event-of-another-shape": (lambda stub: lambda h: stub.send(h, 200, stub.events('{"choices": "return 1"}')),
                               "sent an unexpected event"),
    "stall-before-answering": (lambda stub: stub.silent, f"did not answer within {MODEL_TIMEOUT_S} s"),
    "stall-mid-stream": (lambda stub: stub.stall(json.dumps({"choices": [{"text": "return 4"}]})),
                         f"stopped answering mid-stream (timed out after {MODEL_TIMEOUT_S} s)"),
}


@pytest.fixture
def stub():
    server = ModelStub()
    yield server
    server.close()


@pytest_lsp.fixture(config=ClientServerConfig(
    server_command=SERVER_COMMAND, client_factory=make_client,
    server_env={**os.environ, "SECGEN_OPENAI_TIMEOUT_S": str(MODEL_TIMEOUT_S)}))
async def http_client(lsp_client: E2EClient, stub: ModelStub):
    """A session whose model is ``stub``, with one document open."""
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"),
        # tMax 1: "Fix with analyzer" starts from the code itself, so its first model call is repair round 1
        initialization_options={"model": stub.url, "debounceMs": 0, "tMax": 1}))
    assert await lsp_client.model_loaded() == "ready"
    lsp_client.open(DOC_URI, DOC)
    yield
    await lsp_client.shutdown_session()


def shown_since(client, seen: int) -> list[str]:
    return [m.message for m in client.messages[seen:]]


async def failed_once(client, seen: int, says: str) -> str:
    """Ask for a completion that fails: it gets an empty result, the user exactly one clear message that
    ``says`` why (returned), and the next request is answered."""
    result = await client.inline(DOC_URI, 1, 4)
    assert list(result.items) == []
    stats = await client.stats()  # a later request is answered
    shown = shown_since(client, seen)
    assert len(shown) == 1, shown
    message = shown[0]
    assert message.startswith("secgen: completion failed: ") and says in message, message
    assert "\n" not in message and "Traceback" not in message and "File \"" not in message, message
    assert client.messages[-1].type == types.MessageType.Warning
    assert stats["model"]["ready"] is True
    return message


async def answers(client) -> None:
    result = await client.inline(DOC_URI, 1, 4)
    assert [item.insert_text for item in result.items] == [REPLY]


@pytest.mark.parametrize("fault", sorted(FAULTS))
async def test_a_failing_model_server_costs_one_empty_completion_and_one_message(http_client, stub, fault):
    client = http_client
    reply, says = FAULTS[fault]
    stub.reply = reply(stub)
    seen = len(client.messages)
    await failed_once(client, seen, says)
    assert (await client.stats())["counts"]["failed"] == 1
    stub.reply = stub.answer(REPLY)
    await answers(client)
    assert len(shown_since(client, seen)) == 1  # nothing more to say once it works
    assert stub.requests == 2


async def test_a_model_server_that_refuses_is_shown_once_until_it_is_back(http_client, stub):
    client = http_client
    await answers(client)
    stub.stop()
    seen = len(client.messages)
    message = await failed_once(client, seen, f"cannot reach the model server at {stub.url}")
    assert "is it running?" in message
    for _ in range(2):  # an editor asks again on the next pause in typing: no popup per keystroke
        assert list((await client.inline(DOC_URI, 1, 4)).items) == []
    assert shown_since(client, seen) == [message]
    assert (await client.stats())["counts"]["failed"] == 3
    client.open("file:///tmp/secgen-e2e/insecure.py", INSECURE)  # diagnostics never needed the model
    assert {d.code for d in (await client.publish("file:///tmp/secgen-e2e/insecure.py")).diagnostics} == {
        "B404", "B602"}
    stub.start()
    await answers(client)
    # it worked again, so the next failure is news
    stub.reply = FAULTS["http-500"][0](stub)
    await failed_once(client, len(client.messages), "answered HTTP 500")


async def test_a_failing_model_server_leaves_fixes_and_generation_with_one_message_and_no_edit(http_client, stub):
    client = http_client
    uri = "file:///tmp/secgen-e2e/fix-me.py"
    piped = INSECURE.replace("cmd, shell", "cmd + ' | sort', shell")  # no mechanical fix: only the model could
    client.open(uri, piped + "\n# add two numbers\n")
    [b602] = [d for d in (await client.publish(uri)).diagnostics if d.code == "B602"]
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=b602.range,
        context=types.CodeActionContext(diagnostics=[b602])))
    [fix] = [a for a in actions if a.title == "Fix with analyzer: B602"]
    stub.reply = FAULTS["http-500"][0](stub)
    seen = len(client.messages)
    resolved = await client.code_action_resolve_async(fix)
    assert resolved.edit is None
    [message] = shown_since(client, seen)
    assert message.startswith("secgen: cannot fix with the model (") and "HTTP 500" in message, message
    assert "\n" not in message and "Traceback" not in message
    result = await client.command("secgen.generate", uri, {"line": 6, "character": 5})
    assert result["applied"] is False and result["reason"].startswith("the model failed: "), result
    assert len(shown_since(client, seen)) == 2 and "Traceback" not in shown_since(client, seen)[1]
    assert (await client.stats())["model"]["ready"] is True


# -- a setting turns invalid mid-session ----------------------------------------------


SCRIPT = {"fim": [REPLY]}  # the fake model of the harness's ``client`` fixture


@pytest.mark.settings({"analyzers": ["syntax"], "maxTokens": 64})
async def test_an_invalid_setting_mid_session_is_shown_and_the_current_value_kept(client):
    client.open(DOC_URI, INSECURE)
    assert {d.code for d in (await client.publish(DOC_URI)).diagnostics} == set()  # syntax only: no Bandit
    model = (await client.stats())["model"]["name"]
    seen, published = len(client.messages), len(client.published)
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"secgen": {"analyzers": 42, "maxTokens": "lots", "model": 42, "tMax": 1}}))
    # the notification re-analyzes open documents: with the analyzers kept, still no Bandit finding
    assert {d.code for d in (await client.publish(DOC_URI, after=published)).diagnostics} == set()
    shown = shown_since(client, seen)
    assert len(shown) == 3, shown
    for key, value, reason in (("analyzers", "42", "must be a list of analyzer names"),
                               ("maxTokens", '"lots"', "must be an integer"),
                               ("model", "42", "must be string or null")):
        [message] = [m for m in shown if f"setting {key} = {value} " in m]
        assert reason in message and "keeping the current value" in message, message
        assert message.endswith("(from didChangeConfiguration)") and "\n" not in message
    other = "file:///tmp/secgen-e2e/prompt.py"
    client.open(other, DOC)
    assert [item.insert_text for item in (await client.inline(other, 1, 4)).items] == [REPLY]
    stats = await client.stats()
    assert stats["model"]["name"] == model and stats["model"]["ready"] is True  # no reload of a model "42"
    assert len(shown_since(client, seen)) == 3


# -- the client vanishes ------------------------------------------------------------------


class PipeClient:
    """Just enough of an LSP client to start a session over the server's pipes and walk away from it.

    It reads without a thread (``select`` on the pipe), so that it can close
    both pipes at any moment, as a client that exits or crashes does.
    """

    def __init__(self, stderr) -> None:
        self.process = subprocess.Popen(SERVER_COMMAND, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=stderr, start_new_session=True)
        self.received: list[dict] = []
        self._buffer = b""
        self._ids = 0

    def send(self, method: str, params, *, request: bool = True) -> int | None:
        message = {"jsonrpc": "2.0", "method": method, "params": params}
        if request:
            self._ids += 1
            message["id"] = self._ids
        body = json.dumps(message).encode()
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()
        return message.get("id")

    def wait_for(self, match, what: str, timeout: float = 60.0) -> dict:
        deadline = time.monotonic() + timeout
        while (found := next((m for m in self.received if match(m)), None)) is None:
            left = deadline - time.monotonic()
            assert left > 0, f"no {what} within {timeout} s"
            if select.select([self.process.stdout], [], [], left)[0]:
                data = os.read(self.process.stdout.fileno(), 1 << 16)
                assert data, f"the server closed its output before {what}"
                self._buffer += data
                self._split()
        return found

    def response(self, msg_id: int, timeout: float = 60.0) -> dict:
        return self.wait_for(lambda m: m.get("id") == msg_id and "method" not in m, f"response {msg_id}", timeout)

    def _split(self) -> None:
        while b"\r\n\r\n" in self._buffer:
            head, _, rest = self._buffer.partition(b"\r\n\r\n")
            length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
            if len(rest) < length:
                return
            self.received.append(json.loads(rest[:length]))
            self._buffer = rest[length:]

    def vanish(self) -> None:
        self.process.stdin.close()
        self.process.stdout.close()


def processes() -> dict[int, tuple[str, int, int]]:
    """Every process: pid -> (state, parent, process group)."""
    found = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as stat:
                    state, parent, group = stat.read().rpartition(")")[2].split()[:3]
            except (OSError, ValueError):
                continue
            found[int(name)] = (state, int(parent), int(group))
    return found


def living(pids) -> set[int]:
    table = processes()
    return {pid for pid in pids if pid in table and table[pid][0] != "Z"}


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="finds processes in /proc")
def test_a_client_that_vanishes_mid_request_ends_the_server_and_its_children(tmp_path):
    script = tmp_path / "slow.json"
    script.write_text(json.dumps({"fim": ["x = 1\n" * 200], "chunk_delay_s": 0.5}))  # over a minute to stream
    hang = f"{sys.executable} -c \"import time; time.sleep(600)\" {{file}}"
    stderr_path = tmp_path / "stderr.txt"
    with open(stderr_path, "wb") as stderr:
        client = PipeClient(stderr)
    server = client.process
    children: set[int] = set()
    try:
        client.response(client.send("initialize", {
            "processId": os.getpid(), "rootUri": None, "capabilities": {},
            "initializationOptions": {"model": f"fake:{script}", "debounceMs": 0, "tMax": 0,
                                      "analyzers": ["syntax", "hang"],
                                      "sarifAnalyzers": {"hang": {"command": hang, "timeoutS": 600}}}}))
        client.send("initialized", {}, request=False)
        client.wait_for(lambda m: m.get("method") == "secgen/status" and m["params"]["model"]["state"] == "ready",
                        "model ready")
        uri = "file:///tmp/secgen-e2e/vanish.py"
        client.send("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1,
                                                              "text": DOC}}, request=False)
        client.send("textDocument/didSave", {"textDocument": {"uri": uri}}, request=False)  # the hanging analyzer
        completion = client.send("textDocument/inlineCompletion", {
            "textDocument": {"uri": uri}, "position": {"line": 1, "character": 4}, "context": {"triggerKind": 1}})
        client.response(client.send("secgen/stats", None))  # a round trip: the completion has started
        deadline = time.monotonic() + 60
        while not (children := {pid for pid, (_, parent, _) in processes().items() if parent == server.pid}) \
                or not any(_is_hang(pid) for pid in children):
            assert time.monotonic() < deadline, "the hanging analyzer never started"
            select.select([], [], [], 0.05)
        assert not any(m.get("id") == completion for m in client.received)  # still streaming
        client.vanish()
        try:
            server.wait(EXIT_S)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the server did not exit within {EXIT_S} s of its client's going")
        group = {pid for pid, (_, _, pgrp) in processes().items() if pgrp == server.pid}
        deadline = time.monotonic() + EXIT_S  # a killed child may take a moment to be reaped
        while living(children | group) and time.monotonic() < deadline:
            select.select([], [], [], 0.05)
        assert not living(children | group), f"left behind: {living(children | group)}"
        assert "Traceback" not in stderr_path.read_text(errors="replace")
    finally:  # what a failed run left
        for pid in living(children) | ({server.pid} if server.poll() is None else set()):
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)
        if server.poll() is None:
            server.wait(10)


def _is_hang(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return b"time.sleep(600)" in cmdline.read()
    except OSError:
        return False
