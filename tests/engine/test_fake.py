"""The scripted fake backend, loaded from a script file the way the CLI and the server load it."""

from __future__ import annotations

import json

import pytest

from secgen.engine.backend import Backend, BackendError, CancelToken, ChatMessage, GenerationParams, collect, open_backend
from secgen.engine.prompts import fim_prompt

PARAMS = GenerationParams(max_tokens=32)


@pytest.fixture
def script(tmp_path):
    """Write a script file and open it through ``open_backend("fake:PATH")``."""
    def open_script(data):
        path = tmp_path / "script.json"
        path.write_text(json.dumps(data), encoding="utf-8")
        return open_backend(f"fake:{path}")
    return open_script


def _chat(backend, text, params=PARAMS, cancel=None):
    return collect(backend.chat([ChatMessage(role="user", content=text)], params, cancel))


def test_open_backend_builds_a_backend_from_the_script(script, tmp_path):
    backend = script({"fim": ["x"]})
    assert isinstance(backend, Backend)
    assert backend.name == f"fake:{tmp_path / 'script.json'}"


def test_replies_come_in_order_per_kind_and_the_last_repeats(script):
    backend = script({"fim": ["one", "two"], "chat": ["first", "second", "last"]})
    assert [collect(backend.fim("p", "s", PARAMS)).text for _ in range(4)] == ["one", "two", "two", "two"]
    assert [_chat(backend, "q").text for _ in range(4)] == ["first", "second", "last", "last"]


def test_no_replies_gives_empty_text(script):
    generation = collect(script({}).fim("p", "s", PARAMS))
    assert generation.text == "" and not generation.cancelled


def test_rules_match_by_regex_per_kind_and_do_not_use_up_the_ordered_replies(script):
    backend = script({
        "chat": ["ordered 1", "ordered 2"],
        "fim": ["fim default"],
        "rules": [
            {"kind": "chat", "match": r"sort(ed)? a list", "reply": "sorted(xs)"},
            {"match": r"def\s+add\(", "reply": "return a + b"},  # no kind: either kind
        ],
    })
    assert _chat(backend, "please sort a list").text == "sorted(xs)"
    assert _chat(backend, "something else").text == "ordered 1"
    assert _chat(backend, "a sorted a list").text == "sorted(xs)"
    assert _chat(backend, "again").text == "ordered 2"
    assert collect(backend.fim("def add(a, b):\n    ", "", PARAMS)).text == "return a + b"
    # the chat-only rule does not answer a fill-in-the-middle request
    assert collect(backend.fim("sort a list", "", PARAMS)).text == "fim default"


def test_prompts_are_recorded_as_received(script):
    backend = script({"fim": ["x"], "chat": ["y"]})
    collect(backend.fim("pre", "suf", PARAMS))
    collect(backend.chat([ChatMessage(role="system", content="be brief"), ChatMessage(role="user", content="hi")],
                         PARAMS))
    assert list(backend.prompts) == [("fim", fim_prompt("pre", "suf")), ("chat", "system: be brief\n\nuser: hi")]


def test_only_the_latest_prompts_are_kept(script):
    backend = script({"fim": ["x"]})
    for i in range(300):
        collect(backend.fim(f"pre{i}", "suf", PARAMS))
    assert len(backend.prompts) == 256 and backend.prompts[-1] == ("fim", fim_prompt("pre299", "suf"))


def test_replies_stream_in_chunks(script):
    generation = collect(script({"chat": ["abcdefghij"]}).chat([], PARAMS))
    assert generation.chunks == ["abcd", "efgh", "ij"]


def test_stop_strings_cut_the_reply_at_the_earliest_stop(script):
    backend = script({"fim": ["return 1<|endoftext|>junk"], "chat": ["code\n```\nafter <END> more"]})
    params = GenerationParams(max_tokens=32, stop=("<|endoftext|>",))
    assert collect(backend.fim("p", "s", params)).text == "return 1"
    params = GenerationParams(max_tokens=32, stop=("<END>", "```"))
    assert _chat(backend, "q", params).text == "code\n"


def test_a_cancelled_token_stops_the_stream_and_keeps_what_arrived(script):
    backend = script({"chat": ["0123456789abcdef"]})
    token = CancelToken()

    def cancel_after_first(stream):
        for chunk in stream:
            yield chunk
            token.cancel()

    generation = collect(cancel_after_first(backend.chat([], PARAMS, token)))
    assert generation.cancelled
    assert generation.text == "0123"


def test_a_token_cancelled_before_the_request_gives_nothing(script):
    token = CancelToken()
    token.cancel()
    generation = collect(script({"fim": ["anything"]}).fim("p", "s", PARAMS, token))
    assert generation.cancelled and generation.text == ""


def test_a_missing_script_is_a_backend_error_naming_it(tmp_path):
    missing = tmp_path / "nope.json"
    with pytest.raises(BackendError, match="cannot read fake backend script") as excinfo:
        open_backend(f"fake:{missing}")
    assert str(missing) in str(excinfo.value)


def test_an_empty_fake_spec_is_a_backend_error():
    with pytest.raises(BackendError, match="needs a script path"):
        open_backend("fake:")


@pytest.mark.parametrize("content, message", [
    ("{not json", "cannot read fake backend script"),
    ("[1, 2]", "must be a JSON object"),
    ('{"chat": "one reply"}', "'chat' must be a list of strings"),
    ('{"rules": [{"match": "x"}]}', "rule 1 needs string 'match' and 'reply'"),
    ('{"rules": [{"match": "(", "reply": "y"}]}', "rule 1 has a bad regex"),
])
def test_a_malformed_script_is_a_backend_error(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(BackendError, match=message):
        open_backend(f"fake:{path}")
