"""LSP: what the language server adds to a completion, seen from the editor.

The benchmark starts the real server (``python -m secgen.server.lsp --stdio``)
as a subprocess and drives it as an editor would, through a real JSON-RPC
client over its pipes (pygls's ``LanguageClient``): ``initialize`` with the
model spec, ``tMax`` 0 (no repair rounds: this measures overhead, not repair),
``maxTokens`` and ``debounceMs`` 0; it polls ``secgen/stats`` until the model
is loaded, then for each of the latency benchmark's cases opens a document
without the last few characters before the cursor, types them one
``didChange`` at a time (waiting for each version's ``publishDiagnostics``, so
no analysis is still running) and asks ``textDocument/inlineCompletion`` at
the cursor. The figure is the client-side time of that request. (While the
model loads, llama-cpp-python points the server's stdout, our channel, at
/dev/null, so a status poll may go unanswered: it is sent again, and counted.)

The baseline, in the same run and in this process, is the bare backend on the
same prompt: ``Backend.fim`` on the same model (same context size, threads,
``max_tokens``, greedy, secgen's FIM stop strings), stream collected. The
server path adds post-processing, analysis of the suggestion in its document
(twice: before and after), JSON-RPC and the pipes. Both should generate the
same tokens: the server's suggestion is compared with the baseline's text
after the same post-processing, and a difference is reported per case.

Fairness:

* never at the same time: the benchmark waits for each server request and
  each baseline call to finish before the next, since both use the CPU;
* alternating: each case's baseline and server requests follow each other,
  and which goes first alternates, so a process competing for the CPU slows
  both alike;
* the prompt cache: llama-cpp-python keeps the previous prompt's KV cache and
  re-evaluates only what differs. The server's backend cannot be reset from
  outside, so instead of resetting neither path ever repeats its previous
  prompt: repeats run round-robin over the cases (case 1..7, then again), and
  the warm-up uses a prompt that is not a case. Both paths see the same
  sequence of prompts, so whatever the cache saves (the first few tokens the
  cases share) it saves for both.

Diagnostics latency: on a ~50-line module (the latency benchmark's
``SNIPPET``), the time from ``didOpen`` and from each of ``--edits`` one-character
``didChange`` edits to the ``publishDiagnostics`` for that version, with
``debounceMs`` 0 so the figure is analysis plus transport. Its baseline is the
same analyzers run on the same text in this process, alternating with the
edits.

Model load, server start and a warm-up request on each path are excluded and
reported. The table goes to stdout, progress to stderr, every figure to
``bench-results/lsp-<UTC timestamp>.json``.

    python -m secgen.bench.lsp                              # default model, 64 tokens, 3 repeats
    python -m secgen.bench.lsp --repeats 5 --max-tokens 32 --edits 40
    SECGEN_MODEL_DIR=/models secgen bench lsp --out lsp.json
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Mapping, Sequence

from lsprotocol import types
from pygls.lsp.client import LanguageClient

from secgen import __version__
from secgen.analyzers import Source, default_registry
from secgen.analyzers.registry import DEFAULT_ANALYZERS
from secgen.bench.harness import (format_load, format_number, load_average, median, positive_int, progress, publish,
                                  ratio)
from secgen.bench.latency import CASES, RESULTS_DIR, SNIPPET, CompletionCase, backend_machine_info
from secgen.engine.backend import Backend, BackendError, GenerationParams, collect, open_backend
from secgen.engine.catalog import ModelError, resolve_spec
from secgen.engine.measure import percentile
from secgen.engine.postprocess import postprocess
from secgen.engine.prompts import FIM_STOPS

TARGET_OVERHEAD = 1.10  # server/bare with no repair round
TYPED_CHARS = 3  # characters typed before each completion request
CONTEXT_SIZE = 4096
LOAD_DEADLINE_S = 600.0
REQUEST_TIMEOUT_S = 600.0
POLL_TIMEOUT_S = 2.0
# Not one of the cases, so the first timed request does not find its prompt cached.
WARMUP = CompletionCase(name="warm-up", suffix="\n",
                        prefix=SNIPPET[:SNIPPET.index("def backup")] + "def backup(path: Path) -> str:\n    ")


@dataclass(frozen=True, kw_only=True)
class CaseTiming:
    """One case's completions through the server and on the bare backend, in seconds."""

    name: str
    bare_s: tuple[float, ...]
    server_s: tuple[float, ...]
    chunks: int | None = None  # stream chunks of the baseline (one per token for llama.cpp)
    same_output: bool | None = None
    suggestion: str = ""  # the server's
    bare_suggestion: str = ""  # the baseline's text after the same post-processing

    def to_dict(self) -> dict:
        bare50, server50 = percentile(self.bare_s, 50), percentile(self.server_s, 50)
        return {
            "name": self.name, "bare_s": list(self.bare_s), "server_s": list(self.server_s),
            "bare_p50_s": bare50, "bare_p95_s": percentile(self.bare_s, 95),
            "server_p50_s": server50, "server_p95_s": percentile(self.server_s, 95),
            "server_vs_bare": ratio(server50, bare50), "chunks": self.chunks, "same_output": self.same_output,
            "suggestion": self.suggestion, "bare_suggestion": self.bare_suggestion,
        }


def summarize(cases: Sequence[CaseTiming]) -> dict:
    """Medians over the cases of their p50 and p95, the ratios between them, and the target."""
    rows = [c.to_dict() for c in cases]

    def mid(key: str) -> float | None:
        return median([r[key] for r in rows if r[key] is not None])

    p50 = ratio(mid("server_p50_s"), mid("bare_p50_s"))
    return {
        "bare_p50_s": mid("bare_p50_s"), "bare_p95_s": mid("bare_p95_s"),
        "server_p50_s": mid("server_p50_s"), "server_p95_s": mid("server_p95_s"),
        "server_vs_bare_p50": p50, "server_vs_bare_p95": ratio(mid("server_p95_s"), mid("bare_p95_s")),
        "median_case_server_vs_bare": mid("server_vs_bare"),
        "target": TARGET_OVERHEAD, "within_target": None if p50 is None else p50 < TARGET_OVERHEAD,
        "same_output_cases": sum(r["same_output"] is True for r in rows), "cases": len(rows),
    }


def summarize_diagnostics(edit_s: Sequence[float], analysis_s: Sequence[float], *, open_s: float | None,
                          debounce_ms: int, lines: int) -> dict:
    """Edit -> publishDiagnostics against the same analysis in-process, in ms."""
    def ms(values: Sequence[float], q: float) -> float | None:
        value = percentile(values, q)
        return None if value is None else 1000 * value

    return {
        "lines": lines, "debounce_ms": debounce_ms, "edits": len(edit_s),
        "edit_s": list(edit_s), "analysis_s": list(analysis_s),
        "open_ms": None if open_s is None else 1000 * open_s,
        "p50_ms": ms(edit_s, 50), "p95_ms": ms(edit_s, 95),
        "analysis_p50_ms": ms(analysis_s, 50), "analysis_p95_ms": ms(analysis_s, 95),
        "p50_vs_analysis": ratio(ms(edit_s, 50), ms(analysis_s, 50)),
    }


def build_report(cases: Sequence[CaseTiming], diagnostics: Mapping, *, machine: Mapping, settings: Mapping,
                 load: Mapping, warmup_s: float, server_stats: Mapping | None = None) -> dict:
    return {
        "benchmark": "lsp", "schema": 1,
        "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": dict(machine), "settings": dict(settings), "load": dict(load), "warmup_s": warmup_s,
        "summary": summarize(cases), "cases": [c.to_dict() for c in cases],
        "diagnostics": dict(diagnostics), "server_stats": dict(server_stats or {}),
    }


def format_report(report: Mapping) -> str:
    """The table and summary a person reads; every figure comes from ``report``."""
    columns = ["case", "bare p50 s", "bare p95 s", "server p50 s", "server p95 s", "server/bare", "chunks", "same"]
    same = {True: "yes", False: "NO", None: "-"}
    rows = [[c["name"], *(format_number(c[key], ".3f") for key in ("bare_p50_s", "bare_p95_s", "server_p50_s",
                                                                   "server_p95_s", "server_vs_bare")),
             format_number(c["chunks"], "d"), same[c["same_output"]]] for c in report["cases"]]
    s = report["summary"]
    rows.append(["median", *(format_number(s[key], ".3f") for key in ("bare_p50_s", "bare_p95_s", "server_p50_s",
                                                                      "server_p95_s", "server_vs_bare_p50")),
                 "", f"{s['same_output_cases']}/{s['cases']}"])
    table = [columns, *rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(columns))]
    lines = ["  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(r, widths)))
             for r in table]
    m, st, ld, d = report["machine"], report["settings"], report["load"], report["diagnostics"]
    head = (f"secgen lsp: {m.get('model_file')}, server over stdio vs in-process {m.get('baseline')}, "
            f"max_tokens={st['max_tokens']}, tMax={st['t_max']}, repeats={st['repeats']}, "
            f"{m.get('cpu_count')} CPUs, {m.get('n_threads') or '?'} threads\n"
            f"excluded: bare model load {ld['bare_model_load_s']:.2f} s, server start + load "
            f"{ld['server_ready_s']:.2f} s ({ld.get('lost_polls', 0)} secgen/stats answers lost to the load), "
            f"warm-up {report['warmup_s']:.2f} s; load average "
            f"{format_load(m.get('load_average_before'))} before, {format_load(m.get('load_average_after'))} after\n")
    diag = (f"diagnostics: {d['lines']}-line module, debounceMs={d['debounce_ms']}, {d['edits']} edits: "
            f"didChange -> publishDiagnostics p50 {format_number(d['p50_ms'], '.1f')} ms, "
            f"p95 {format_number(d['p95_ms'], '.1f')} ms; "
            f"same analyzers in-process p50 {format_number(d['analysis_p50_ms'], '.1f')} ms, p95 "
            f"{format_number(d['analysis_p95_ms'], '.1f')} ms; "
            f"didOpen -> publishDiagnostics {format_number(d['open_ms'], '.1f')} ms")
    verdict = {True: "met", False: "NOT met", None: "-"}[s["within_target"]]
    summary = (f"summary: completion p50 server {format_number(s['server_p50_s'], '.3f')} s vs bare "
               f"{format_number(s['bare_p50_s'], '.3f')} s = {format_number(s['server_vs_bare_p50'], '.3f')} "
               f"(target < "
               f"{s['target']:.2f}: {verdict}); p95 {format_number(s['server_vs_bare_p95'], '.3f')}; median per case "
               f"{format_number(s['median_case_server_vs_bare'], '.3f')}; "
               f"same tokens {s['same_output_cases']}/{s['cases']}; "
               f"diagnostics p50 {format_number(d['p50_ms'], '.1f')} ms "
               f"= {format_number(d['p50_vs_analysis'], '.2f')} x in-process")
    stages = report.get("server_stats", {})
    inside = ", ".join(f"{stage} p50 {stages[stage]['p50_ms']:.1f} ms" for stage in ("completion", "generation",
                                                                                     "analysis") if stage in stages)
    inside = f"\nthe server's own secgen/stats (warm-up included): {inside}" if inside else ""
    return head + "\n" + "\n".join(lines) + "\n\n" + diag + inside + "\n" + summary


def default_out_path(now: datetime | None = None) -> Path:
    now = now or datetime.now(timezone.utc)
    return RESULTS_DIR / f"lsp-{now.astimezone(timezone.utc):%Y%m%dT%H%M%SZ}.json"


# -- the scripted editor -------------------------------------------------------------


def position_at(text: str, offset: int) -> types.Position:
    """The LSP position (UTF-16 columns) of a character offset."""
    before = text[:offset]
    line_start = before.rfind("\n") + 1
    return types.Position(line=before.count("\n"), character=len(before[line_start:].encode("utf-16-le")) // 2)


def plain(value):
    """pygls hands back custom results as nested named tuples; make them dicts and lists."""
    if hasattr(value, "_asdict"):
        return {k: plain(v) for k, v in value._asdict().items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


class ServerFailed(RuntimeError):
    """The server could not serve the benchmark; the message says why."""


class NoAnswer(ServerFailed):
    """A request got no answer in time."""


class ScriptedEditor:
    """A real LSP client on the server's stdin/stdout, editing documents as a person would."""

    def __init__(self) -> None:
        self.client = LanguageClient("secgen-bench-lsp", __version__)
        self.texts: dict[str, str] = {}
        self.versions: dict[str, int] = {}
        self.stderr_tail: deque[str] = deque(maxlen=20)
        self._waiting: dict[tuple[str, int], asyncio.Future] = {}
        self._drain: asyncio.Task | None = None
        self.lost_polls = 0  # secgen/stats requests that got no answer while the model loaded

        @self.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def published(params: types.PublishDiagnosticsParams):
            future = self._waiting.pop((params.uri, params.version), None)
            if future is not None and not future.done():
                future.set_result(len(params.diagnostics))

        @self.client.feature(types.WINDOW_SHOW_MESSAGE)
        def shown(params: types.ShowMessageParams):
            progress(f"server: {params.message}")

        @self.client.feature(types.WINDOW_LOG_MESSAGE)
        def logged(params: types.LogMessageParams):
            pass

        @self.client.feature("secgen/status")  # for status bars; unhandled, pygls would log each one
        def status(params):
            pass

    async def start(self, settings: Mapping) -> None:
        await self.client.start_io(sys.executable, "-m", "secgen.server.lsp", "--stdio")
        self._drain = asyncio.create_task(self._read_stderr())  # pygls pipes stderr but never reads it
        capabilities = types.ClientCapabilities(text_document=types.TextDocumentClientCapabilities(
            publish_diagnostics=types.PublishDiagnosticsClientCapabilities(version_support=True)))
        await self._answer(self.client.initialize_async(types.InitializeParams(
            process_id=os.getpid(), capabilities=capabilities, initialization_options=dict(settings))))
        self.client.initialized(types.InitializedParams())

    async def _read_stderr(self) -> None:
        stream = self.client._server.stderr
        while line := await stream.readline():
            self.stderr_tail.append(line.decode(errors="replace").rstrip())

    async def _answer(self, request, timeout: float = REQUEST_TIMEOUT_S):
        try:
            return await asyncio.wait_for(request, timeout)
        except asyncio.TimeoutError:
            raise NoAnswer(f"no answer from the server in {timeout:.0f} s") from None
        except RuntimeError as exc:  # pygls fails pending requests so when the server exits
            tail = " | ".join(self.stderr_tail)
            raise ServerFailed(f"{exc}{'; server stderr: ' + tail if tail else ''}") from None

    async def stats(self, timeout: float = REQUEST_TIMEOUT_S) -> dict:
        return plain(await self._answer(self.client.protocol.send_request_async("secgen/stats", {}), timeout))

    async def start_ready(self, settings: dict) -> tuple[dict, float]:
        """Start the server with ``settings`` and wait for its model: (its ``model`` entry, seconds taken)."""
        progress("starting the server and loading its model...")
        started = time.perf_counter()
        await self.start(settings)
        model = await self.wait_until_ready()
        return model, time.perf_counter() - started

    async def wait_until_ready(self, deadline_s: float = LOAD_DEADLINE_S) -> dict:
        """Poll ``secgen/stats`` until the model is loaded; its ``model`` entry.

        While llama-cpp-python loads a model it points file descriptor 1 at
        /dev/null (``suppress_stdout_stderr``), and over stdio that is the
        server's channel to us: an answer sent then is lost. So a poll that
        gets no answer in ``POLL_TIMEOUT_S`` is counted in ``lost_polls`` and
        sent again.
        """
        end = time.monotonic() + deadline_s
        while True:
            try:
                model = (await self.stats(POLL_TIMEOUT_S))["model"]
            except NoAnswer:
                self.lost_polls += 1
                model = {"ready": False, "error": None}
            if model["ready"]:
                return model
            if model["error"]:
                raise ServerFailed(f"the server could not load the model: {model['error']}")
            if time.monotonic() > end:
                raise ServerFailed(f"the model was not loaded after {deadline_s:.0f} s")
            await asyncio.sleep(0.05)

    @property
    def process(self) -> asyncio.subprocess.Process | None:
        """The server's process (pygls keeps it private)."""
        return self.client._server

    def expect_publish(self, uri: str, version: int) -> asyncio.Future:
        """A future set by the ``publishDiagnostics`` of ``uri`` at ``version``; ask before sending the change."""
        future = asyncio.get_running_loop().create_future()
        self._waiting[(uri, version)] = future
        return future

    async def open(self, uri: str, text: str) -> float:
        """Open ``uri``; seconds until its diagnostics are published."""
        self.texts[uri], self.versions[uri] = text, 1
        published = self.expect_publish(uri, 1)
        started = time.perf_counter()
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)))
        await self._answer(published)
        return time.perf_counter() - started

    def edit(self, uri: str, start: int, end: int, text: str) -> int:
        """Replace characters ``start:end`` with ``text`` (one incremental change), without waiting; the new version."""
        old = self.texts[uri]
        self.texts[uri] = old[:start] + text + old[end:]
        self.versions[uri] += 1
        version = self.versions[uri]
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangePartial(
                range=types.Range(start=position_at(old, start), end=position_at(old, end)), text=text)]))
        return version

    async def type(self, uri: str, offset: int, char: str) -> float:
        """Insert ``char`` at ``offset`` (one incremental change); seconds until its diagnostics."""
        published = self.expect_publish(uri, self.versions[uri] + 1)
        started = time.perf_counter()
        self.edit(uri, offset, offset, char)
        await self._answer(published)
        return time.perf_counter() - started

    def _inline_params(self, uri: str, offset: int) -> types.InlineCompletionParams:
        return types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=position_at(self.texts[uri], offset),
            context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Automatic))

    def send_inline(self, uri: str, offset: int, msg_id: str) -> asyncio.Future:
        """Send ``textDocument/inlineCompletion`` with a known id (so it can be cancelled); its answer's future.

        The future holds the result, or the error the server answered with
        (``JsonRpcRequestCancelled`` for -32800). Never cancel the future itself:
        pygls' client sends no ``$/cancelRequest`` for that; use :meth:`cancel`.
        """
        return asyncio.wrap_future(self.client.protocol.send_request(
            types.TEXT_DOCUMENT_INLINE_COMPLETION, self._inline_params(uri, offset), msg_id=msg_id))

    def cancel(self, msg_id: str) -> None:
        """``$/cancelRequest`` for a request sent with :meth:`send_inline`."""
        self.client.cancel_request(types.CancelParams(id=msg_id))

    async def inline_completion(self, uri: str, offset: int) -> tuple[float, str]:
        """Client-side seconds of one ``textDocument/inlineCompletion``, and the text offered."""
        params = self._inline_params(uri, offset)
        started = time.perf_counter()
        result = await self._answer(self.client.text_document_inline_completion_async(params))
        seconds = time.perf_counter() - started
        items = result.items if isinstance(result, types.InlineCompletionList) else (result or [])
        text = items[0].insert_text if items else ""
        return seconds, text if isinstance(text, str) else text.value

    def close(self, uri: str) -> None:
        self.client.text_document_did_close(types.DidCloseTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))

    async def stop(self) -> bool:
        """``shutdown`` and ``exit``; False when the server had to be killed (or had already exited)."""
        exited = False
        if self.client._server is not None and self.client._server.returncode is None:
            try:
                await asyncio.wait_for(self.client.shutdown_async(None), 30)
                self.client.exit(None)
                await asyncio.wait_for(self.client._server.wait(), 30)
                exited = True
            except (asyncio.TimeoutError, RuntimeError):
                self.client._server.kill()
        await self.client.stop()
        if self._drain is not None:
            await self._drain
        return exited


# -- measuring -----------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class LspRun:
    """One benchmark run: the bare backend here, the server behind ``editor``."""

    backend: Backend
    editor: ScriptedEditor
    max_tokens: int
    repeats: int
    edits: int

    def bare(self, case: CompletionCase) -> tuple[float, str, int]:
        """The baseline: seconds, post-processed text and stream chunks of ``backend.fim``."""
        params = GenerationParams(max_tokens=self.max_tokens, stop=FIM_STOPS)
        started = time.perf_counter()
        generation = collect(self.backend.fim(case.prefix, case.suffix, params))
        seconds = time.perf_counter() - started
        return seconds, postprocess(generation.text, case.prefix, case.suffix) or "", len(generation.chunks)

    async def server(self, case: CompletionCase, uri: str) -> tuple[float, str]:
        """Open the case without its last characters, type them, ask for the completion at the cursor."""
        cut = len(case.prefix) - TYPED_CHARS
        await self.editor.open(uri, case.prefix[:cut] + case.suffix)
        for i, char in enumerate(case.prefix[cut:]):
            await self.editor.type(uri, cut + i, char)
        try:
            return await self.editor.inline_completion(uri, len(case.prefix))
        finally:
            self.editor.close(uri)

    async def pair(self, case: CompletionCase, uri: str, server_first: bool):
        if server_first:
            server = await self.server(case, uri)
            return self.bare(case), server
        bare = self.bare(case)
        return bare, await self.server(case, uri)

    async def completions(self, cases: Sequence[CompletionCase]) -> list[CaseTiming]:
        runs: dict[str, list] = {c.name: [] for c in cases}  # per case: ((bare s, text, chunks), (server s, text))
        for r in range(self.repeats):  # round-robin: no path ever sees its previous prompt again
            for i, case in enumerate(cases):
                bare, server = await self.pair(case, f"file:///secgen-bench/r{r}/{case.name}.py",
                                               server_first=(r + i) % 2 == 1)
                runs[case.name].append((bare, server))
                progress(f"[{r + 1}/{self.repeats}] {case.name}: bare {bare[0]:.3f} s, server {server[0]:.3f} s"
                         + ("" if bare[1] == server[1] else " (different text)"))
        return [CaseTiming(name=name, bare_s=tuple(b[0] for b, _ in pairs), server_s=tuple(s[0] for _, s in pairs),
                           chunks=pairs[-1][0][2], same_output=all(b[1] == s[1] for b, s in pairs),
                           suggestion=pairs[-1][1][1], bare_suggestion=pairs[-1][0][1])
                for name, pairs in runs.items()]

    async def diagnostics(self, debounce_ms: int) -> dict:
        """Edits to a ~50-line module, each timed to its diagnostics, alternating with in-process analysis."""
        uri = "file:///secgen-bench/diagnostics/users.py"
        registry = default_registry()
        text = SNIPPET + "# edited: "
        path = "/secgen-bench/diagnostics/users.py"
        registry.analyze(Source(text=text, language="python", path=path), DEFAULT_ANALYZERS)  # imports, untimed
        open_s = await self.editor.open(uri, text)
        edit_s, analysis_s = [], []
        for i in range(self.edits):
            edit_s.append(await self.editor.type(uri, len(self.editor.texts[uri]), "abcdefghij"[i % 10]))
            source = Source(text=self.editor.texts[uri], language="python", path=path)
            started = time.perf_counter()
            registry.analyze(source, DEFAULT_ANALYZERS)
            analysis_s.append(time.perf_counter() - started)
        self.editor.close(uri)
        return summarize_diagnostics(edit_s, analysis_s, open_s=open_s, debounce_ms=debounce_ms,
                                     lines=text.count("\n") + 1)


def server_settings(args: argparse.Namespace, *, debounce_ms: int = 0) -> dict:
    """``initializationOptions``: the benchmark's model and limits, no repair, no debounce."""
    return {"model": args.model, "tMax": 0, "maxTokens": args.max_tokens, "debounceMs": debounce_ms,
            "contextSize": CONTEXT_SIZE, "threads": None, "analyzers": list(DEFAULT_ANALYZERS)}


async def run(args: argparse.Namespace, backend: Backend, bare_load_s: float) -> dict:
    load_before = load_average()
    settings = server_settings(args)
    editor = ScriptedEditor()
    bench = LspRun(backend=backend, editor=editor, max_tokens=args.max_tokens, repeats=args.repeats,
                   edits=args.edits)
    try:
        model, ready_s = await editor.start_ready(settings)
        progress(f"server ready in {ready_s:.2f} s ({model['name']}); warming up both paths...")
        started = time.perf_counter()
        await bench.pair(WARMUP, "file:///secgen-bench/warm-up.py", server_first=False)
        warmup_s = time.perf_counter() - started
        timings = await bench.completions(CASES)
        progress(f"diagnostics: {args.edits} edits...")
        diagnostics = await bench.diagnostics(settings["debounceMs"])
        stats = await editor.stats()
    finally:
        await editor.stop()
    run_settings = {"max_tokens": args.max_tokens, "repeats": args.repeats, "edits": args.edits, "t_max": 0,
                    "temperature": 0.0, "typed_chars": TYPED_CHARS, "cases": [c.name for c in CASES],
                    "initialization_options": settings}
    machine = {**backend_machine_info(backend, load_before), "baseline": "backend.fim", "server_model": model["name"]}
    return build_report(timings, diagnostics, machine=machine, settings=run_settings,
                        load={"bare_model_load_s": bare_load_s, "server_ready_s": ready_s,
                              "lost_polls": editor.lost_polls}, warmup_s=warmup_s,
                        server_stats=stats.get("latency", {}))


# -- command line --------------------------------------------------------------------


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="secgen bench lsp", description=__doc__.split("\n\n")[0],
                                     epilog="examples:\n" + __doc__.rsplit("\n\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None, help="model spec (default: the catalog's default model)")
    parser.add_argument("--max-tokens", type=positive_int, default=64, help="tokens per generation, both paths (64)")
    parser.add_argument("--repeats", type=positive_int, default=3, help="timed requests per case and path (3)")
    parser.add_argument("--edits", type=positive_int, default=20, help="edits timed to their diagnostics (20)")
    parser.add_argument("--out", type=Path, default=None,
                        help="JSON results file (default: bench-results/lsp-<UTC timestamp>.json)")
    return parser


def _open_bare(spec: str | None) -> tuple[float, Backend]:
    """The baseline backend, built with the options the server uses for the same spec."""
    try:
        kind = resolve_spec(spec).kind
    except ModelError as exc:
        raise BackendError(str(exc)) from None
    options = {} if kind in ("fake", "openai") else {"n_ctx": CONTEXT_SIZE, "n_threads": None}
    started = time.perf_counter()
    backend = open_backend(spec, **options)
    return time.perf_counter() - started, backend


def main(argv: Sequence[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    progress("loading the model in this process (the baseline)...")
    try:
        bare_load_s, backend = _open_bare(args.model)
    except BackendError as exc:
        hint = "" if "secgen model pull" in str(exc) else "; get the default model with `secgen model pull`"
        print(f"secgen bench lsp: error: {exc}{hint}", file=sys.stderr)
        return 2
    try:
        report = asyncio.run(run(args, backend, bare_load_s))
    except ServerFailed as exc:
        print(f"secgen bench lsp: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("secgen bench lsp: interrupted", file=sys.stderr)
        return 130
    finally:
        backend.close()
    return publish(report, format_report(report), args.out or default_out_path(), prog="secgen bench lsp")


if __name__ == "__main__":
    sys.exit(main())
