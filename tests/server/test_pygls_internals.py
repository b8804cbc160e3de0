"""The pygls internals secgen still touches, held to what secgen assumes of them.

pygls 2's public API serves most of the server; where it has nothing, secgen reaches inside, and
the place says why in a comment. Each test here drives pygls' own code (nothing is mocked) and
fails when pygls changes an internal; its docstring names the secgen code that relies on it:

* ``JsonRPCProtocol._request_futures``, the futures in flight by id: ``SecgenProtocol.in_flight``
  (``secgen/stats``' ``in_flight``), ``SecgenProtocol._execute_handler`` (drops the futures pygls
  kept for good) and ``SecgenProtocol.lsp_shutdown`` (cancels over a copy of the table);
* ``Workspace._create_text_document``, and a document's class swapped for
  :class:`~secgen.server.app.LspTextDocument`: ``SecgenServer.use_lsp_lines``;
* ``TextDocument._apply_incremental_change`` and ``TextDocument._source``:
  ``LspTextDocument._apply_incremental_change`` (edits applied by offsets);
* ``_shutdown``, ``_converter``, ``_send_response``, ``_send_handler_result``,
  ``_handle_cancel_notification`` and ``fm.builtin_features``: ``SecgenProtocol``'s checks before
  dispatch; ``LanguageServer._stop_event`` and ``_server``: ``SecgenServer.start_io``/``start_tcp``.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
from concurrent.futures import Future

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.json_rpc import JsonRPCRequestMessage
from pygls.workspace import TextDocument, Workspace

from secgen.server.app import LspTextDocument, SecgenServer

URI = "file:///tmp/internals.py"


class Written:
    """A pygls writer that keeps the bodies sent (``set_writer(..., include_headers=False)``)."""

    def __init__(self) -> None:
        self.messages: list[dict] = []

    def write(self, data: bytes) -> None:
        self.messages.append(json.loads(data))

    def close(self) -> None:
        pass


def pygls_server(protocol_cls=LanguageServerProtocol) -> tuple[LanguageServer, Written]:
    server = LanguageServer("internals", "0", protocol_cls=protocol_cls)
    written = Written()
    server.protocol.set_writer(written, include_headers=False)
    return server, written


def secgen_server() -> SecgenServer:
    """secgen's server, initialized over its own reader, with :meth:`SecgenServer.use_lsp_lines` in force."""
    server = SecgenServer()
    server.protocol.set_writer(Written(), include_headers=False)
    send(server, {"jsonrpc": "2.0", "id": 1, "method": "initialize",
                  "params": {"processId": None, "rootUri": None, "capabilities": {}}})
    server.use_lsp_lines()
    return server


def send(server: SecgenServer, message: dict) -> None:
    assert server.protocol.handle_body(json.dumps(message).encode())


# -- _request_futures -----------------------------------------------------------------------


async def test_request_futures_holds_a_running_handlers_future_under_its_id():
    """``SecgenProtocol.in_flight`` counts this table; ``SecgenProtocol._execute_handler`` removes from it."""
    protocol = pygls_server()[0].protocol
    assert protocol._request_futures == {}
    assert list(inspect.signature(LanguageServerProtocol._execute_handler).parameters) == [
        "self", "msg_id", "handler", "callback", "args", "kwargs"]
    release = asyncio.Event()

    async def handler():
        await release.wait()

    done = []
    protocol._execute_handler("n-1", handler, done.append)
    future = protocol._request_futures["n-1"]
    assert list(protocol._request_futures) == ["n-1"] and not future.done()
    release.set()
    await future
    await asyncio.sleep(0)  # an asyncio future runs its callbacks on the next turn of the loop
    assert done == [future]


def test_a_request_is_answered_through_send_handler_result_which_leaves_the_table():
    """``SecgenProtocol._execute_handler`` tells a request (this callback) from the futures it must drop."""
    callbacks = []

    class Recording(LanguageServerProtocol):
        def _execute_handler(self, msg_id, handler, callback, args=None, kwargs=None):
            callbacks.append(callback)
            return super()._execute_handler(msg_id, handler, callback, args, kwargs)

    server, written = pygls_server(Recording)

    @server.feature("internals/answer")
    def answer(ls, params):
        return 42

    server.protocol.handle_message(JsonRPCRequestMessage(id=7, method="internals/answer", params=None,
                                                         jsonrpc="2.0"))
    [callback] = callbacks
    assert isinstance(callback, functools.partial) and callback.func == server.protocol._send_handler_result
    assert callback.keywords == {"msg_id": 7}
    assert written.messages[-1] == {"jsonrpc": "2.0", "id": 7, "result": 42}
    assert server.protocol._request_futures == {}


def test_the_servers_own_request_waits_in_request_futures_until_shutdown_cancels_it():
    """``SecgenProtocol.lsp_shutdown`` is pygls' shutdown, iterating over a copy of this table."""
    server, written = pygls_server()
    protocol = server.protocol
    future = protocol.send_request(types.WORKSPACE_CONFIGURATION, types.ConfigurationParams(items=[]), msg_id="s-1")
    assert isinstance(future, Future) and protocol._request_futures == {"s-1": future}
    protocol.handle_message(types.ShutdownRequest(id=8))
    assert future.cancelled()
    assert written.messages[-1] == {"jsonrpc": "2.0", "id": 8, "result": None}


def test_a_malformed_response_settles_the_servers_request_with_invalid_params_and_leaves_the_table():
    """``SecgenProtocol._response`` hands pygls a -32602 error response (public ``handle_message``) instead."""
    server = secgen_server()
    protocol = server.protocol
    future = protocol.send_request(types.WORKSPACE_CONFIGURATION, types.ConfigurationParams(items=[]), msg_id="s-2")
    send(server, {"jsonrpc": "2.0", "id": "s-2", "result": 5})  # a list was due
    with pytest.raises(JsonRpcInvalidParams, match="^malformed response: "):
        future.result(timeout=0)
    assert protocol.in_flight == 0


# -- the document class ---------------------------------------------------------------------


def test_the_workspace_builds_every_document_in_create_text_document():
    """``SecgenServer.use_lsp_lines`` wraps it on the workspace made at initialize."""
    assert inspect.isfunction(Workspace._create_text_document)
    server = secgen_server()
    workspace = server.workspace
    send(server, {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
        "uri": URI, "languageId": "python", "version": 1, "text": "a\x0cb\nc\n"}}})
    document = workspace.get_text_document(URI)
    assert type(document) is LspTextDocument
    assert document.position_codec is workspace.position_codec and document.version == 1
    assert type(workspace.get_text_document("file:///tmp/not-open.py")) is LspTextDocument


def test_a_document_of_pygls_becomes_an_lsp_document_with_all_it_had():
    """``SecgenServer.use_lsp_lines`` swaps the class of what pygls built: LspTextDocument adds no state."""
    assert LspTextDocument.__init__ is TextDocument.__init__ and "__slots__" not in vars(LspTextDocument)
    document = TextDocument(URI, "x\n", version=3, language_id="python")
    before = dict(vars(document))
    document.__class__ = LspTextDocument
    assert vars(document) == before and document.source == "x\n" and document.version == 3


def test_an_incremental_change_goes_through_apply_incremental_change_and_source_reads_source():
    """``LspTextDocument._apply_incremental_change`` overrides pygls' hook and writes ``_source``."""
    assert list(inspect.signature(TextDocument._apply_incremental_change).parameters) == ["self", "change"]
    document = TextDocument(URI, "old")
    document._source = "new"
    assert document.source == "new"
    server = secgen_server()
    send(server, {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
        "uri": URI, "languageId": "python", "version": 1, "text": "a\x0cb\nc\n"}}})
    send(server, {"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
        "textDocument": {"uri": URI, "version": 2},
        "contentChanges": [{"range": {"start": {"line": 1, "character": 0}, "end": {"line": 1, "character": 1}},
                            "text": "C"}]}})
    document = server.workspace.get_text_document(URI)
    assert document.source == "a\x0cb\nC\n" and document.version == 2  # pygls' lines would put it after the \x0c


def test_the_protocol_and_server_internals_secgen_protocol_and_serve_build_on():
    """The rest of what ``server/protocol.py`` and ``SecgenServer.start_io``/``start_tcp`` (app.py) use of pygls.

    ``SecgenProtocol`` refuses requests after shutdown by reading ``_shutdown``, structures messages with
    ``_converter``, answers refusals with ``_send_response(msg_id, error=...)``, recognizes pygls' answering
    callback as a partial of ``_send_handler_result``, forwards ``_handle_cancel_notification(msg_id)``, and
    knows the methods it serves from ``fm.builtin_features`` and ``fm.features``. ``SecgenServer`` runs its
    own reader loop and TCP server, stopped by pygls' ``shutdown()`` through ``_stop_event`` and ``_server``.
    """
    server, written = pygls_server()
    protocol = server.protocol
    assert protocol._shutdown is False
    message = protocol._converter.structure({"jsonrpc": "2.0", "id": 1, "method": "shutdown"},
                                            protocol.get_message_type("shutdown"))
    assert message.id == 1
    assert list(inspect.signature(LanguageServerProtocol._send_response).parameters) == ["self", "msg_id", "result",
                                                                                          "error"]
    protocol._send_response(7, error=types.ResponseError(code=-32600, message="no"))
    assert written.messages[-1] == {"jsonrpc": "2.0", "id": 7, "error": {"code": -32600, "message": "no"}}
    assert list(inspect.signature(LanguageServerProtocol._send_handler_result).parameters) == ["self", "future",
                                                                                               "msg_id"]
    assert list(inspect.signature(LanguageServerProtocol._handle_cancel_notification).parameters) == ["self",
                                                                                                     "msg_id"]
    assert types.SHUTDOWN in protocol.fm.builtin_features and types.INITIALIZE in protocol.fm.builtin_features
    assert isinstance(protocol.fm.features, dict)
    import threading

    server._stop_event = stop = threading.Event()
    closed = []
    server._server = type("Listening", (), {"close": lambda self: closed.append(True)})()
    server.shutdown()
    assert stop.is_set() and closed == [True]
