"""The response rules of ``secgen.server.protocol``, one by one, over stdio with raw bytes.

Every request gets exactly one response: -32602 for params that do not
deserialize, -32601 for a method the server does not serve, -32800 for a
cancelled request (its result if it had finished), -32002 before
``initialize``, -32600 after ``shutdown``. A malformed message is logged, never
shown in a popup, and the server reads on. Each test ends with a request that
must still be answered (``answered_after``).
"""

from __future__ import annotations

import time

import pytest

from tests.fuzz.driver import RawServer, frame, wait_until

TIMEOUT_S = 15.0
SLOW_SCRIPT = {"chunk_delay_s": 0.05, "fim": ["return 1\n"],  # a reply to SLOW takes about 7.5 s to stream
               "rules": [{"kind": "fim", "match": "SLOW", "reply": "x = 1\n" * 100},
                         {"kind": "chat", "match": "SLOW", "reply": "```python\n" + "x = 1\n" * 100 + "```\n"}]}
DOC = "file:///tmp/secgen-rules/doc.py"


@pytest.fixture
def server(tmp_path):
    server = RawServer(tmp_path)
    yield server
    server.close()


@pytest.fixture
def ready(server):
    server.initialize()
    return server


@pytest.fixture
def slow(tmp_path):
    """A server whose fake model takes 7.5 s over the completion of ``slow_request``."""
    server = RawServer(tmp_path, script=SLOW_SCRIPT)
    server.initialize()
    open_doc(server, "def slow():\n    # SLOW\n    \n# SLOW: write a function\n")
    yield server
    server.close()


def slow_request(server: RawServer):
    msg_id = server.request("textDocument/inlineCompletion", {
        "textDocument": {"uri": DOC}, "position": {"line": 2, "character": 4}, "context": {"triggerKind": 1}})
    server.call("secgen/stats")  # a round trip: the completion has started
    return msg_id


def error_code(response: dict) -> int | None:
    return response.get("error", {}).get("code")


def answered_after(server: RawServer) -> None:
    """The server still reads and answers; no popup was shown on the way."""
    response = server.call("secgen/stats", timeout=TIMEOUT_S)
    assert "result" in response, response
    assert server.alive and not server.shown and server.bad_output == 0


def open_doc(server: RawServer, text: str, uri: str = DOC) -> None:
    server.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1,
                                                            "text": text}})


def test_invalid_params_get_32602_and_a_log_line_not_a_popup(ready):
    # pygls 2.1.1 answered nothing here and showed "Invalid Params" instead
    response = ready.call("textDocument/codeAction", {"textDocument": {"uri": DOC},
                                                      "range": {"start": {"line": -1, "character": 0}}})
    assert error_code(response) == -32602
    assert error_code(ready.call("textDocument/inlineCompletion", [1, 2])) == -32602
    answered_after(ready)
    assert "invalid params for 'textDocument/codeAction'" in ready.log_text()


def test_unknown_methods_and_notification_methods_get_32601(ready):
    assert error_code(ready.call("textDocument/hover", {})) == -32601
    assert error_code(ready.call("secgen/nothing")) == -32601
    # a notification's method with an id: pygls read it as that notification and never answered
    assert error_code(ready.call("textDocument/didOpen", {"textDocument": {
        "uri": DOC, "languageId": "python", "version": 1, "text": "x = 1\n"}})) == -32601
    answered_after(ready)


def test_a_request_before_initialize_gets_32002_and_a_second_initialize_32600(server):
    assert error_code(server.call("secgen/stats")) == -32002
    server.initialize()
    assert error_code(server.call("initialize", {"processId": None, "rootUri": None, "capabilities": {}})) == -32600
    answered_after(server)


def test_a_request_after_shutdown_gets_32600_and_exit_ends_the_process(ready):
    assert ready.call("shutdown")["result"] is None
    assert error_code(ready.call("secgen/stats")) == -32600
    assert error_code(ready.call("textDocument/hover", {})) == -32600
    # stdin stays open: pygls' reader, joined at exit, held the process until the client closed the pipe
    ready.notify("exit")
    assert wait_until(lambda: not ready.alive, TIMEOUT_S), "the server did not exit"
    assert ready.process.returncode == 0 and not ready.shown


def test_a_cancelled_request_gets_32800_and_a_finished_one_keeps_its_result(slow):
    request = slow_request(slow)
    started = time.monotonic()
    slow.notify("$/cancelRequest", {"id": request})
    response = slow.wait(request, TIMEOUT_S)
    assert response is not None and error_code(response) == -32800
    assert time.monotonic() - started < 5.0, "well under the 7.5 s the reply takes to stream"
    finished = slow.request("secgen/stats")
    assert slow.wait(finished, TIMEOUT_S) is not None
    for target in (finished, "never-sent", [1, 2], 2.5):
        slow.notify("$/cancelRequest", {"id": target})
    answered_after(slow)
    assert len(slow.responses[request]) == 1 and len(slow.responses[finished]) == 1
    assert "result" in slow.responses[finished][0]


def test_shutdown_cancels_a_command_in_flight_and_is_answered(slow):
    command = slow.request("workspace/executeCommand", {"command": "secgen.generate",
                                                         "arguments": [DOC, {"line": 3, "character": 0}]})
    slow.call("secgen/stats")  # a round trip: the command has started
    # pygls cancelled it while iterating the table the cancel changes: shutdown failed with -32603
    shutdown = slow.call("shutdown", timeout=TIMEOUT_S)
    assert "error" not in shutdown and shutdown["result"] is None, shutdown
    response = slow.wait(command, TIMEOUT_S)
    assert response is not None and error_code(response) == -32800
    assert len(slow.responses[command]) == 1 and not slow.shown


def test_a_stray_response_does_not_settle_a_request_in_flight(slow):
    request = slow_request(slow)
    # pygls handed it to the request's task (RuntimeError, a popup) and forgot the request: the cancel then missed
    slow.send({"jsonrpc": "2.0", "id": request, "result": {"items": []}})
    slow.notify("$/cancelRequest", {"id": request})
    response = slow.wait(request, TIMEOUT_S)
    assert response is not None and error_code(response) == -32800
    answered_after(slow)
    assert len(slow.responses[request]) == 1 and "did not send" in slow.log_text()


SURROGATE_IN_UTF8 = b'{"jsonrpc": "2.0", "id": 5, "method": "secgen/stats", "params": {"a": "\xed\xa0\x80"}}'


@pytest.mark.parametrize("junk", [b"not json", b"[1, 2]", b"42", b'"text"', b"null", b"\xff\xfe{}", SURROGATE_IN_UTF8,
                                  b"[" * 100_000 + b"]" * 100_000],
                         ids=["text", "array", "number", "string", "null", "not-utf8", "utf8-surrogate", "deep"])
def test_a_body_that_is_no_json_object_is_logged_and_skipped(ready, junk):
    ready.send_raw(frame(junk))
    answered_after(ready)
    assert 5 not in ready.responses  # a request in a body that is not UTF-8 was never read
    assert "skipped a message that is not" in ready.log_text()


@pytest.mark.parametrize("header", [b"Content-Length: 5\r\n\r\n", b"Content-Length: 5000\r\n\r\n",
                                    b"Content-Type: application/vscode-jsonrpc\r\n\r\n", b"Content-Length: x\r\n\r\n",
                                    b"garbage\r\n"],
                         ids=["short", "long", "missing", "not-a-number", "no-header"])
def test_a_lying_or_missing_content_length_costs_one_message(ready, header):
    lost = ready.new_id()
    ready.send_raw(header + b'{"jsonrpc": "2.0", "id": "%s", "method": "secgen/stats"}' % lost.encode())
    answered_after(ready)
    assert lost not in ready.responses


def test_a_bad_notification_is_logged_without_a_response_or_popup(ready):
    ready.notify("textDocument/didOpen", {"textDocument": 5})
    ready.notify("textDocument/didChange", {"textDocument": {"uri": "file:///never/opened.py", "version": 2},
                                            "contentChanges": [{"text": "x"}]})
    ready.notify("textDocument/didClose", {"textDocument": {"uri": "file:///never/opened.py"}})
    ready.notify("textDocument/completion", {})  # a request's method without an id
    ready.send({"jsonrpc": "1.0", "method": "textDocument/didSave", "params": {}})
    answered_after(ready)
    assert set(ready.responses) <= ready.ids  # nothing answered the notifications
    log = ready.log_text()
    assert "skipped notification 'textDocument/didOpen': invalid params" in log
    assert "which is not open" in log and "without an id" in log


def test_a_request_with_an_id_of_no_json_rpc_type_is_skipped(ready):
    ready.send({"jsonrpc": "2.0", "id": 0.5, "method": "secgen/stats"})
    ready.send({"jsonrpc": "2.0", "id": None, "method": "secgen/stats"})
    ready.send({"jsonrpc": "2.0", "id": {"n": 1}, "method": "secgen/stats"})
    answered_after(ready)
    assert 0.5 not in ready.responses and None not in ready.responses
    assert "neither a number nor a string" in ready.log_text()
