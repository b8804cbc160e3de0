"""JSON-RPC's rules, kept whatever the client sends: every request gets exactly one response.

An editor waits for the response to each request it sends; one that never
comes freezes a feature until the editor restarts. pygls 2.1.1 leaves several
requests unanswered, and turns malformed messages into error popups:

* params that do not deserialize raise inside its reader
  (``JsonRPCProtocol.structure_message``); the request gets no response and the
  user a ``window/showMessage`` "Invalid Params";
* a request after ``shutdown`` is dropped (``handle_message``);
* a request sent with a notification's method (``textDocument/didOpen`` with
  an ``id``) is deserialized as that notification, and never answered;
* a body that is not a JSON object, or not UTF-8, ends in a popup too.

:meth:`SecgenProtocol.handle_body` (fed by :mod:`secgen.server.framing`)
checks each message before pygls dispatches it, and answers a request it
cannot run with the error JSON-RPC and LSP name:

=========================================  ===================================
request                                    error
=========================================  ===================================
not JSON-RPC 2.0, or ``method`` no string  -32600 InvalidRequest
before ``initialize``                      -32002 ServerNotInitialized
a second ``initialize``                    -32600 InvalidRequest
after ``shutdown``                         -32600 InvalidRequest (as LSP says)
a method the server does not serve         -32601 MethodNotFound
params that do not deserialize             -32602 InvalidParams
cancelled (``$/cancelRequest``)            -32800 RequestCancelled, unless done
=========================================  ===================================

Past these checks pygls runs the handler and answers with its result, with
-32603 InternalError if it raised, or with -32800 if it was cancelled first
(``SecgenServer.report_server_error`` logs what pygls would also have shown).

A notification cannot be answered: a bad one is logged and dropped. So is a
body that is not JSON, or not an object, and a message whose ``id`` is neither
a number nor a string (there is no id to answer; JSON-RPC's ``id: null`` reply
would match nothing in the client). pygls keeps the client's requests and the
server's in one table: a response is taken only for a request the server sent
(a stray one naming a request in flight settled its task with the client's
data), and ``$/cancelRequest`` only for one the client sent.

**pygls internals.** These checks sit inside pygls' reader, where pygls 2 has
no public hooks, so the class reads and calls some of its internals:
``_shutdown`` (whether ``shutdown`` came), ``_converter`` (to structure a
message before dispatch), ``_send_response`` (to answer a refused request),
``_send_handler_result`` and ``_handle_cancel_notification`` (to recognize
and forward pygls' own answering), ``fm.builtin_features`` (the methods pygls
serves itself) and ``_request_futures`` (see below).
tests/server/test_pygls_internals.py fails when pygls changes any of them.
"""

from __future__ import annotations

import functools
import json
import logging
import reprlib
import uuid
from typing import Any
from urllib.parse import unquote

import attrs
from cattrs import transform_error
from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.json_rpc import JsonRPCNotification
from pygls.protocol.language_server import lsp_method

log = logging.getLogger(__name__)

_short = reprlib.Repr()
_short.maxstring, _short.maxother, _short.maxlevel = 80, 80, 3


@attrs.define
class OwnRequest:
    """A request to a method lsprotocol has no type for (``secgen/stats``), whose ``params`` may be left out.

    pygls' fallback type requires ``params``; a ``secgen/stats`` sent without
    them failed to deserialize and went unanswered.
    """

    id: int | str
    method: str
    jsonrpc: str
    params: Any = None


def _is_id(value) -> bool:
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def _has_id(message_type) -> bool:
    """Whether lsprotocol's type for a method is a request's (a notification's has no ``id``)."""
    return message_type is None or "id" in attrs.fields_dict(message_type)


def _reason(exc: Exception) -> str:
    return "; ".join(transform_error(exc))[:300]


class SecgenProtocol(LanguageServerProtocol):
    def __init__(self, server, converter):
        super().__init__(server, converter)
        self._initialize_seen = False
        self._sent: set = set()  # ids of the server's own requests still waiting for the client

    # -- reading ----------------------------------------------------------------------

    def handle_body(self, body: bytes) -> bool:
        """Handle one message's body; False when it is not JSON in UTF-8 (the reader then looks inside it)."""
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            log.warning("skipped a message that is not JSON in UTF-8 (%d bytes: %s): %r",
                        len(body), str(exc)[:100], body[:60])
            return False
        if not isinstance(data, dict):
            log.warning("skipped a message that is not a JSON object: %s", _short.repr(data))
        elif "method" in data and "id" in data:
            if _is_id(data["id"]):
                self._request(data)
            else:
                log.warning("skipped a request whose id is neither a number nor a string: %s", _short.repr(data))
        elif "method" in data:
            self._notification(data)
        elif "id" in data and ("result" in data or "error" in data):
            self._response(data)
        else:
            log.warning("skipped a message that is no request, notification or response: %s", _short.repr(data))
        return True

    def _request(self, data: dict) -> None:
        msg_id, method = data["id"], data["method"]
        if data.get("jsonrpc") != self.VERSION or not isinstance(method, str):
            return self._refuse(msg_id, types.ErrorCodes.InvalidRequest, "not a JSON-RPC 2.0 request")
        name = _short.repr(method)  # a method may be megabytes long
        if method == types.INITIALIZE and self._initialize_seen:
            return self._refuse(msg_id, types.ErrorCodes.InvalidRequest, "initialize may only be sent once")
        if method != types.INITIALIZE and not self._initialize_seen:
            return self._refuse(msg_id, types.ErrorCodes.ServerNotInitialized, f"{name} before initialize")
        if self._shutdown:  # LSP: "requests after a shutdown request ... should error with InvalidRequest"
            return self._refuse(msg_id, types.ErrorCodes.InvalidRequest, f"{name} after shutdown")
        message_type = self.get_message_type(method)
        if not self._serves(method) or not _has_id(message_type):
            return self._refuse(msg_id, types.ErrorCodes.MethodNotFound, f"no request method {name}")
        try:
            message = self._converter.structure(data, message_type or OwnRequest)
        except Exception as exc:  # cattrs' errors, and a validator's ValueError
            return self._refuse(msg_id, types.ErrorCodes.InvalidParams, f"invalid params for {name}: {_reason(exc)}")
        if method == types.INITIALIZE:
            self._initialize_seen = True
        self.handle_message(message)

    def _notification(self, data: dict) -> None:
        method = data["method"]
        problem = self._notification_problem(data)
        if problem is not None:
            quiet = isinstance(method, str) and method.startswith("$/") and problem.startswith("not served")
            log.log(logging.DEBUG if quiet else logging.WARNING, "skipped notification %s: %s",
                    _short.repr(method), problem)
            return
        try:
            message = self._converter.structure(data, self.get_message_type(method) or JsonRPCNotification)
        except Exception as exc:
            log.warning("skipped notification %s: invalid params: %s", _short.repr(method), _reason(exc))
            return
        self.handle_message(message)

    def _notification_problem(self, data: dict) -> str | None:
        """Why a notification cannot be handled (None when it can). An optional ``$/`` one may go unserved."""
        method = data["method"]
        if data.get("jsonrpc") != self.VERSION or not isinstance(method, str):
            return "not JSON-RPC 2.0"
        if method != types.EXIT and not self._initialize_seen:
            return "before initialize"
        if method != types.EXIT and self._shutdown:
            return "after shutdown"
        if not self._serves(method) and method != types.CANCEL_REQUEST:
            return "not served here"
        message_type = self.get_message_type(method)
        if message_type is not None and _has_id(message_type):
            return "a request's method, without an id"
        return None

    def _response(self, data: dict) -> None:
        msg_id = data["id"]
        if not _is_id(msg_id) or msg_id not in self._sent:
            log.warning("skipped a response to %s, a request the server did not send", _short.repr(msg_id))
            return
        try:
            message = self.structure_message(data)
        except Exception as exc:  # the waiting coroutine must not wait for ever: it gets an error response
            log.warning("the client's response to %r is malformed: %s", msg_id, exc)
            message = types.ResponseErrorMessage(id=msg_id, error=types.ResponseError(
                code=JsonRpcInvalidParams.CODE, message=f"malformed response: {exc}"))
        self.handle_message(message)

    def _serves(self, method: str) -> bool:
        return method in self.fm.builtin_features or method in self.fm.features

    def _refuse(self, msg_id, code: types.ErrorCodes, message: str) -> None:
        log.warning("request %s refused (%d): %s", _short.repr(msg_id), code.value, message)
        self._send_response(msg_id, error=types.ResponseError(code=code.value, message=message))

    # -- pygls' bookkeeping ----------------------------------------------------------
    #
    # pygls 2 has no public view of the requests in flight: its table of their futures,
    # ``_request_futures`` (id -> future, client's and server's requests and every handler's
    # future alike), is read and trimmed here, and nowhere else in secgen.
    # tests/server/test_pygls_internals.py fails when pygls changes it.

    @property
    def in_flight(self) -> int:
        """How many futures pygls holds: requests either way, and handlers still running."""
        return len(self._request_futures)

    def send_request(self, method, params=None, callback=None, msg_id=None):
        msg_id = str(uuid.uuid4()) if msg_id is None else msg_id
        self._sent.add(msg_id)
        future = super().send_request(method, params, callback, msg_id)
        future.add_done_callback(lambda _: self._sent.discard(msg_id))
        return future

    def _handle_cancel_notification(self, msg_id):
        if not _is_id(msg_id):  # lsprotocol's converter lets a list or a float through
            log.warning("skipped $/cancelRequest for %s, which is no request id", _short.repr(msg_id))
        elif msg_id in self._sent:  # the server's own request, not the client's to cancel
            log.warning("skipped $/cancelRequest for %r, a request the server sent", msg_id)
        else:
            super()._handle_cancel_notification(msg_id)

    def _execute_handler(self, msg_id, handler, callback, args=None, kwargs=None):
        """pygls' dispatch, but a future that answers no request leaves the table of futures when done.

        pygls 2.1.1 files the future of every coroutine, thread or generator handler under an id, and
        only a request's response removes it. The others get a random id and stayed for as long as the
        server ran: a notification's (every didChange is a generator, about 1 KiB each), and each user
        handler a built-in generator hands over to (``initialized``'s, for one).
        """
        answers = isinstance(callback, functools.partial) and callback.func == self._send_handler_result
        if not answers:
            then = callback

            def callback(future, msg_id=msg_id):
                self._request_futures.pop(msg_id, None)  # pygls' table: no public way to drop an entry
                then(future)
        return super()._execute_handler(msg_id, handler, callback, args, kwargs)

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams):
        """pygls' didChange, which raised KeyError for a document that is not open: that is the client's slip."""
        uri = params.text_document.uri
        if self.workspace.text_documents.get(unquote(uri)) is None:
            log.warning("skipped didChange of %s, which is not open", _short.repr(uri))
            return
        yield from super().lsp_text_document__did_change(params)

    @lsp_method(types.SHUTDOWN)
    def lsp_shutdown(self, *args):
        """pygls' shutdown, but cancelling the other requests in flight over a copy of its table of them.

        Cancelling a thread's or a generator's future runs its callback at once,
        which removes it from the table pygls iterates: the shutdown request then
        failed with "dictionary changed size during iteration".
        """
        if (user_handler := self.fm.features.get(types.SHUTDOWN)) is not None:
            yield user_handler, args, None
        current = self.msg_id
        for msg_id, future in list(self._request_futures.items()):  # pygls' table: no public list of requests
            if msg_id != current and not future.done():
                future.cancel()
        self._shutdown = True
