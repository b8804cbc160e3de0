"""What the fuzzer sends: hypothesis strategies for one step of an LSP session, and what each step expects.

A step is the bytes of one message (or of a broken one) and, for every
request id in it, what the server owes: exactly one response (a result or
any error, or one of a few named errors), or none at all when the request
never reached the server as a request (its frame was broken, its body not
UTF-8). The server's rules are those of ``secgen.server.protocol`` and
``secgen.server.framing``.

Steps keep a model of the client's open documents, so that edits and
positions are mostly in range and sometimes not: the server must survive both.
Kinds, by family in :data:`FAMILIES`: document traffic (open, full and
incremental changes with versions that may go backwards, save, close and
double close, edits to documents never opened), requests (inline and plain
completions, code actions and their resolve, commands, ``secgen/stats``,
methods the server does not serve, cancellations of known and unknown ids),
and malformed input (wrong param types, broken envelopes, bodies that are not
JSON or not objects or not UTF-8, lying or missing ``Content-Length``, garbage
between frames, unusual but valid headers, stray responses, deep nesting,
huge documents).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from hypothesis import strategies as st

from tests.fuzz.driver import encode, frame

RESULT = 0  # in Expect.codes: a result, not an error
INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS = -32600, -32601, -32602
PIECES = ["\n", "\r\n", "\r", "\u2028", "\x0c", "\x85", "\x00", "\t", "😀", "👩‍💻", "é", "\ud800", "\udfff",
          "\ufeff", "    ", "def f(x):\n    return eval(x)\n", "import pickle\n", "# TODO: read a file\n",
          "os.system(cmd)\n"]
URIS = [f"file:///fuzz/doc{i}.py" for i in range(6)] + ["file:///fuzz/with%20space.py", "untitled:Untitled-1"]
LANGUAGES = ["python", "python", "python", "c", "javascript", "plaintext", ""]
UNSERVED = ["textDocument/hover", "textDocument/definition", "textDocument/formatting", "workspace/symbol",
            "textDocument/semanticTokens/full", "completionItem/resolve", "workspace/configuration"]
COMMANDS = ["secgen.accepted", "secgen.generate", "secgen.nonexistent"]
FAMILIES = {  # a step draws a family, then a kind in it (a kind listed twice is drawn twice as often)
    "documents": ["open", "open", "change_full", "change_edit", "change_edit", "change_edit", "close", "save", "huge"],
    "requests": ["inline", "inline", "completion", "code_action", "code_action", "resolve", "command", "stats",
                 "unserved", "unknown_method", "cancel", "cancel"],
    "malformed": ["wrong_params", "wrong_params", "bad_envelope", "not_json", "not_object", "bad_utf8",
                  "lying_length", "lying_length", "missing_length", "garbage", "header_variant", "stray_response",
                  "deep"],
}
MODEL_CHARS = 100_000  # the client keeps a copy of smaller documents only, to aim its positions
_HEADER_LIKE = re.compile(rb"content-length", re.IGNORECASE)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**63, 2**63) | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12)
texts = st.lists(st.one_of(st.text(max_size=20), st.sampled_from(PIECES),
                           st.binary(max_size=30).map(lambda b: b.decode("latin-1"))), max_size=20).map("".join)
not_header = st.binary(min_size=1, max_size=200).filter(lambda b: not _HEADER_LIKE.search(b))


@dataclass(frozen=True, kw_only=True)
class Expect:
    """What the server owes a request id: one response (with a code in ``codes``, when named), or none."""

    msg_id: object
    method: str
    answered: bool = True
    codes: frozenset[int] | None = None  # None: any result or error


@dataclass(frozen=True, kw_only=True)
class Step:
    kind: str
    data: bytes
    expect: tuple[Expect, ...] = ()


@dataclass
class Client:
    """The fuzzing client's side of the session: its open documents and the ids it has used."""

    documents: dict[str, tuple[int, str]] = field(default_factory=dict)  # uri -> (version, text)
    recent: list = field(default_factory=list)  # ids of requests sent lately, for cancellations
    next_id: int = 0

    def new_id(self, data) -> object:
        self.next_id += 1
        # ints far from the floats and booleans that bad envelopes use as ids
        msg_id = 1_000_000 + self.next_id if data.draw(st.booleans()) else f"f{self.next_id}"
        self.recent = (self.recent + [msg_id])[-8:]
        return msg_id


def lsp_lines(text: str) -> list[str]:
    return re.split(r"\r\n|\r|\n", text)


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


# Hypothesis replays a choice sequence and checks that it draws the same way each time, so what a step draws
# may not depend on the session: it draws "which line, which column" as numbers, and the client's documents
# turn them into positions (in range, at a line's end, past the last line, or far out).
position_choices = st.tuples(st.sampled_from(["in", "in", "in", "edge", "past", "far"]),
                             st.integers(0, 2**16), st.integers(0, 2**16))
range_choices = st.tuples(position_choices, position_choices, st.integers(0, 9).map(lambda n: n == 0))
uri_choices = st.integers(0, 99)
recent_choices = st.integers(0, 7)


def position(choice, text: str | None) -> dict:
    mode, a, b = choice
    lines = lsp_lines(text or "")
    if mode == "far":
        return {"line": 2**31 - 1 if a % 2 else a, "character": (b * 32771) % 2**31}
    if mode == "past":
        return {"line": len(lines) + a % 5, "character": b % 10}
    line = a % len(lines)
    width = utf16(lines[line])
    return {"line": line, "character": width + b % 3 if mode == "edge" else b % (width + 1)}


def text_range(choice, text: str | None) -> dict:
    start, end, backwards = choice
    start, end = position(start, text), position(end, text)
    return {"start": end, "end": start} if backwards else {"start": start, "end": end}


def message(method: str, params=None, msg_id=None) -> dict:
    body = {"jsonrpc": "2.0", "method": method}
    if msg_id is not None:
        body["id"] = msg_id
    if params is not None:
        body["params"] = params
    return body


def draw_step(data, client: Client, *, huge_bytes: int) -> Step:
    family = data.draw(st.sampled_from(["documents", "requests", "malformed", "malformed"]), label="family")
    kind = data.draw(st.sampled_from(FAMILIES[family]), label="kind")
    return MAKERS[kind](data, client, kind=kind, huge_bytes=huge_bytes)


def _uri(data, client: Client) -> str:
    """Mostly an open document; else any of URIS, open or not."""
    pick = data.draw(uri_choices)
    known = sorted(client.documents)
    return known[pick % len(known)] if known and pick < 70 else URIS[pick % len(URIS)]


def _recent(data, client: Client):
    """An id the client sent lately (or 0)."""
    pick = data.draw(recent_choices)
    return client.recent[pick % len(client.recent)] if client.recent else 0


def _notify(kind: str, method: str, params) -> Step:
    return Step(kind=kind, data=frame(encode(message(method, params))))


def _request(data, client, kind, method, params, *, codes=None) -> Step:
    msg_id = client.new_id(data)
    return Step(kind=kind, data=frame(encode(message(method, params, msg_id))),
                expect=(Expect(msg_id=msg_id, method=method, codes=codes),))


def open_document(data, client, *, kind, huge_bytes, text=None):
    uri = data.draw(st.sampled_from(URIS))
    text = data.draw(texts) if text is None else text
    version = data.draw(st.integers(-5, 50))
    client.documents[uri] = (version, text if len(text) <= MODEL_CHARS else "")
    return _notify(kind, "textDocument/didOpen", {"textDocument": {
        "uri": uri, "languageId": data.draw(st.sampled_from(LANGUAGES)), "version": version, "text": text}})


def change_full(data, client, *, kind, huge_bytes):
    uri = _uri(data, client)
    version = client.documents.get(uri, (0, ""))[0] + data.draw(st.sampled_from([1, 1, 0, -3]))
    text = data.draw(texts)
    if uri in client.documents:
        client.documents[uri] = (version, text)
    return _notify(kind, "textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                                     "contentChanges": [{"text": text}]})


def change_edit(data, client, *, kind, huge_bytes):
    uri = _uri(data, client)
    version, text = client.documents.get(uri, (0, ""))
    edits = [{"range": text_range(r, text), "text": t}
             for r, t in data.draw(st.lists(st.tuples(range_choices, texts), min_size=1, max_size=3))]
    version += data.draw(st.sampled_from([1, 1, 1, 0, -2]))
    if uri in client.documents:
        client.documents[uri] = (version, apply_edits(text, edits))
    return _notify(kind, "textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                                     "contentChanges": edits})


def close(data, client, *, kind, huge_bytes):
    uri = _uri(data, client)
    client.documents.pop(uri, None)  # a second close of it is a double close
    return _notify(kind, "textDocument/didClose", {"textDocument": {"uri": uri}})


def save(data, client, *, kind, huge_bytes):
    return _notify(kind, "textDocument/didSave", {"textDocument": {"uri": _uri(data, client)}})


def completion(data, client, *, kind, huge_bytes):
    uri = _uri(data, client)
    at = position(data.draw(position_choices), client.documents.get(uri, (0, ""))[1])
    if kind == "inline":
        trigger = data.draw(st.sampled_from([1, 2]))
        return _request(data, client, kind, "textDocument/inlineCompletion", {
            "textDocument": {"uri": uri}, "position": at, "context": {"triggerKind": trigger}})
    return _request(data, client, kind, "textDocument/completion", {"textDocument": {"uri": uri}, "position": at})


def code_action(data, client, *, kind, huge_bytes):
    uri = _uri(data, client)
    text = client.documents.get(uri, (0, ""))[1]
    drawn = data.draw(st.lists(st.tuples(range_choices, st.sampled_from(["B307", "B403", "E999", ""]), json_values),
                               max_size=2))
    diagnostics = [{"range": text_range(r, text), "message": "m", "source": "secgen/bandit", "code": code, "data": d}
                   for r, code, d in drawn]
    params = {"textDocument": {"uri": uri}, "range": text_range(data.draw(range_choices), text),
              "context": {"diagnostics": diagnostics}}
    return _request(data, client, kind, "textDocument/codeAction", params)


def resolve(data, client, *, kind, huge_bytes):
    action = {"title": data.draw(st.text(max_size=10)), "data": data.draw(json_values)}
    return _request(data, client, kind, "codeAction/resolve", action)


def command(data, client, *, kind, huge_bytes):
    name = data.draw(st.sampled_from(COMMANDS))
    if data.draw(st.booleans()):
        arguments = data.draw(st.lists(json_values, max_size=3))
    else:
        uri = _uri(data, client)
        arguments = [uri, position(data.draw(position_choices), client.documents.get(uri, (0, ""))[1])]
    codes = frozenset({INVALID_PARAMS}) if name == "secgen.nonexistent" else None
    return _request(data, client, kind, "workspace/executeCommand", {"command": name, "arguments": arguments},
                    codes=codes)


def stats(data, client, *, kind, huge_bytes):
    return _request(data, client, kind, "secgen/stats", data.draw(st.one_of(st.none(), st.just({}), json_values)),
                    codes=frozenset({RESULT}))


def unserved(data, client, *, kind, huge_bytes):
    method = (data.draw(st.sampled_from(UNSERVED)) if kind == "unserved"
              else "fuzz/" + data.draw(st.text(max_size=30)))
    return _request(data, client, kind, method, data.draw(json_values), codes=frozenset({METHOD_NOT_FOUND}))


def cancel(data, client, *, kind, huge_bytes):
    recent = _recent(data, client)
    target = data.draw(st.one_of(st.just(recent), st.just(recent), st.integers(), st.text(max_size=8), json_values))
    return _notify(kind, "$/cancelRequest", {"id": target})


REQUEST_METHODS = ["textDocument/inlineCompletion", "textDocument/completion", "textDocument/codeAction",
                   "codeAction/resolve", "workspace/executeCommand"]
NOTIFICATION_METHODS = ["textDocument/didOpen", "textDocument/didChange", "textDocument/didClose",
                        "textDocument/didSave", "$/cancelRequest", "$/setTrace", "workspace/didChangeWorkspaceFolders"]


def wrong_params(data, client, *, kind, huge_bytes):
    params = data.draw(json_values)
    if data.draw(st.booleans()):
        return _notify(kind, data.draw(st.sampled_from(NOTIFICATION_METHODS)), params)
    method = data.draw(st.sampled_from(REQUEST_METHODS))
    codes = None if isinstance(params, dict) else frozenset({INVALID_PARAMS})  # a dict may happen to fit
    msg_id = client.new_id(data)
    body = message(method, msg_id=msg_id)
    body["params"] = params  # null included
    return Step(kind=kind, data=frame(encode(body)), expect=(Expect(msg_id=msg_id, method=method, codes=codes),))


def bad_envelope(data, client, *, kind, huge_bytes):
    variant = data.draw(st.sampled_from(["jsonrpc", "method", "id", "neither", "notification"]))
    msg_id = client.new_id(data)
    body = message("secgen/stats", {}, msg_id)
    expect = Expect(msg_id=msg_id, method="secgen/stats", codes=frozenset({INVALID_REQUEST}))
    if variant == "jsonrpc":
        body["jsonrpc"] = data.draw(st.sampled_from(["1.0", "2", 2.0, None]))
        if data.draw(st.booleans()):
            del body["jsonrpc"]
    elif variant == "method":
        body["method"] = data.draw(st.one_of(st.integers(), st.none(), st.lists(st.integers(), max_size=2)))
    elif variant == "id":  # no id to answer: nothing may come back under it
        body["id"] = data.draw(st.sampled_from([0.5, 7.5, True, False, None, [1], {"id": 1}]))
        hashable = isinstance(body["id"], float)
        expect = Expect(msg_id=body["id"], method="secgen/stats", answered=False) if hashable else None
    elif variant == "neither":
        body = {"jsonrpc": "2.0", "id": msg_id}
        expect = Expect(msg_id=msg_id, method="-", answered=False)
    else:
        body = {"jsonrpc": data.draw(st.sampled_from(["1.0", None])), "method": "textDocument/didSave", "params": {}}
        expect = None
    return Step(kind=kind, data=frame(encode(body)), expect=(expect,) if expect else ())


def not_json(data, client, *, kind, huge_bytes):
    body = data.draw(st.one_of(not_header, st.just(b""), st.just(b"{"), st.just(b'{"jsonrpc": "2.0", "id": 1,'),
                               st.just(b"\xef\xbb\xbf{}"), st.just('{"a": 1}'.encode("utf-16"))))
    return Step(kind=kind, data=frame(body))


def not_object(data, client, *, kind, huge_bytes):
    value = data.draw(st.one_of(st.integers(), st.floats(allow_nan=False), st.text(max_size=20), st.none(),
                                st.booleans(), st.lists(json_values, max_size=3)))
    if data.draw(st.integers(0, 3)) == 0:  # a JSON-RPC batch: LSP has none, so nothing in it is answered
        msg_id = client.new_id(data)
        return Step(kind=kind, data=frame(encode([message("secgen/stats", {}, msg_id)])),
                    expect=(Expect(msg_id=msg_id, method="secgen/stats", answered=False),))
    return Step(kind=kind, data=frame(encode(value)))


def bad_utf8(data, client, *, kind, huge_bytes):
    msg_id = client.new_id(data)
    body = encode(message("secgen/stats", {"note": "BAD"}, msg_id))
    bad = data.draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\x80\x80"]))
    return Step(kind=kind, data=frame(body.replace(b"BAD", bad)),
                expect=(Expect(msg_id=msg_id, method="secgen/stats", answered=False),))


def lying_length(data, client, *, kind, huge_bytes):
    msg_id = client.new_id(data)
    body = encode(message("secgen/stats", {}, msg_id))
    mode, amount = data.draw(st.tuples(st.sampled_from(["short", "long", "far"]), st.integers(0, 10**6)))
    # by how much the header lies, as a function of what was drawn: the body's length is the session's
    lie = {"short": -1 - amount % len(body), "long": 1 + amount % 40, "far": 41 + amount}[mode]
    return Step(kind=kind, data=b"Content-Length: %d\r\n\r\n" % (len(body) + lie) + body,
                expect=(Expect(msg_id=msg_id, method="secgen/stats", answered=False),))


def missing_length(data, client, *, kind, huge_bytes):
    msg_id = client.new_id(data)
    body = encode(message("secgen/stats", {}, msg_id))
    header = data.draw(st.sampled_from([b"", b"Content-Type: application/vscode-jsonrpc\r\n", b"Content-Length: \r\n",
                                        b"Content-Length: abc\r\n", b"Content-Length: -5\r\n", b"Length: 20\r\n"]))
    return Step(kind=kind, data=header + b"\r\n" + body,
                expect=(Expect(msg_id=msg_id, method="secgen/stats", answered=False),))


def garbage(data, client, *, kind, huge_bytes):
    return Step(kind=kind, data=data.draw(st.one_of(not_header, st.just(b"\r\n\r\n"), st.just(b"\n"))))


def header_variant(data, client, *, kind, huge_bytes):
    msg_id = client.new_id(data)
    body = encode(message("secgen/stats", {}, msg_id))
    template = data.draw(st.sampled_from([
        b"content-length: %d\r\n\r\n", b"CONTENT-LENGTH:%d\r\n\r\n", b"Content-Length: %d\n\n",
        b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\nContent-Length: %d\r\n\r\n",
        b"Content-Length: %d\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n",
        b"Content-Length: \t%d \r\n\r\n"]))
    return Step(kind=kind, data=template % len(body) + body,
                expect=(Expect(msg_id=msg_id, method="secgen/stats", codes=frozenset({RESULT})),))


def stray_response(data, client, *, kind, huge_bytes):
    recent = _recent(data, client)
    target = data.draw(st.one_of(st.just(recent), st.integers(), st.text(max_size=8)))
    body = {"jsonrpc": "2.0", "id": target}
    body.update(data.draw(st.sampled_from([{"result": None}, {"result": {"applied": True}},
                                           {"error": {"code": -32603, "message": "client error"}}])))
    return Step(kind=kind, data=frame(encode(body)))


def deep(data, client, *, kind, huge_bytes):
    depth = data.draw(st.sampled_from([50, 5_000, 200_000]))
    msg_id = client.new_id(data)
    body = b'{"jsonrpc": "2.0", "id": %s, "method": "secgen/stats", "params": %s1%s}' % (
        json.dumps(msg_id).encode(), b"[" * depth, b"]" * depth)
    # too deep for Python's JSON parser: the body is skipped, so the request is never read
    readable = depth <= 500
    return Step(kind=kind, data=frame(body),
                expect=(Expect(msg_id=msg_id, method="secgen/stats", answered=readable,
                               codes=frozenset({RESULT}) if readable else None),))


def huge(data, client, *, kind, huge_bytes):
    """A document of about ``huge_bytes`` of JSON: a drawn piece of text, repeated."""
    piece = data.draw(st.one_of(texts.filter(bool), st.sampled_from(["x = 1\n", "😀\r\n", "\ud800\r"])))
    text = piece * max(1, huge_bytes // (len(encode(piece)) - 2))  # a JSON string: the piece and two quotes
    return open_document(data, client, kind=kind, huge_bytes=huge_bytes, text=text)


def apply_edits(text: str, edits: list[dict]) -> str:
    """The client's copy after incremental edits, applied in order (UTF-16 positions clamped to the text)."""
    for edit in edits:
        start, end = sorted(_offset(text, edit["range"][k]) for k in ("start", "end"))
        text = text[:start] + edit["text"] + text[end:]
    return text


def _offset(text: str, position: dict) -> int:
    starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]
    if position["line"] >= len(starts):
        return len(text)
    begin, content = starts[position["line"]], lsp_lines(text)[position["line"]]
    units = 0
    for index, char in enumerate(content):
        if units >= position["character"]:
            return begin + index
        units += 2 if ord(char) > 0xFFFF else 1
    return begin + len(content)


MAKERS = {"open": open_document, "change_full": change_full, "change_edit": change_edit, "close": close, "save": save,
          "inline": completion, "completion": completion, "code_action": code_action, "resolve": resolve,
          "command": command, "stats": stats, "unserved": unserved, "unknown_method": unserved, "cancel": cancel,
          "wrong_params": wrong_params, "bad_envelope": bad_envelope, "not_json": not_json, "not_object": not_object,
          "bad_utf8": bad_utf8, "lying_length": lying_length, "missing_length": missing_length, "garbage": garbage,
          "header_variant": header_variant, "stray_response": stray_response, "deep": deep, "huge": huge}
