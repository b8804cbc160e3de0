"""The e2e harness: the real ``secgen-lsp --stdio`` under a real pytest-lsp client, with the scripted fake model.

A test module sets ``SCRIPT`` (the fake backend's script, see ``secgen.engine.fake``)
and may set ``SETTINGS`` (initializationOptions merged over the harness defaults).
A test narrows either with markers::

    @pytest.mark.fake({"fim": [...]})          # this test's script instead of SCRIPT
    @pytest.mark.settings({"tMax": 0})         # more initializationOptions
    @pytest.mark.configuration({"analyzers": ["syntax"]})  # what workspace/configuration answers
    @pytest.mark.editor("neovim@v0.11.0")      # pytest-lsp's capabilities of that client (default VS Code)

The client (:class:`E2EClient`) records every ``publishDiagnostics`` and every
``workspace/applyEdit``, and waits for them with ``wait_for_notification``:
nothing here sleeps. Each test gets a fresh server once its model has loaded.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.protocol import default_converter
from secgen.bench.lsp import plain  # decodes pygls's named-tuple results
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

SERVER_COMMAND = [sys.executable, "-m", "secgen.server.lsp", "--stdio"]
STATUS = "secgen/status"
TIMEOUT_S = 10.0  # a generous bound for what should take well under a second


def pytest_configure(config):
    for name in ("fake", "settings", "configuration", "editor"):
        config.addinivalue_line("markers", f"{name}(value): e2e harness input, see tests/e2e/conftest.py")


class E2EClient(LanguageClient):
    """pytest-lsp's client, plus a log of publishes and edits and small drivers for the tests."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.published: list[types.PublishDiagnosticsParams] = []
        self.edits: list[types.ApplyWorkspaceEditParams] = []
        self.statuses: list[dict] = []  # every secgen/status notification's params
        self.server_capabilities: types.ServerCapabilities | None = None

    # -- waiting ---------------------------------------------------------------------

    async def _until(self, method: str, found, what: str, timeout: float):
        async def scan():
            while (hit := found()) is None:
                await self.wait_for_notification(method)
            return hit

        try:
            return await asyncio.wait_for(scan(), timeout)
        except TimeoutError:
            raise AssertionError(f"no {what} within {timeout} s") from None

    async def publish(self, uri: str, match=lambda p: True, *, after: int = 0, timeout: float = TIMEOUT_S):
        """The first publishDiagnostics for ``uri`` (from index ``after`` of the log) that ``match`` accepts."""
        def found():
            return next((p for p in self.published[after:] if p.uri == uri and match(p)), None)
        return await self._until(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS, found, f"matching publish for {uri}", timeout)

    async def message(self, match=lambda m: True, *, after: int = 0, timeout: float = TIMEOUT_S):
        """The first window/showMessage (from index ``after``) that ``match`` accepts."""
        def found():
            return next((m for m in self.messages[after:] if match(m)), None)
        return await self._until(types.WINDOW_SHOW_MESSAGE, found, "matching window/showMessage", timeout)

    async def status(self, match=lambda s: True, *, after: int = 0, timeout: float = TIMEOUT_S) -> dict:
        """The first secgen/status (from index ``after``) that ``match`` accepts."""
        def found():
            return next((s for s in self.statuses[after:] if match(s)), None)
        return await self._until(STATUS, found, "matching secgen/status", timeout)

    async def model_loaded(self, timeout: float = TIMEOUT_S) -> str:
        """Wait for the end of the model-load progress; its message ("ready" or "failed")."""
        def found():
            ends = [v for reports in self.progress_reports.values() for v in reports
                    if isinstance(v, types.WorkDoneProgressEnd)]
            return ends[0].message if ends else None
        return await self._until(types.PROGRESS, found, "end of the model load", timeout)

    # -- driving ---------------------------------------------------------------------

    def open(self, uri: str, text: str, version: int = 1) -> None:
        self.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="python", version=version, text=text)))

    def replace(self, uri: str, text: str, version: int) -> None:
        """didChange with the whole new text."""
        self.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))

    def edit(self, uri: str, edits: list[types.TextEdit], version: int) -> None:
        """didChange with incremental edits (given in the coordinates of the text before all of them)."""
        ordered = sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True)
        self.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangePartial(range=e.range, text=e.new_text)
                             for e in ordered]))

    async def inline(self, uri: str, line: int, character: int) -> types.InlineCompletionList:
        return await self.text_document_inline_completion_async(inline_params(uri, line, character))

    def inline_request(self, uri: str, line: int, character: int, msg_id: str) -> asyncio.Future:
        """An inline completion request with a known id, so that it can be cancelled; sent before this returns.

        (pytest-lsp's ``send_request_async`` is a coroutine that sends nothing until awaited.) Wait for the
        answer with :meth:`answer`: cancelling the future would break the client when the answer comes.
        """
        return asyncio.wrap_future(self.protocol.send_request(
            types.TEXT_DOCUMENT_INLINE_COMPLETION, inline_params(uri, line, character), msg_id=msg_id))

    @staticmethod
    async def answer(request: asyncio.Future, timeout: float = TIMEOUT_S):
        """The request's result (or its error raised), without cancelling it on timeout."""
        done, _ = await asyncio.wait({request}, timeout=timeout)
        if not done:
            raise AssertionError(f"no answer within {timeout} s")
        return request.result()

    def cancel(self, msg_id: str) -> None:
        self.cancel_request(types.CancelParams(id=msg_id))

    async def stats(self) -> dict:
        return plain(await self.protocol.send_request_async("secgen/stats", {}))

    async def command(self, name: str, *arguments):
        return plain(await self.workspace_execute_command_async(
            types.ExecuteCommandParams(command=name, arguments=list(arguments))))


def inline_params(uri: str, line: int, character: int) -> types.InlineCompletionParams:
    return types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=line, character=character),
        context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Invoked))




def _record_publish(client: E2EClient, params: types.PublishDiagnosticsParams):
    client.diagnostics[params.uri] = params.diagnostics
    client.published.append(params)


def _record_status(client: E2EClient, params):
    client.statuses.append(plain(params))


def _apply_edit(client: E2EClient, params: types.ApplyWorkspaceEditParams):
    client.edits.append(params)
    return types.ApplyWorkspaceEditResult(applied=True)


def make_client() -> E2EClient:
    client = E2EClient(converter_factory=default_converter)
    register_lsp_features(client, {**DEFAULT_CLIENT_FEATURES,
                                   types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS: _record_publish,
                                   types.WORKSPACE_APPLY_EDIT: _apply_edit,
                                   STATUS: _record_status})
    return client


def _marker(request, name: str, default=None):
    marker = request.node.get_closest_marker(name)
    return marker.args[0] if marker else default


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER_COMMAND, client_factory=make_client))
async def client(lsp_client: E2EClient, request, tmp_path):
    script = _marker(request, "fake", getattr(request.module, "SCRIPT", {"fim": [], "chat": []}))
    path = tmp_path / "fake-script.json"
    path.write_text(json.dumps(script))
    options = {"model": f"fake:{path}", "debounceMs": 0,
               **getattr(request.module, "SETTINGS", {}), **_marker(request, "settings", {})}
    configuration = _marker(request, "configuration")
    if configuration is not None:
        lsp_client.set_configuration(configuration, section="secgen")
    result = await lsp_client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities(_marker(request, "editor", "visual-studio-code")),
        initialization_options=options))
    lsp_client.server_capabilities = result.capabilities
    await lsp_client.model_loaded()
    yield
    await lsp_client.shutdown_session()


def apply_text_edits(text: str, edits) -> str:
    """What a client does with TextEdits: LSP positions (UTF-16, lines split at \\n, \\r\\n, \\r) clamped onto the text."""
    starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]

    def offset(position: types.Position) -> int:
        if position.line >= len(starts):
            return len(text)
        begin = starts[position.line]
        end = starts[position.line + 1] if position.line + 1 < len(starts) else len(text)
        line = text[begin:end].rstrip("\r\n")
        units = 0
        for index, char in enumerate(line):
            if units >= position.character:
                return begin + index
            units += 2 if ord(char) > 0xFFFF else 1
        return begin + len(line)

    spans = sorted(((offset(e.range.start), offset(e.range.end), e.new_text) for e in edits), reverse=True)
    for start, end, new in spans:
        text = text[:start] + new + text[end:]
    return text


@pytest.fixture
def apply_edits():
    return apply_text_edits
