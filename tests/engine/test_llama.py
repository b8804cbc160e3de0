"""The llama.cpp backend on the real default model: FIM, chat, cancellation, prompt building, load errors.

Generations are kept short (a 0.5B model on a couple of CPU cores); the prompt
building checks call ``fim_tokens`` and generate nothing.
"""

from __future__ import annotations

import threading

import pytest

from secgen.engine.backend import BackendError, CancelToken, ChatMessage, GenerationParams, collect, open_backend
from secgen.engine.prompts import FIM_MIDDLE, FIM_PREFIX, FIM_STOPS, FIM_SUFFIX

pytestmark = pytest.mark.model

COUNT = [ChatMessage(role="user", content="Count from 1 to 200, separated by commas. Write only the numbers.")]


def _special_id(backend, text: str) -> int:
    (token,) = backend.llm.tokenize(text.encode(), add_bos=False, special=True)
    return token


def _first_chunk_then(stream, action):
    """Pass a stream through, calling ``action`` once the first chunk is out."""
    for index, chunk in enumerate(stream):
        yield chunk
        if index == 0:
            action()


def test_fim_completes_a_function_body(llama_backend):
    params = GenerationParams(max_tokens=16, stop=FIM_STOPS)
    generation = collect(llama_backend.fim("def add(a, b):\n    ", "\n", params))
    assert not generation.cancelled
    assert "return" in generation.text
    squeezed = generation.text.replace(" ", "")
    assert "a+b" in squeezed or "b+a" in squeezed


def test_extra_buffer_types_are_off_by_default_and_the_first_decode_works(default_model_path):
    """The AMX buffer type crashes on the first decode (llama.cpp #20824); it must be off unless asked for."""
    import llama_cpp.llama_cpp as lib

    from secgen.engine.llama import LlamaBackend

    backend = LlamaBackend(default_model_path, n_ctx=256)
    try:
        assert backend.llm.model_params.use_extra_bufts is False
        # the library's own default is untouched once the model is built
        assert lib.llama_model_default_params().use_extra_bufts is True
        generation = collect(backend.fim("x = 1\ny = ", "\n", GenerationParams(max_tokens=4)))
        assert generation.text and not generation.cancelled
    finally:
        backend.close()


def test_extra_buffer_types_can_be_turned_back_on(default_model_path):
    from secgen.engine.llama import LlamaBackend

    backend = LlamaBackend(default_model_path, n_ctx=256, extra_buffer_types=True)
    try:
        assert backend.llm.model_params.use_extra_bufts is True  # loaded only: decoding could crash on AMX
    finally:
        backend.close()


def test_chat_streams_text_chunks(llama_backend):
    messages = [ChatMessage(role="user", content="Write a Python function that returns the square of x.")]
    generation = collect(llama_backend.chat(messages, GenerationParams(max_tokens=24)))
    assert not generation.cancelled
    assert len(generation.chunks) > 1
    assert all(isinstance(chunk, str) and chunk for chunk in generation.chunks)
    assert generation.text.strip()


def test_a_cancelled_token_stops_generation_early(llama_backend):
    token = CancelToken()
    stream = llama_backend.chat(COUNT, GenerationParams(max_tokens=48), token)
    generation = collect(_first_chunk_then(stream, token.cancel))
    assert generation.cancelled
    assert 1 <= len(generation.chunks) < 48
    # the model is free again: the next request runs to the end
    after = collect(llama_backend.fim("def add(a, b):\n    ", "\n", GenerationParams(max_tokens=4)))
    assert after.text and not after.cancelled


def test_a_newer_request_interrupts_the_one_in_flight(llama_backend):
    first_chunk = threading.Event()
    result = {}

    def long_request():
        stream = llama_backend.chat(COUNT, GenerationParams(max_tokens=48))
        result["first"] = collect(_first_chunk_then(stream, first_chunk.set))

    thread = threading.Thread(target=long_request)
    thread.start()
    try:
        assert first_chunk.wait(timeout=60), "the first request never produced a token"
        second = collect(llama_backend.fim("def add(a, b):\n    ", "\n", GenerationParams(max_tokens=8)))
    finally:
        thread.join(timeout=60)
    assert not thread.is_alive()
    first = result["first"]
    assert first.cancelled and len(first.chunks) < 48
    assert not second.cancelled and second.text


def test_control_token_text_in_the_document_is_plain_text(llama_backend):
    prefix = 'MARKERS = ["<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>"]\n'
    suffix = '# <|fim_suffix|> again\n'
    tokens = llama_backend.fim_tokens(prefix, suffix, 16)
    prefix_id, suffix_id, middle_id = (_special_id(llama_backend, t) for t in (FIM_PREFIX, FIM_SUFFIX, FIM_MIDDLE))
    assert tokens.count(prefix_id) == 1 and tokens[0] == prefix_id
    assert tokens.count(suffix_id) == 1
    assert tokens.count(middle_id) == 1 and tokens[-1] == middle_id
    split = tokens.index(suffix_id)
    assert llama_backend.llm.detokenize(tokens[1:split]).decode() == prefix
    assert llama_backend.llm.detokenize(tokens[split + 1:-1]).decode() == suffix


def test_a_long_prefix_is_cut_to_fit_the_context_keeping_its_tail(llama_backend):
    prefix = "".join(f"value_{i} = {i}\n" for i in range(3000))  # far more than 4096 tokens
    suffix = "print(value_0)\n"
    max_tokens = 32
    n_ctx = llama_backend.llm.n_ctx()
    tokens = llama_backend.fim_tokens(prefix, suffix, max_tokens)
    assert len(tokens) <= n_ctx - max_tokens
    assert len(tokens) > n_ctx // 2  # cut to fit, not thrown away
    split = tokens.index(_special_id(llama_backend, FIM_SUFFIX))
    kept = llama_backend.llm.detokenize(tokens[1:split]).decode("utf-8", "replace")
    assert kept.endswith("value_2999 = 2999\n")
    assert "value_0 = 0\n" not in kept
    assert prefix.endswith(kept[kept.index("\n") + 1:])  # a contiguous tail of the prefix
    assert llama_backend.llm.detokenize(tokens[split + 1:-1]).decode() == suffix


def test_max_tokens_beyond_the_context_still_builds_a_prompt(llama_backend):
    n_ctx = llama_backend.llm.n_ctx()
    tokens = llama_backend.fim_tokens("x = 1\n" * 50, "y = 2\n" * 50, n_ctx + 100)
    assert len(tokens) < n_ctx


@pytest.mark.parametrize("content, message", [
    (b"GGUF\x03\x00\x00\x00" + bytes(range(256)) * 64, "cannot load model"),
    (b"NOT A MODEL" * 100, "does not start with the GGUF magic"),
])
def test_a_corrupt_model_file_is_a_backend_error(tmp_path, content, message):
    path = tmp_path / "broken.gguf"
    path.write_bytes(content)
    with pytest.raises(BackendError, match=message) as excinfo:
        open_backend(str(path))
    text = str(excinfo.value)
    assert str(path) in text
    assert "replace the file" in text  # not a catalog file: pulling again would not help


def test_a_final_assistant_message_is_continued_and_an_avoided_word_is_not_chosen(llama_backend):
    from secgen.engine.backend import ChatMessage

    task = [ChatMessage(role="user", content="Write a Python function that returns the MD5 hex digest of a string.")]
    prefill = "```python\nimport hashlib\n\n\ndef digest(text):\n"
    turns = [*task, ChatMessage(role="assistant", content=prefill)]
    assert llama_backend.continuation_prompt(turns).endswith("<|im_start|>assistant\n" + prefill)
    params = GenerationParams(max_tokens=96, stop=("```",))
    free = collect(llama_backend.chat(turns, params)).text
    assert "hashlib.md5(" in free  # the model continues the function it began
    steered = collect(llama_backend.chat(turns, GenerationParams(max_tokens=96, stop=("```",), avoid=("md5",)))).text
    assert steered.strip() and "hashlib.md5(" not in steered, steered
