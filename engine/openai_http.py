"""A backend for any OpenAI-compatible HTTP server (llama.cpp's server, vLLM, ...).

A team runs one model server and points every secgen at it with a model spec
``http://HOST:PORT`` (or ``https://``). Fill-in-the-middle goes to
``/v1/completions`` with Qwen's FIM prompt as text (servers parse the special
tokens), chat to ``/v1/chat/completions``; both stream server-sent events.
Cancelling closes the connection, which stops generation on servers that
notice (llama.cpp's and vLLM's do).

Only the standard library is used. Two environment variables tune it:

* ``SECGEN_OPENAI_API_KEY``: the API key, when a server wants one;
* ``SECGEN_OPENAI_TIMEOUT_S``: seconds to wait for the server to connect, to
  answer, or to send the next piece of a stream (default 120). A server that
  stays silent longer fails the request instead of freezing the feature.

The model name sent is ``model`` (most single-model servers ignore it).

Every way a server can fail (refused connection, HTTP error, an answer that is
not an event stream, a malformed or unexpected event, a stall past the
timeout) is a :class:`BackendError` whose message is one line, fit to show a
user: an error page or a server's traceback is reduced to its gist.

Prompts hold the user's code. When the server is not on this machine (its
host is not ``localhost`` or a loopback address; names are not resolved), the
first request of each backend logs a warning that names where they go.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import json
import logging
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from typing import Iterator, Sequence

from secgen.engine.backend import BackendError, CancelToken, ChatMessage, GenerationParams
from secgen.engine.prompts import fim_prompt

log = logging.getLogger(__name__)

TIMEOUT_ENV = "SECGEN_OPENAI_TIMEOUT_S"
DEFAULT_TIMEOUT_S = 120.0
DETAIL_CHARS = 200  # of a server's error text, in a message


class OpenAIBackend:
    continues = False  # servers differ on continuing a final assistant message; the loop skips those steps

    def __init__(self, base_url: str, *, model: str = "default", timeout_s: float | None = None,
                 api_key: str | None = None, **_ignored) -> None:
        self.base_url = base_url.rstrip("/")
        if not self.base_url.lower().startswith(("http://", "https://")):
            raise BackendError(f"model server URL must start with http:// or https://, not {base_url!r}")
        if self.base_url.endswith("/v1"):
            self.base_url = self.base_url[:-3]
        self.name = f"openai:{self.base_url}"
        self.model = model
        self.timeout_s = timeout_s if timeout_s is not None else _timeout_from_env()
        self.api_key = api_key or os.environ.get("SECGEN_OPENAI_API_KEY")
        self.remote = not is_loopback(urllib.parse.urlsplit(self.base_url).hostname or "")
        self._remote_noted = False

    def _post_stream(self, path: str, body: dict, cancel: CancelToken | None) -> Iterator[dict]:
        response = self._open(path, body)
        with contextlib.closing(response):
            events = 0
            for raw in self._lines(response, path):
                if cancel is not None:
                    cancel.raise_if_cancelled()
                line = raw.decode("utf-8", "replace").strip()
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    return
                events += 1
                try:
                    event = json.loads(data)
                except ValueError:
                    raise BackendError(f"{self.base_url}{path} sent a malformed event: "
                                       f"{data[:DETAIL_CHARS]}") from None
                if not isinstance(event, dict):
                    raise BackendError(f"{self.base_url}{path} sent an event that is not an object: "
                                       f"{data[:DETAIL_CHARS]}")
                if "error" in event:
                    raise BackendError(f"{self.base_url}{path} reported an error: {_message_of(event['error'])}")
                yield event
            if not events:
                raise BackendError(f"{self.base_url}{path} answered without an event stream; "
                                   f"is it an OpenAI-compatible server?")

    def _open(self, path: str, body: dict):
        """POST ``body`` to ``path``; the streaming response, or a ``BackendError`` that says why not."""
        headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(self.base_url + path, data=json.dumps(body).encode(), headers=headers)
        if self.remote and not self._remote_noted:
            self._remote_noted = True
            log.warning("prompts and code are sent to %s (not this machine)", self.base_url)
        try:
            # The scheme was checked to be http(s) in __init__, hence the nosec.
            return urllib.request.urlopen(request, timeout=self.timeout_s)  # nosec B310
        except urllib.error.HTTPError as exc:
            body = b""
            with contextlib.suppress(OSError, http.client.HTTPException):
                body = exc.read(4000)
            detail = _error_detail(body)
            raise BackendError(f"{self.base_url}{path} answered HTTP {exc.code}"
                               f"{f': {detail}' if detail else ''}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, TimeoutError):
                raise BackendError(f"the model server at {self.base_url} did not answer within "
                                   f"{self.timeout_s:g} s") from None
            raise BackendError(f"cannot reach the model server at {self.base_url} ({reason}); "
                               f"is it running?") from None
        except http.client.HTTPException as exc:  # a status line or headers that are not HTTP
            raise BackendError(f"the model server at {self.base_url} did not answer in HTTP "
                               f"({type(exc).__name__}); is the URL right?") from None

    def _lines(self, response, path: str) -> Iterator[bytes]:
        """The response's lines; a stall past the timeout or a dropped connection is a ``BackendError``."""
        try:
            yield from response
        except (OSError, http.client.HTTPException) as exc:
            why = f"timed out after {self.timeout_s:g} s" if isinstance(exc, TimeoutError) else \
                str(exc) or type(exc).__name__
            raise BackendError(f"{self.base_url}{path} stopped answering mid-stream ({why})") from None

    def _body(self, params: GenerationParams) -> dict:
        body = {"model": self.model, "max_tokens": params.max_tokens, "temperature": params.temperature,
                "top_p": params.top_p, "seed": params.seed, "stream": True}
        if params.stop:
            body["stop"] = list(params.stop)[:4] if self._is_openai else list(params.stop)
        if not self._is_openai:
            # llama.cpp's servers apply a repeat penalty (1.1) unless told otherwise, which
            # changes greedy output: without this the same model answers differently over HTTP
            # than in-process. OpenAI's own API rejects the unknown field.
            body["repeat_penalty"] = 1.0
        return body

    @property
    def _is_openai(self) -> bool:
        return "api.openai.com" in self.base_url

    def _choice(self, event: dict, path: str) -> dict:
        """The event's first choice ({} when it has none); an event of another shape is a ``BackendError``."""
        choices = event.get("choices") or [{}]
        if not isinstance(choices, list) or not isinstance(choices[0], dict):
            raise BackendError(f"{self.base_url}{path} sent an unexpected event: {json.dumps(event)[:DETAIL_CHARS]}")
        return choices[0]

    def fim(self, prefix: str, suffix: str, params: GenerationParams,
            cancel: CancelToken | None = None) -> Iterator[str]:
        path = "/v1/completions"
        body = self._body(params) | {"prompt": fim_prompt(prefix, suffix)}
        for event in self._post_stream(path, body, cancel):
            text = self._choice(event, path).get("text")
            if text:
                yield str(text)

    def chat(self, messages: Sequence[ChatMessage], params: GenerationParams,
             cancel: CancelToken | None = None) -> Iterator[str]:
        path = "/v1/chat/completions"
        body = self._body(params) | {"messages": [{"role": m.role, "content": m.content} for m in messages]}
        for event in self._post_stream(path, body, cancel):
            delta = self._choice(event, path).get("delta") or {}
            text = delta.get("content") if isinstance(delta, dict) else None
            if text:
                yield str(text)

    def close(self) -> None:
        pass


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a URL's hostname) is this machine: ``localhost`` or a loopback address."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False  # a name: it is not resolved here, so it counts as elsewhere
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or (mapped is not None and mapped.is_loopback)


def _timeout_from_env() -> float:
    raw = os.environ.get(TIMEOUT_ENV, "").strip()
    if not raw:
        return DEFAULT_TIMEOUT_S
    try:
        seconds = float(raw)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds < float("inf"):
        raise BackendError(f"{TIMEOUT_ENV} must be a positive number of seconds, not {raw!r}")
    return seconds


def _message_of(error) -> str:
    """An error object's message (OpenAI's ``{"message": ...}`` or a string), on one line."""
    if isinstance(error, dict) and error.get("message"):
        error = error["message"]
    text = error if isinstance(error, str) else json.dumps(error)
    return " ".join(text.split())[:DETAIL_CHARS]


def _error_detail(body: bytes) -> str:
    """The gist of an error response's body, on one line.

    An OpenAI-style JSON error gives its message. Otherwise the body's first
    non-blank line with any HTML tags removed, except that a Python traceback
    gives its last line (the exception), never the frames.
    """
    text = body.decode("utf-8", "replace")
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict) and data.get("error"):
        return _message_of(data["error"])
    lines = [line.strip() for line in re.sub(r"<[^>]*>", " ", text).splitlines() if line.strip()]
    if not lines:
        return ""
    line = lines[-1] if lines[0].startswith("Traceback (most recent call last)") else lines[0]
    return " ".join(line.split())[:DETAIL_CHARS]
