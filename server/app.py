"""The language server's state: settings, the model, per-document results, suggestions.

Handlers (one feature per module: ``diagnostics``, ``completions``,
``actions``) stay thin and call into :class:`SecgenServer`. Rules it keeps:

* work on snapshots: a handler reads (uri, version, text) once; a result
  computed for a version that is no longer current is dropped;
* the model and the analyzers run in worker threads, never on the event loop,
  so diagnostics and other requests are answered while the model generates;
  the model always on the same one (:meth:`SecgenServer.on_model_thread`);
* the model loads in the background after ``initialized``, with ``$/progress``;
  if it cannot load, the reason goes to ``window/showMessage`` once and every
  feature that does not need the model keeps working;
* errors in the user's settings are shown and replaced by defaults;
* every request gets exactly one response, and a malformed message is logged,
  never shown: the reader is :mod:`secgen.server.framing`, the rules are
  :class:`~secgen.server.protocol.SecgenProtocol`'s;
* the ``secgen/status`` notification tells the client's status bar what the
  model is doing (loading, ready, failed), the last completion's latency and
  the counts of suggestions and repairs; it is sent when a load starts and
  ends and after every completion, fix and generation.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import sys
import threading
import uuid
from urllib.parse import unquote
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from lsprotocol import types
from pygls.exceptions import FeatureRequestError
from pygls.io_ import StdoutWriter
from pygls.lsp.server import LanguageServer
from pygls.workspace import TextDocument

from secgen import __version__
from secgen.analyzers import Finding, default_registry
from secgen.engine.backend import Backend, BackendError, open_backend
from secgen.engine.catalog import ModelError, inspect_model_file, resolve_spec
from secgen.engine.loop import RepairLoop
from secgen.engine.record import LoopResult
from secgen.server.collect import PairCollector
from secgen.server.convert import apply_edit
from secgen.server.framing import CHUNK, StdinChunks, serve
from secgen.server.protocol import SecgenProtocol
from secgen.server.settings import Settings, loop_config, parse_settings
from secgen.server.stats import ServerStats

log = logging.getLogger(__name__)

MAX_DOCUMENT_CHARS = 2_000_000  # larger documents get neither analysis nor completions
MODEL_KEYS = ("model", "context_size", "threads")


_LSP_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


class LspTextDocument(TextDocument):
    """pygls' document with LSP's lines, which end at ``\n``, ``\r\n`` or ``\r`` only.

    pygls splits with ``str.splitlines``, which also breaks at form feeds, ``\v``,
    ``\x1c``-``\x1e``, ``\x85``, ``\u2028`` and ``\u2029``: an incremental edit
    below such a character would land on the wrong line. Edits are applied by offsets.
    """

    @property
    def lines(self):
        return tuple(_LSP_LINE.findall(self.source))

    def _apply_incremental_change(self, change: types.TextDocumentContentChangePartial) -> None:
        """Apply an edit by offsets (:func:`~secgen.server.convert.apply_edit`).

        pygls splits the whole text into lines and joins them again for each edit: on a document of
        10 MB a burst of edits held the event loop past the fuzzer's deadlines. Here an edit costs
        finding its two positions and one copy of the text.
        """
        # pygls' own hook for an incremental change, and no public setter for the text: both pygls
        # internals, guarded by tests/server/test_pygls_internals.py
        self._source = apply_edit(self.source, change.range, change.text, self.position_codec.encoding)


@dataclass(frozen=True, kw_only=True)
class Suggestion:
    id: str
    uri: str
    version: int
    offset: int  # where the text goes, in the document's characters
    start_line: int
    text: str
    findings: tuple[Finding, ...]  # residual findings, in the coordinates of the document with the text inserted
    language: str = "python"
    result: LoopResult | None = None  # the loop's attempts, compacted; kept only while collectPairs is on
    prefix_tail: str = ""  # the text around the cursor that a collected pair keeps (collect.fim_context)
    suffix_head: str = ""


@dataclass(kw_only=True)
class DocumentState:
    version: int | None = None
    findings: list[Finding] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    ai_findings: list[Finding] = field(default_factory=list)  # residual findings of accepted suggestions
    analysis: asyncio.Task | None = None


class SecgenServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("secgen", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
                         protocol_cls=SecgenProtocol)
        self.settings = Settings()
        self.registry = default_registry()
        self.stats = ServerStats()
        self.backend: Backend | None = None
        self.backend_error: str | None = None
        self.model_state = "loading"  # loading | ready | failed (what secgen/status reports)
        self.model_message: str | None = None
        self._backend_ready: asyncio.Event | None = None
        self._model_thread: ThreadPoolExecutor | None = None
        self.documents: dict[str, DocumentState] = {}
        self.suggestions: dict[str, Suggestion] = {}
        self.accepted: dict[str, Suggestion] = {}  # the latest accepted suggestions, by id
        self.in_flight: dict[str, object] = {}  # uri -> CancelToken of the completion running for it
        self.reported: set[str] = set()  # analyzer problems already shown to the user
        self.pairs = PairCollector(self.show)  # off unless settings.collect_pairs

    # -- transport ------------------------------------------------------------------

    def start_io(self, stdin=None, stdout=None) -> None:
        """pygls' stdio server, reading through :mod:`secgen.server.framing` (which survives bad frames).

        pygls has no public way to swap its reader, so this replaces ``start_io`` and keeps pygls' own
        attributes ``_stop_event`` (and ``_server`` in :meth:`start_tcp`) that its ``shutdown()`` stops
        (guarded by tests/server/test_pygls_internals.py).
        """
        self._stop_event = threading.Event()
        self.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))
        try:
            asyncio.run(serve(StdinChunks(stdin or sys.stdin.buffer), self.protocol, self._stop_event))
        except BrokenPipeError:
            log.error("the client is gone (broken pipe); exiting")
        except (KeyboardInterrupt, SystemExit):  # SystemExit: the exit notification
            pass
        finally:
            self.shutdown()

    def start_tcp(self, host: str, port: int) -> None:
        """pygls' TCP server, reading through :mod:`secgen.server.framing`, one connection at a time."""
        self._stop_event = stop = threading.Event()

        async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.protocol.set_writer(writer)
            await serve(functools.partial(reader.read, CHUNK), self.protocol, stop)
            self.shutdown()

        async def listen() -> None:
            self._server = await asyncio.start_server(connection, host, port)
            async with self._server:
                await self._server.serve_forever()

        try:
            asyncio.run(listen())
        except asyncio.CancelledError:  # shutdown() closed the listener
            pass

    def report_server_error(self, error: Exception, source) -> None:
        """Log an error pygls would have shown in a popup; the user cannot act on any of them.

        A request's error is already in its response. The rest come from a
        notification whose handler raised, or a message that could not be
        sent: the log is their place.
        """
        if source is FeatureRequestError:
            return  # pygls logged it with its traceback when it answered
        trace = "".join(error.data.get("traceback", ())) if isinstance(getattr(error, "data", None), dict) else ""
        log.error("%s: %s%s", source.__name__, error, f"\n{trace}" if trace else "")

    # -- messages -------------------------------------------------------------------

    def show(self, message: str, kind: types.MessageType = types.MessageType.Warning) -> None:
        log.warning("%s", message)
        self.window_show_message(types.ShowMessageParams(type=kind, message=f"secgen: {message}"))

    def model_status(self) -> dict:
        return {"state": self.model_state, "name": getattr(self.backend, "name", None) or self.settings.model,
                "error": self.backend_error, "message": self.model_message}

    def status(self) -> dict:
        """The ``secgen/status`` notification's params."""
        last, counts = self.stats.brief()
        return {"model": self.model_status(), "lastLatencyMs": last, "counts": counts}

    def notify_status(self) -> None:
        try:
            self.protocol.notify("secgen/status", self.status())
        except Exception as exc:  # the transport is gone (shutdown): nothing to tell
            log.debug("secgen/status not sent: %s", exc)

    def show_once(self, key: str, message: str) -> None:
        if key not in self.reported:
            self.reported.add(key)
            self.show(message)

    # -- settings -------------------------------------------------------------------

    def apply_settings(self, data, *, origin: str) -> bool:
        """Merge settings from ``origin``; True when the model must be reloaded."""
        settings, problems = parse_settings(data, self.settings)
        for problem in problems:
            self.show(f"{problem} (from {origin})")
        reload = any(getattr(settings, k) != getattr(self.settings, k) for k in MODEL_KEYS)
        self.settings = settings
        self.configure_analyzers()
        return reload

    def configure_analyzers(self) -> None:
        """Register the external analyzers the settings describe (SARIF commands, Svace's and ICD's options)."""
        from secgen.analyzers.icd import IcdRegexAnalyzer, IcdSemgrepAnalyzer, IcdSettings
        from secgen.analyzers.sarif_command import LANGUAGE_SUFFIX, SarifCommandAnalyzer
        from secgen.analyzers.svace import SvaceAnalyzer, SvaceSettings

        for name, spec in self.settings.sarif_analyzers.items():
            self.registry.register(name, functools.partial(
                SarifCommandAnalyzer, name, spec["command"], languages=frozenset(LANGUAGE_SUFFIX),
                timeout_s=spec["timeout_s"]))
        # an empty options object puts the built-in analyzer back
        svace = SvaceSettings(**self.settings.svace)
        self.registry.register("svace", functools.partial(SvaceAnalyzer, svace))
        icd = IcdSettings(**self.settings.icd)
        self.registry.register("icd-regex", functools.partial(IcdRegexAnalyzer, icd))
        self.registry.register("icd-semgrep", functools.partial(IcdSemgrepAnalyzer, icd))

    async def fetch_configuration(self) -> bool:
        capabilities = self.client_capabilities.workspace
        if not (capabilities and capabilities.configuration):
            return False
        try:
            [config] = await self.workspace_configuration_async(
                types.ConfigurationParams(items=[types.ConfigurationItem(section="secgen")]))
        except Exception as exc:  # a client that fails the request must not stop the server
            log.warning("workspace/configuration failed: %s", exc)
            return False
        return self.apply_settings(config, origin="workspace/configuration")

    # -- the model ------------------------------------------------------------------

    @property
    def backend_ready(self) -> asyncio.Event:
        if self._backend_ready is None:
            self._backend_ready = asyncio.Event()
        return self._backend_ready

    async def load_backend(self) -> None:
        self.backend_ready.clear()
        self.model_state, self.model_message = "loading", self.settings.model or "default model"
        self.notify_status()
        token = f"secgen-model-{uuid.uuid4()}"
        progress = bool(self.client_capabilities.window and self.client_capabilities.window.work_done_progress)
        if progress:
            try:
                await self.work_done_progress.create_async(token)
                self.work_done_progress.begin(token, types.WorkDoneProgressBegin(title="secgen: loading model",
                                                                                 message=self.settings.model or "default"))
            except Exception as exc:
                log.warning("no progress for the model load: %s", exc)
                progress = False

        event_loop = asyncio.get_running_loop()

        def report(message: str) -> None:  # called on the model thread; the transport belongs to the event loop
            self.model_message = message
            if progress:
                event_loop.call_soon_threadsafe(self.work_done_progress.report, token,
                                                types.WorkDoneProgressReport(message=message))

        # the analyzer workers start and build their analyzers while the model loads
        self._warming = asyncio.create_task(asyncio.to_thread(self.registry.warm, self.settings.analyzers))
        try:
            backend = await self.on_model_thread(self._open_backend, report)
            old, self.backend, self.backend_error = self.backend, backend, None
            if old is not None:
                await self.on_model_thread(old.close)
        except (BackendError, ModelError) as exc:
            self.backend, self.backend_error = None, str(exc)
            self.show(f"completions are off: {exc}", types.MessageType.Error)
        except Exception as exc:  # a crash in a native library must not take the server down
            log.exception("model load failed")
            self.backend, self.backend_error = None, f"{type(exc).__name__}: {exc}"
            self.show(f"completions are off: the model failed to load ({self.backend_error})", types.MessageType.Error)
        finally:
            if progress:
                self.work_done_progress.end(token, types.WorkDoneProgressEnd(
                    message="ready" if self.backend else "failed"))
            self.model_state = "ready" if self.backend else "failed"
            self.model_message = None
            self.backend_ready.set()
            self.notify_status()

    def _open_backend(self, report) -> Backend:
        settings = self.settings
        spec = resolve_spec(settings.model)
        if spec.kind == "catalog" and inspect_model_file(spec.path, spec.entry).state == "missing":
            from secgen.engine.pull import pull

            report(f"pulling {spec.entry.name} ({spec.entry.size / 2**20:.0f} MiB)")
            pull(spec.entry, progress=False, say=report)
        report(f"loading {spec.label}")
        options = {} if spec.kind in ("fake", "openai") else {"n_ctx": settings.context_size, "n_threads": settings.threads}
        return open_backend(settings.model, **options)  # on the model thread: loads never overlap

    async def on_model_thread(self, function, /, *args, **kwargs):
        """Run ``function`` on the one thread that owns the model.

        llama.cpp generates about 25% slower when successive calls come from
        different threads (measured by ``secgen bench lsp``), so every model call,
        the load included, runs on one dedicated thread. Analysis does not.
        """
        if self._model_thread is None:
            self._model_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="secgen-model")
        call = functools.partial(function, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._model_thread, call)

    async def wait_backend(self) -> Backend | None:
        await self.backend_ready.wait()
        return self.backend

    def make_loop(self, backend: Backend | None) -> RepairLoop:
        """A loop with the server's settings; ``backend`` None for work without a model (mechanical fixes)."""
        return RepairLoop(backend, self.registry, loop_config(self.settings))

    # -- documents ------------------------------------------------------------------

    def use_lsp_lines(self) -> None:
        """Have the workspace (made at initialize) create :class:`LspTextDocument`.

        pygls 2 has no public hook for the document class: the protocol builds its ``Workspace`` inside
        ``initialize``, and the workspace builds every document in ``_create_text_document``. That method
        is wrapped here, and what it builds becomes an :class:`LspTextDocument` (a subclass with no state of
        its own), so its arguments stay pygls' business. tests/server/test_pygls_internals.py fails when
        pygls changes either.
        """
        workspace = self.workspace
        create = workspace._create_text_document

        def create_lsp_document(*args, **kwargs):
            document = create(*args, **kwargs)
            document.__class__ = LspTextDocument
            return document

        workspace._create_text_document = create_lsp_document

    @property
    def position_encoding(self) -> str:
        """The position encoding agreed at initialize ("utf-16", "utf-8" or "utf-32")."""
        encoding = self.workspace.position_encoding
        return str(getattr(encoding, "value", encoding) or "utf-16")

    def document(self, uri: str):
        """The open document, or None (never read from disk)."""
        return self.workspace.text_documents.get(unquote(uri))

    def state(self, uri: str) -> DocumentState:
        return self.documents.setdefault(uri, DocumentState())

    def remember(self, suggestion: Suggestion) -> None:
        self.suggestions[suggestion.id] = suggestion
        while len(self.suggestions) > 100:
            self.suggestions.pop(next(iter(self.suggestions)))

    def accept(self, suggestion_id: str) -> Suggestion | None:
        """The suggestion, now accepted; None if unknown or already accepted (see ``self.accepted``)."""
        suggestion = self.suggestions.pop(suggestion_id, None)
        if suggestion is None:
            return None
        self.stats.count("accepted")
        self.accepted[suggestion.id] = suggestion
        while len(self.accepted) > 100:
            self.accepted.pop(next(iter(self.accepted)))
        state = self.state(suggestion.uri)
        state.ai_findings.extend(replace(f, extra={**f.extra, "suggestion": suggestion.id}) for f in suggestion.findings)
        return suggestion

    def accepted_by_edit(self, uri: str, text: str) -> list[Suggestion]:
        """Suggestions for ``uri`` whose text now stands where they were offered."""
        found = [s for s in self.suggestions.values()
                 if s.uri == uri and text[s.offset:s.offset + len(s.text)] == s.text and s.text.strip()]
        return [s for s in (self.accept(x.id) for x in found) if s is not None]
