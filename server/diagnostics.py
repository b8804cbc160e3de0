"""Document diagnostics: analyzer findings for the whole document.

Analyzed on open and on save at once, and on change after a debounce
(``debounceMs``, 300 ms by default). Each analysis works on one snapshot
(uri, version, text) in a worker thread; a result for a version that is no
longer current is dropped. Slow analyzers run on save only. Findings of
accepted AI suggestions are merged in and marked as such; they appear as soon
as the suggestion is accepted, before the next analysis.
"""

from __future__ import annotations

import asyncio
import logging
import time

from lsprotocol import types

from secgen.analyzers import Finding, Source
from secgen.analyzers.languages import language_for_id, language_for_path
from secgen.server.app import MAX_DOCUMENT_CHARS, SecgenServer
from secgen.server.convert import lsp_lines, to_diagnostic

log = logging.getLogger(__name__)


def language_of(document) -> str:
    """The client's languageId, else the file's extension, else Python.

    An id we have no analyzers for is kept as it is (so none of them runs), rather
    than read as Python.
    """
    language_id = document.language_id
    return (language_for_id(language_id) or language_for_path(document.path)
            or (language_id.lower() if language_id else "python"))


def publish(ls: SecgenServer, uri: str) -> None:
    state = ls.state(uri)
    lines = state.lines
    key = lambda f: (f.analyzer, f.rule_id, f.line)  # noqa: E731
    ai = {key(f) for f in state.ai_findings}
    policy, encoding = ls.settings.policy, ls.position_encoding
    diagnostics = [to_diagnostic(f, lines, policy, ai=key(f) in ai, encoding=encoding) for f in state.findings]
    seen = {key(f) for f in state.findings}
    diagnostics += [to_diagnostic(f, lines, policy, ai=True, encoding=encoding)
                    for f in state.ai_findings if key(f) not in seen]
    ls.text_document_publish_diagnostics(
        types.PublishDiagnosticsParams(uri=uri, version=state.version, diagnostics=diagnostics))


def schedule(ls: SecgenServer, uri: str, *, delay: float, include_slow: bool = False) -> None:
    state = ls.state(uri)
    if state.analysis is not None and not state.analysis.done():
        state.analysis.cancel()
    state.analysis = asyncio.get_running_loop().create_task(analyze(ls, uri, delay, include_slow))


def reanalyze(ls: SecgenServer) -> None:
    """Analyze every open document again, now: after a change of settings."""
    for uri in list(ls.documents):
        schedule(ls, uri, delay=0)


async def analyze(ls: SecgenServer, uri: str, delay: float, include_slow: bool) -> None:
    if delay:
        await asyncio.sleep(delay)
    document = ls.document(uri)
    if document is None:
        return
    version, text = document.version, document.source
    if len(text) > MAX_DOCUMENT_CHARS:
        ls.show_once(f"huge:{uri}", f"{uri} has {len(text):,} characters; analysis is skipped above "
                                    f"{MAX_DOCUMENT_CHARS:,}")
        # What an earlier version had found no longer matches this text: clear it.
        state = ls.state(uri)
        state.version, state.findings, state.ai_findings, state.lines = version, [], [], []
        publish(ls, uri)
        return
    started = time.perf_counter()
    source = Source(text=text, language=language_of(document), path=document.path)
    report = await asyncio.to_thread(ls.registry.analyze, source, ls.settings.analyzers, include_slow=include_slow)
    ls.stats.time("diagnostics", time.perf_counter() - started)
    for name, reason in report.failures.items():
        ls.show_once(f"analyzer:{name}:{reason}", f"analyzer {name} did not run: {reason}")
    current = ls.document(uri)
    if current is None or current.version != version:
        log.debug("dropping analysis of %s v%s (now v%s)", uri, version, current and current.version)
        return
    state = ls.state(uri)
    state.version, state.findings, state.lines = version, report.findings, lsp_lines(text)
    # A residual finding of an accepted suggestion is forgotten once the analyzers no longer see it.
    rules_now = {(f.analyzer, f.rule_id) for f in report.findings}
    state.ai_findings = [f for f in state.ai_findings if (f.analyzer, f.rule_id) in rules_now]
    publish(ls, uri)


def refresh_lines(ls: SecgenServer, uri: str, text: str) -> None:
    ls.state(uri).lines = lsp_lines(text)


def register(server: SecgenServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: SecgenServer, params: types.DidOpenTextDocumentParams):
        schedule(ls, params.text_document.uri, delay=0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: SecgenServer, params: types.DidChangeTextDocumentParams):
        uri = params.text_document.uri
        document = ls.document(uri)
        if document is not None and ls.accepted_by_edit(uri, document.source):
            refresh_lines(ls, uri, document.source)
            publish(ls, uri)  # the accepted suggestion's findings, at once
        schedule(ls, uri, delay=ls.settings.debounce_ms / 1000)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: SecgenServer, params: types.DidSaveTextDocumentParams):
        schedule(ls, params.text_document.uri, delay=0, include_slow=True)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: SecgenServer, params: types.DidCloseTextDocumentParams):
        uri = params.text_document.uri
        state = ls.documents.pop(uri, None)
        if state is not None and state.analysis is not None:
            state.analysis.cancel()
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


def findings_at(ls: SecgenServer, uri: str, data: dict) -> list[Finding]:
    """The current findings that a diagnostic's ``data`` names (same analyzer and rule, nearest line)."""
    state = ls.state(uri)
    same = [f for f in state.findings if f.analyzer == data.get("analyzer") and f.rule_id == data.get("ruleId")]
    if not same:
        return []
    line = data.get("line", 0)
    return [min(same, key=lambda f: abs(f.line - line))]
