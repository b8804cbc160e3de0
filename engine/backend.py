"""The ``Backend`` protocol: what the repair loop needs from a model.

Two calls, both streaming text chunks and both cancellable:

* ``fim(prefix, suffix)``: fill-in-the-middle, for completions at a cursor;
* ``chat(messages)``: instruction following, for ``generate`` and repairs.

Backends are built from a model spec by :func:`open_backend` (one place that
knows every backend), so callers never import a backend module directly:

* a catalog name, a ``.gguf`` path or ``hf:REPO/FILE`` -> llama.cpp in-process;
* a Hugging Face checkpoint folder (``config.json`` inside; ``hf-dir:PATH``)
  -> transformers in-process (torch and transformers are the ``[train]`` extra);
* ``http(s)://HOST[:PORT]`` -> an OpenAI-compatible server;
* ``fake:PATH`` -> the scripted fake used by fast tests.

**Continuing an answer.** When the last chat message is the assistant's, a
backend that can (``continues = True``: llama.cpp, transformers, the fake)
continues that message instead of starting a new turn: the guided re-decode
keeps the lines before a flagged one, and a cut answer is continued rather
than repaired. llama.cpp reuses its KV cache for the shared prefix. An
OpenAI-compatible server has no portable way to do this (``continues = False``),
and the loop skips those steps there. ``GenerationParams.avoid`` names text the
answer should not contain (``shell``, ``md5``): backends that can bias logits
(llama.cpp, transformers) push down the first token of each as code writes it
(:func:`avoided_first_tokens`); others ignore it.

Cancellation is cooperative: a :class:`CancelToken` is checked between
tokens. Backends that own one model serialize requests with a lock, and a
newer request cancels the one in flight (the editor only wants the latest).
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass, field
from typing import Callable, Iterator, Protocol, Sequence, runtime_checkable


class BackendError(RuntimeError):
    """The model could not be loaded or could not answer; the message names the fix."""


class Cancelled(Exception):
    """Generation stopped because its token was cancelled."""


class CancelToken:
    """A thread-safe flag; ``cancel()`` may be called from any thread."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled()


class ModelTurns:
    """Turn-taking on one in-process model: one request at a time, and a newer one interrupts the one in flight.

    ``with turns.claim(cancel) as check:`` cancels the request holding the model, waits for it to let go,
    and yields ``check``, which raises :class:`Cancelled` once this request is interrupted by a newer one or
    ``cancel`` is cancelled; a backend calls it between tokens.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()  # held while a request uses the model
        self._state = threading.Lock()
        self._in_flight: CancelToken | None = None

    def interrupt(self) -> None:
        with self._state:
            if self._in_flight is not None:
                self._in_flight.cancel()

    @contextlib.contextmanager
    def claim(self, cancel: CancelToken | None = None):
        mine = CancelToken()
        with self._state:
            if self._in_flight is not None:
                self._in_flight.cancel()
            self._in_flight = mine
        with self.lock:
            def check():
                if mine.cancelled or (cancel is not None and cancel.cancelled):
                    raise Cancelled()
            check()
            try:
                yield check
            finally:
                with self._state:
                    if self._in_flight is mine:
                        self._in_flight = None


@dataclass(frozen=True, kw_only=True)
class ChatMessage:
    role: str  # "system" | "user" | "assistant"
    content: str


@dataclass(frozen=True, kw_only=True)
class GenerationParams:
    max_tokens: int = 256
    temperature: float = 0.0  # greedy by default, as in the paper
    top_p: float = 1.0
    stop: tuple[str, ...] = ()
    seed: int = 0
    avoid: tuple[str, ...] = ()  # text to steer away from (guided re-decoding); a hint, not a guarantee


@runtime_checkable
class Backend(Protocol):
    name: str
    continues: bool  # continues a final assistant message (see the module docstring)

    def fim(
        self, prefix: str, suffix: str, params: GenerationParams, cancel: CancelToken | None = None
    ) -> Iterator[str]:
        ...

    def chat(
        self, messages: Sequence[ChatMessage], params: GenerationParams, cancel: CancelToken | None = None
    ) -> Iterator[str]:
        ...

    def close(self) -> None:
        ...


@dataclass(kw_only=True)
class Generation:
    """The text of one finished (or cancelled) generation."""

    text: str
    cancelled: bool = False
    chunks: list[str] = field(default_factory=list, repr=False)


AVOID_LEADS = ("", " ", ".", "(")  # how a word starts in code: alone, after a space, a dot (os.system), a "(" ("(debug")


def avoided_first_tokens(avoid: Sequence[str], tokenize: Callable[[str], list[int]],
                         text_of: Callable[[int], str]) -> set[int]:
    """The first token of each avoided word as code writes it (``md5``, `` md5``, ``.md5``, ``(md5``), when that
    token carries at least two characters of the word (``.p`` for ``.popen`` would push down every ``.p...``)."""
    found = set()
    for word in avoid:
        for lead in AVOID_LEADS:
            ids = tokenize(lead + word)
            if ids and len(text_of(ids[0]).lstrip(" .(")) >= 2:
                found.add(ids[0])
    return found


def continues(backend: Backend) -> bool:
    """Whether ``backend`` continues a final assistant message (backends written before this default to no)."""
    return bool(getattr(backend, "continues", False))


def collect(stream: Iterator[str], until: Callable[[str], bool] | None = None) -> Generation:
    """Drain a backend stream; a cancellation keeps what had arrived.

    ``until`` ends generation early once the text so far satisfies it (closing
    the stream stops the model).
    """
    chunks: list[str] = []
    try:
        for chunk in stream:
            chunks.append(chunk)
            if until is not None and until("".join(chunks)):
                break
    except Cancelled:
        return Generation(text="".join(chunks), cancelled=True, chunks=chunks)
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()
    return Generation(text="".join(chunks), chunks=chunks)


def open_backend(spec: str | None = None, **options) -> Backend:
    """Build the backend a model spec names; raise :class:`BackendError` with the fix."""
    from secgen.engine.catalog import ModelError, resolve_spec

    try:
        model = resolve_spec(spec)
    except ModelError as exc:
        raise BackendError(str(exc)) from None
    if model.kind == "fake":
        from secgen.engine.fake import ScriptedBackend

        return ScriptedBackend.from_file(model.path)
    if model.kind == "openai":
        from secgen.engine.openai_http import OpenAIBackend

        return OpenAIBackend(model.url, **options)
    if model.kind == "transformers":
        from secgen.engine.transformers_backend import TransformersBackend

        return TransformersBackend(model.path, **options)
    from secgen.engine.llama import LlamaBackend

    return LlamaBackend.from_spec(model, **options)
