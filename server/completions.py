"""Completions: ghost text (``textDocument/inlineCompletion``, LSP 3.18) and, for
clients without it, ``textDocument/completion`` with the suggestion as one item.

Every suggestion goes through the repair loop first. One that still has
blocking findings is hidden or offered with them (``residualSuggestions``).
Each item carries the command ``secgen.accepted`` so the server learns of its
acceptance (it also recognises the inserted text on ``didChange``); the
suggestion's residual findings then show as diagnostics at once. With
``collectPairs`` on, accepting a suggestion the loop repaired also keeps a
preference pair on this machine (:mod:`secgen.server.collect`).

A newer completion request for a document cancels the one in flight, and
``$/cancelRequest`` cancels generation between tokens.

When the model fails to answer (a model server that refuses, errs, garbles
or stalls: a ``BackendError``), the request gets an empty result, the failure
is counted (``failed``) and shown in one line, once until a completion succeeds
again: an editor asks on every pause in typing, and one broken server must not
become a popup per keystroke.
"""

from __future__ import annotations

import asyncio
import time
import uuid

from lsprotocol import types

from secgen.engine.backend import BackendError, CancelToken
from secgen.server.app import MAX_DOCUMENT_CHARS, SecgenServer, Suggestion
from secgen.server.collect import completion_messages, fim_context
from secgen.server.convert import offset_at
from secgen.server.diagnostics import language_of

ACCEPT_COMMAND = "secgen.accepted"
MODEL_FAILED = "completion:model-failed"  # the key of the failure shown once (SecgenServer.show_once)


async def suggest(ls: SecgenServer, uri: str, position: types.Position) -> Suggestion | None:
    try:
        return await _suggest(ls, uri, position)
    finally:
        ls.notify_status()


async def _suggest(ls: SecgenServer, uri: str, position: types.Position) -> Suggestion | None:
    document = ls.document(uri)
    if document is None:
        return None
    version, text = document.version, document.source
    if len(text) > MAX_DOCUMENT_CHARS:
        ls.show_once(f"huge:{uri}", f"{uri} is too large for completions ({len(text):,} characters)")
        return None
    backend = await ls.wait_backend()
    if backend is None:
        return None
    offset = offset_at(text, position, ls.position_encoding)
    if offset is None:  # a line past the end: the client's idea of the document is not ours
        return None
    prefix, suffix = text[:offset], text[offset:]
    token = CancelToken()
    previous = ls.in_flight.get(uri)
    if previous is not None:
        previous.cancel()
    ls.in_flight[uri] = token
    loop = ls.make_loop(backend)
    language = language_of(document)
    started = time.perf_counter()
    try:
        result = await ls.on_model_thread(loop.complete, prefix, suffix, language=language,
                                         path=document.path, cancel=token)
    except asyncio.CancelledError:  # $/cancelRequest: stop the model between tokens
        token.cancel()
        ls.stats.count("cancelled")
        raise
    except BackendError as exc:
        ls.stats.count("failed")
        ls.show_once(MODEL_FAILED, f"completion failed: {exc}")
        return None
    finally:
        if ls.in_flight.get(uri) is token:
            del ls.in_flight[uri]
    if result.model_error:  # the first answer came, a repair round's did not: offered as it stands
        ls.show_once(MODEL_FAILED, f"repair stopped, the model failed ({result.model_error})")
    else:
        ls.reported.discard(MODEL_FAILED)  # the model answers again: its next failure is news
    ls.stats.time("completion", time.perf_counter() - started)
    ls.stats.record_loop(result)
    if result.stop_reason == "cancelled":
        ls.stats.count("cancelled")
        return None
    if result.best is None:
        return None
    if result.best.blocking:
        if ls.settings.residual_suggestions == "hide":
            ls.stats.count("hidden")
            return None
        ls.stats.count("residual")
    ls.stats.count("suggestions")
    collecting = ls.settings.collect_pairs  # only then does a suggestion keep what a pair needs
    prefix_tail, suffix_head = fim_context(prefix, suffix) if collecting else ("", "")
    suggestion = Suggestion(id=uuid.uuid4().hex, uri=uri, version=version, offset=offset,
                            start_line=prefix.count("\n"), text=result.text, findings=result.residual,
                            language=language, result=result.compact() if collecting else None,
                            prefix_tail=prefix_tail, suffix_head=suffix_head)
    ls.remember(suggestion)
    return suggestion


def _accept_command(suggestion: Suggestion) -> types.Command:
    return types.Command(title="secgen: suggestion accepted", command=ACCEPT_COMMAND, arguments=[suggestion.id])


def _summary(suggestion: Suggestion, ls: SecgenServer) -> str:
    blocking = [f for f in suggestion.findings if ls.settings.policy.is_blocking(f)]
    if not blocking:
        return "secgen: checked by analyzers"
    return "secgen: unresolved " + ", ".join(f.label() for f in blocking)


def _collect(ls: SecgenServer, suggestion: Suggestion) -> None:
    """Keep the suggestion's preference pairs, if the user collects them (see :mod:`secgen.server.collect`)."""
    if suggestion.result is None:  # made while collectPairs was off: nothing kept to pair
        return
    fim = {"prefix": suggestion.prefix_tail, "suffix": suggestion.suffix_head}
    kept = ls.pairs.collect(ls.settings, suggestion.result, language=suggestion.language, uri=suggestion.uri,
                            messages=completion_messages(suggestion.prefix_tail, suggestion.suffix_head,
                                                         suggestion.language),
                            fim=fim, key=suggestion.id)
    if kept:
        ls.stats.count("pairs", kept)


def register(server: SecgenServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions())
    async def inline_completion(ls: SecgenServer, params: types.InlineCompletionParams):
        suggestion = await suggest(ls, params.text_document.uri, params.position)
        if suggestion is None:
            return types.InlineCompletionList(items=[])
        item = types.InlineCompletionItem(insert_text=suggestion.text,
                                          range=types.Range(start=params.position, end=params.position),
                                          command=_accept_command(suggestion))
        return types.InlineCompletionList(items=[item])

    @server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=[]))
    async def completion(ls: SecgenServer, params: types.CompletionParams):
        suggestion = await suggest(ls, params.text_document.uri, params.position)
        if suggestion is None:
            return types.CompletionList(is_incomplete=True, items=[])
        first = next((line.strip() for line in suggestion.text.splitlines() if line.strip()), suggestion.text)
        details = "\n".join(f"- {f.label()}: {f.message}" for f in suggestion.findings)
        item = types.CompletionItem(
            label=first[:80], kind=types.CompletionItemKind.Snippet, detail=_summary(suggestion, ls),
            documentation=types.MarkupContent(kind=types.MarkupKind.Markdown,
                                              value=f"```\n{suggestion.text}\n```\n{details}"),
            insert_text_format=types.InsertTextFormat.PlainText,
            text_edit=types.TextEdit(range=types.Range(start=params.position, end=params.position),
                                     new_text=suggestion.text),
            command=_accept_command(suggestion), sort_text="0", filter_text=first)
        return types.CompletionList(is_incomplete=True, items=[item])

    @server.command(ACCEPT_COMMAND)
    def accepted(ls: SecgenServer, *args):
        from secgen.server.diagnostics import publish, refresh_lines

        suggestion_id = args[0] if args and isinstance(args[0], str) else None
        suggestion = ls.accept(suggestion_id) if suggestion_id else None
        if suggestion is None:
            # Clients like VS Code send the inserted text (didChange, where it is recognised) before the command.
            earlier = ls.accepted.get(suggestion_id) if suggestion_id else None
            if earlier is not None:
                _collect(ls, earlier)
            return {"accepted": True, "findings": len(earlier.findings)} if earlier else {"accepted": False}
        document = ls.document(suggestion.uri)
        if document is not None:
            text = document.source
            if document.version == suggestion.version:
                # The command came first: the residual findings are in the coordinates of the text to come.
                text = text[:suggestion.offset] + suggestion.text + text[suggestion.offset:]
            refresh_lines(ls, suggestion.uri, text)
        publish(ls, suggestion.uri)
        _collect(ls, suggestion)
        ls.notify_status()
        return {"accepted": True, "findings": len(suggestion.findings)}

    @server.feature("secgen/stats")
    def stats(ls: SecgenServer, params=None):
        data = ls.stats.snapshot()
        data["model"] = ls.model_status() | {"ready": ls.backend is not None}
        data["in_flight"] = ls.protocol.in_flight  # requests (and notifications) still running
        workers = ls.registry.workers
        data["analyzer_workers"] = None if workers is None else {"size": workers.size, "broken": workers.broken}
        return data
