"""A backend for any OpenAI-compatible HTTP server (llama.cpp's server, vLLM, ...).

A team runs one model server and points every secgen at it with a model spec
``http://HOST:PORT`` (or ``https://``). Fill-in-the-middle goes to
``/v1/completions`` with Qwen's FIM prompt as text (servers parse the special
tokens), chat to ``/v1/chat/completions``; both stream server-sent events.
Cancelling closes the connection, which stops generation on servers that
notice (llama.cpp's and vLLM's do).

Only the standard library is used. The API key, when a server wants one,
comes from ``SECGEN_OPENAI_API_KEY``; the model name sent is ``model`` (most
single-model servers ignore it).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import urllib.error
import urllib.request
from typing import Iterator, Sequence

from secgen.engine.backend import BackendError, CancelToken, ChatMessage, GenerationParams
from secgen.engine.prompts import fim_prompt


class OpenAIBackend:
    def __init__(self, base_url: str, *, model: str = "default", timeout_s: float = 120.0,
                 api_key: str | None = None, **_ignored) -> None:
        self.base_url = base_url.rstrip("/")
        if not self.base_url.lower().startswith(("http://", "https://")):
            raise BackendError(f"model server URL must start with http:// or https://, not {base_url!r}")
        if self.base_url.endswith("/v1"):
            self.base_url = self.base_url[:-3]
        self.name = f"openai:{self.base_url}"
        self.model = model
        self.timeout_s = timeout_s
        self.api_key = api_key or os.environ.get("SECGEN_OPENAI_API_KEY")

    def _post_stream(self, path: str, body: dict, cancel: CancelToken | None) -> Iterator[dict]:
        headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(self.base_url + path, data=json.dumps(body).encode(), headers=headers)
        try:
            # The scheme was checked to be http(s) in __init__, hence the nosec.
            response = urllib.request.urlopen(request, timeout=self.timeout_s)  # nosec B310
        except urllib.error.HTTPError as exc:
            detail = exc.read(500).decode("utf-8", "replace")
            raise BackendError(f"{self.base_url}{path} answered HTTP {exc.code}: {detail}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise BackendError(f"cannot reach the model server at {self.base_url}: {exc}; is it running?") from None
        with contextlib.closing(response):
            for raw in self._lines(response, path):
                if cancel is not None:
                    cancel.raise_if_cancelled()
                line = raw.decode("utf-8", "replace").strip()
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    return
                try:
                    event = json.loads(data)
                except ValueError:
                    raise BackendError(f"{self.base_url}{path} sent a malformed event: {data[:200]}") from None
                if "error" in event:
                    raise BackendError(f"{self.base_url}{path} reported an error: {event['error']}")
                yield event

    def _lines(self, response, path: str) -> Iterator[bytes]:
        """The response's lines; a stall past the timeout or a dropped connection is a ``BackendError``."""
        try:
            yield from response
        except (OSError, http.client.HTTPException) as exc:
            raise BackendError(f"{self.base_url}{path} stopped answering mid-stream: "
                               f"{exc or type(exc).__name__}") from None

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

    def fim(self, prefix: str, suffix: str, params: GenerationParams,
            cancel: CancelToken | None = None) -> Iterator[str]:
        body = self._body(params) | {"prompt": fim_prompt(prefix, suffix)}
        for event in self._post_stream("/v1/completions", body, cancel):
            choices = event.get("choices") or [{}]
            text = choices[0].get("text")
            if text:
                yield text

    def chat(self, messages: Sequence[ChatMessage], params: GenerationParams,
             cancel: CancelToken | None = None) -> Iterator[str]:
        body = self._body(params) | {"messages": [{"role": m.role, "content": m.content} for m in messages]}
        for event in self._post_stream("/v1/chat/completions", body, cancel):
            choices = event.get("choices") or [{}]
            text = (choices[0].get("delta") or {}).get("content")
            if text:
                yield text

    def close(self) -> None:
        pass
