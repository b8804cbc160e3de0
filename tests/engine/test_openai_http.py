"""The OpenAI-compatible HTTP backend, over real sockets on loopback.

Two kinds of server, neither a mock of the transport:

* a small stdlib ``http.server`` stub that answers what a test scripts (errors,
  malformed events, stalls) and records every request it got;
* the real thing (``model`` tests): ``secgen model serve`` running llama-cpp-
  python's server app on the default model in a subprocess, whose answers must
  match the in-process llama.cpp backend's.
"""

from __future__ import annotations

import json
import logging
import socket
import subprocess
import sys
import threading
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from secgen.engine.backend import BackendError, CancelToken, ChatMessage, GenerationParams, collect, open_backend
from secgen.engine.openai_http import OpenAIBackend
from secgen.engine.prompts import FIM_STOPS, fim_prompt

PARAMS = GenerationParams(max_tokens=16)
HELLO = [ChatMessage(role="user", content="Say hello.")]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- the stub ------------------------------------------------------------------------


def completion_event(text: str) -> dict:
    return {"object": "text_completion", "choices": [{"index": 0, "text": text, "finish_reason": None}]}


def chat_event(delta: dict) -> dict:
    return {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}


class StubServer:
    """An HTTP server on loopback; ``reply(handler)`` writes the answer to each POST."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.reply = self.events([])
        self.release = threading.Event()  # lets a stalled answer finish
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                stub.requests.append({"path": self.path, "headers": dict(self.headers), "body": json.loads(body)})
                stub.reply(self)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}"

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)

    @staticmethod
    def _start_stream(handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.end_headers()

    def events(self, events: list, *, done: bool = True, stall: bool = False):
        """Answer with server-sent events (dicts are JSON-encoded, strings sent as they are)."""
        def reply(handler):
            self._start_stream(handler)
            for event in events:
                data = event if isinstance(event, str) else json.dumps(event)
                handler.wfile.write(f"data: {data}\n\n".encode())
                handler.wfile.flush()
            if stall:
                self.release.wait(timeout=30)
                return
            if done:
                handler.wfile.write(b"data: [DONE]\n\n")
        return reply

    @staticmethod
    def error(status: int, text: str, content_type: str = "text/plain"):
        def reply(handler):
            handler.send_response(status)
            handler.send_header("Content-Type", content_type)
            handler.end_headers()
            handler.wfile.write(text.encode())
        return reply

    def silent(self, handler) -> None:
        """Take the request and answer nothing (until the test ends)."""
        self.release.wait(timeout=30)


@pytest.fixture
def stub():
    server = StubServer()
    yield server
    server.close()


# -- against the stub ----------------------------------------------------------------


def test_fim_posts_the_fim_prompt_and_streams_the_text(stub):
    stub.reply = stub.events([completion_event("return"), completion_event(" a + b"), {"choices": []}])
    backend = OpenAIBackend(stub.url)
    params = GenerationParams(max_tokens=16, stop=("\n\n",))
    generation = collect(backend.fim("def add(a, b):\n    ", "\n", params))
    assert generation.chunks == ["return", " a + b"] and not generation.cancelled
    (request,) = stub.requests
    assert request["path"] == "/v1/completions"
    body = request["body"]
    assert body["prompt"] == fim_prompt("def add(a, b):\n    ", "\n")
    assert body["stream"] is True and body["max_tokens"] == 16 and body["temperature"] == 0.0
    assert body["stop"] == ["\n\n"]
    assert body["repeat_penalty"] == 1.0  # llama.cpp servers default to 1.1, which changes greedy output


def test_chat_posts_the_messages_and_streams_the_content(stub):
    stub.reply = stub.events([chat_event({"role": "assistant"}), chat_event({"content": "Hel"}),
                              chat_event({"content": "lo"}), chat_event({})])
    generation = collect(OpenAIBackend(stub.url).chat(HELLO, PARAMS))
    assert generation.chunks == ["Hel", "lo"]
    (request,) = stub.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["body"]["messages"] == [{"role": "user", "content": "Say hello."}]


@pytest.mark.parametrize("suffix", ["", "/", "/v1", "/v1/"])
def test_the_base_url_may_end_in_v1(stub, suffix):
    stub.reply = stub.events([completion_event("x")])
    backend = OpenAIBackend(stub.url + suffix)
    assert backend.name == f"openai:{stub.url}"
    assert collect(backend.fim("a", "b", PARAMS)).text == "x"
    assert stub.requests[0]["path"] == "/v1/completions"


def test_open_backend_builds_it_from_a_url(stub):
    stub.reply = stub.events([completion_event("x")])
    backend = open_backend(stub.url + "/v1")
    assert isinstance(backend, OpenAIBackend)
    assert collect(backend.fim("a", "b", PARAMS)).text == "x"


def test_the_api_key_is_sent_when_set(stub, monkeypatch):
    monkeypatch.delenv("SECGEN_OPENAI_API_KEY", raising=False)
    stub.reply = stub.events([completion_event("x")])
    collect(OpenAIBackend(stub.url).fim("a", "b", PARAMS))
    collect(OpenAIBackend(stub.url, api_key="sk-given").fim("a", "b", PARAMS))
    monkeypatch.setenv("SECGEN_OPENAI_API_KEY", "sk-from-env")
    collect(OpenAIBackend(stub.url).chat(HELLO, PARAMS))
    auth = [request["headers"].get("Authorization") for request in stub.requests]
    assert auth == [None, "Bearer sk-given", "Bearer sk-from-env"]


def test_connection_refused_names_the_url_and_the_fix():
    url = f"http://127.0.0.1:{_free_port()}"
    with pytest.raises(BackendError, match="is it running") as excinfo:
        collect(OpenAIBackend(url).fim("a", "b", PARAMS))
    assert url in str(excinfo.value)


def test_an_http_error_names_the_status_and_the_detail(stub):
    stub.reply = stub.error(500, "model exploded")
    with pytest.raises(BackendError, match="HTTP 500") as excinfo:
        collect(OpenAIBackend(stub.url).chat(HELLO, PARAMS))
    assert "model exploded" in str(excinfo.value)
    assert f"{stub.url}/v1/chat/completions" in str(excinfo.value)


def test_a_malformed_event_is_a_backend_error(stub):
    stub.reply = stub.events([completion_event("ok"), "{not json"])
    stream = OpenAIBackend(stub.url).fim("a", "b", PARAMS)
    assert next(stream) == "ok"
    with pytest.raises(BackendError, match="malformed event"):
        next(stream)


def test_an_error_event_is_a_backend_error(stub):
    stub.reply = stub.events([{"error": {"message": "context overflow"}}])
    with pytest.raises(BackendError, match="context overflow"):
        collect(OpenAIBackend(stub.url).fim("a", "b", PARAMS))


def test_a_stream_that_stalls_past_the_timeout_is_a_backend_error(stub):
    stub.reply = stub.events([completion_event("partial")], stall=True)
    stream = OpenAIBackend(stub.url, timeout_s=0.5).fim("a", "b", PARAMS)
    assert next(stream) == "partial"
    with pytest.raises(BackendError, match="timed out"):
        next(stream)


TRACEBACK = ("Traceback (most recent call last):\n  File \"/srv/app.py\", line 12, in handle\n"
             "    generate()\nRuntimeError: CUDA out of memory\n")
NGINX_502 = ("<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
             "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")


@pytest.mark.parametrize("status, body, content_type, gist", [
    (500, TRACEBACK, "text/plain", "RuntimeError: CUDA out of memory"),
    (502, NGINX_502, "text/html", "502 Bad Gateway"),
    (400, json.dumps({"error": {"message": "prompt is\ntoo long", "type": "invalid_request_error"}}),
     "application/json", "prompt is too long"),
    (503, "", "text/plain", "HTTP 503"),
])
def test_an_error_answer_becomes_one_line_with_its_gist(stub, status, body, content_type, gist):
    stub.reply = stub.error(status, body, content_type)
    with pytest.raises(BackendError) as excinfo:
        collect(OpenAIBackend(stub.url).fim("a", "b", PARAMS))
    message = str(excinfo.value)
    assert f"HTTP {status}" in message and gist in message
    assert "\n" not in message and "Traceback" not in message and "<" not in message


def test_an_answer_that_is_not_an_event_stream_is_a_backend_error(stub):
    stub.reply = stub.error(200, "<<garbled>> {not: json", "application/json")
    with pytest.raises(BackendError, match="without an event stream"):
        collect(OpenAIBackend(stub.url).fim("a", "b", PARAMS))


@pytest.mark.parametrize("event", ["[1, 2]", '"text"', '{"choices": "abc"}', '{"choices": [7]}'])
def test_an_event_of_another_shape_is_a_backend_error(stub, event):
    stub.reply = stub.events([event])
    with pytest.raises(BackendError, match="sent an (unexpected event|event that is not an object)"):
        collect(OpenAIBackend(stub.url).fim("a", "b", PARAMS))
    with pytest.raises(BackendError, match="sent an (unexpected event|event that is not an object)"):
        collect(OpenAIBackend(stub.url).chat(HELLO, PARAMS))


def test_a_server_that_never_answers_is_a_backend_error_after_the_timeout(stub):
    stub.reply = stub.silent
    with pytest.raises(BackendError, match="did not answer within 0.5 s"):
        collect(OpenAIBackend(stub.url, timeout_s=0.5).fim("a", "b", PARAMS))


def test_the_timeout_comes_from_the_environment(stub, monkeypatch):
    monkeypatch.setenv("SECGEN_OPENAI_TIMEOUT_S", "0.5")
    backend = open_backend(stub.url)
    assert backend.timeout_s == 0.5
    stub.reply = stub.silent
    with pytest.raises(BackendError, match="did not answer within 0.5 s"):
        collect(backend.chat(HELLO, PARAMS))
    assert OpenAIBackend(stub.url, timeout_s=3).timeout_s == 3  # an explicit value wins
    monkeypatch.delenv("SECGEN_OPENAI_TIMEOUT_S")
    assert OpenAIBackend(stub.url).timeout_s == 120.0


@pytest.mark.parametrize("value", ["soon", "0", "-1", "nan", "inf"])
def test_an_invalid_timeout_in_the_environment_is_named(monkeypatch, value):
    monkeypatch.setenv("SECGEN_OPENAI_TIMEOUT_S", value)
    with pytest.raises(BackendError, match=f"SECGEN_OPENAI_TIMEOUT_S must be a positive number of seconds, not '{value}'"):
        open_backend("http://127.0.0.1:9")


# -- where prompts go ----------------------------------------------------------------


@pytest.fixture
def redirected(stub, monkeypatch):
    """Every request goes to the stub, whatever host its URL names: no packet leaves this machine."""
    real_urlopen = urllib.request.urlopen
    seen: list[str] = []

    def urlopen(request, *args, **kwargs):
        seen.append(request.full_url)
        parts = urllib.parse.urlsplit(request.full_url)
        request.full_url = stub.url + parts.path
        return real_urlopen(request, *args, **kwargs)

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    stub.reply = stub.events([completion_event("x"), chat_event({"content": "y"})])
    return seen


NOTICE = "prompts and code are sent to"


@pytest.mark.parametrize("url", ["http://192.0.2.7:8000", "https://models.example.com/v1",
                                 "http://[2001:db8::1]:8080", "http://10.1.2.3:8000/"])
def test_a_remote_server_is_named_once_per_backend(redirected, caplog, url):
    backend = OpenAIBackend(url)
    with caplog.at_level(logging.WARNING, logger="secgen.engine.openai_http"):
        for _ in range(2):
            collect(backend.fim("a", "b", PARAMS))
            collect(backend.chat(HELLO, PARAMS))
    assert len(redirected) == 4 and all(seen.startswith(backend.base_url) for seen in redirected)
    notices = [r for r in caplog.records if NOTICE in r.getMessage()]
    assert len(notices) == 1
    assert notices[0].levelno == logging.WARNING
    assert notices[0].getMessage() == f"{NOTICE} {backend.base_url} (not this machine)"


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000", "http://127.20.30.40:8000", "http://localhost:8000/v1",
                                 "http://LOCALHOST:8000", "http://[::1]:8000", "http://[::ffff:127.0.0.1]:8000"])
def test_a_server_on_this_machine_is_never_named(redirected, caplog, url):
    backend = OpenAIBackend(url)
    with caplog.at_level(logging.DEBUG, logger="secgen.engine.openai_http"):
        collect(backend.fim("a", "b", PARAMS))
        collect(backend.chat(HELLO, PARAMS))
    assert len(redirected) == 2
    assert not [r for r in caplog.records if NOTICE in r.getMessage()]


def test_cancelling_stops_the_stream_and_keeps_what_arrived(stub):
    stub.reply = stub.events([completion_event(t) for t in ("one", "two", "three")], stall=True)
    token = CancelToken()

    def cancel_after_first(stream):
        for chunk in stream:
            yield chunk
            token.cancel()

    generation = collect(cancel_after_first(OpenAIBackend(stub.url).fim("a", "b", PARAMS, token)))
    assert generation.cancelled and generation.chunks == ["one"]


# -- against a real llama.cpp server --------------------------------------------------


@pytest.mark.model
def test_real_server_fim_streams_a_function_body(model_server):
    params = GenerationParams(max_tokens=16, stop=FIM_STOPS)
    generation = collect(OpenAIBackend(model_server).fim("def add(a, b):\n    ", "\n", params))
    assert len(generation.chunks) > 1
    assert "return" in generation.text


@pytest.mark.model
def test_real_server_chat_streams_text(model_server):
    generation = collect(OpenAIBackend(model_server + "/v1").chat(HELLO, GenerationParams(max_tokens=16)))
    assert len(generation.chunks) > 1
    assert generation.text.strip()


@pytest.mark.model
def test_real_server_fim_matches_the_in_process_backend(model_server, llama_backend):
    """Greedy decoding of the same model gives the same text over HTTP and in-process."""
    prefix = "import os\n\ndef read_config(path):\n    "
    params = GenerationParams(max_tokens=32, stop=FIM_STOPS)
    over_http = collect(OpenAIBackend(model_server).fim(prefix, "\n", params)).text
    in_process = collect(llama_backend.fim(prefix, "\n", params)).text
    assert over_http and over_http == in_process


@pytest.mark.model
def test_real_server_serves_the_next_request_after_a_cancel(model_server):
    backend = OpenAIBackend(model_server)
    token = CancelToken()

    def cancel_after_first(stream):
        for chunk in stream:
            yield chunk
            token.cancel()

    cancelled = collect(cancel_after_first(backend.chat(HELLO, GenerationParams(max_tokens=32), token)))
    assert cancelled.cancelled and len(cancelled.chunks) == 1
    after = collect(backend.fim("def add(a, b):\n    ", "\n", GenerationParams(max_tokens=8, stop=FIM_STOPS)))
    assert "return" in after.text


def test_serving_a_corrupt_model_is_one_line_and_exit_status_2(tmp_path):
    path = tmp_path / "broken.gguf"
    path.write_bytes(b"GGUF\x03\x00\x00\x00" + bytes(range(256)) * 64)
    result = subprocess.run([sys.executable, "-m", "secgen", "model", "serve", str(path), "--port", str(_free_port())],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"cannot load model {path}" in result.stderr


def test_only_http_urls_are_accepted():
    import pytest as _pytest

    from secgen.engine.backend import BackendError
    from secgen.engine.openai_http import OpenAIBackend

    with _pytest.raises(BackendError, match="must start with http:// or https://"):
        OpenAIBackend("file:///etc/passwd")
