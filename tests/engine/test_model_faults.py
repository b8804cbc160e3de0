"""Fault injection on the model file: missing, truncated, wrong checksum, not a GGUF, untrusted and hostile.

Each fault is checked where the user meets it: ``open_backend`` (what the CLI
and the server call), and the real ``secgen complete`` / ``secgen generate``
command lines, which must exit with status 2 and one line on stderr, never a
traceback. Model files are small hand-made ones in ``tmp_path``; the full-size
catalog file is a sparse file (a GGUF magic, then a hole), so it costs no disk.
The server's side is tests/e2e/test_lsp_model_faults.py.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from secgen.engine import local_models
from secgen.engine.backend import BackendError, open_backend
from secgen.engine.catalog import (
    DEFAULT_MODEL,
    CatalogEntry,
    ModelError,
    PartPackage,
    check_model_file,
    inspect_model_file,
    resolve_spec,
    sidecar_path,
)
from secgen.engine.gguf import write_gguf

PULL = f"run `secgen model pull {DEFAULT_MODEL.name}`"
PULL_FORCE = f"run `secgen model pull --force {DEFAULT_MODEL.name}`"
ESCAPE = "{{ cycler.__init__.__globals__.os.system('touch MARKER') }}"


@pytest.fixture(autouse=True)
def models_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "models"
    directory.mkdir()
    monkeypatch.setenv("SECGEN_MODEL_DIR", str(directory))
    monkeypatch.delenv("SECGEN_MODEL", raising=False)
    return directory


# -- the faults ------------------------------------------------------------------------------------------------


def catalog_file(models_dir: Path) -> Path:
    return models_dir / DEFAULT_MODEL.file_name


def truncated_catalog(models_dir: Path) -> Path:
    path = catalog_file(models_dir)
    path.write_bytes(b"GGUF\x03\x00\x00\x00" + bytes(992))
    sidecar_path(path).write_text(f"{DEFAULT_MODEL.sha256}  {path.name}\n")
    return path


def catalog_with_wrong_checksum(models_dir: Path) -> Path:
    path = catalog_file(models_dir)
    with open(path, "wb") as f:
        f.write(b"GGUF")
        f.truncate(DEFAULT_MODEL.size)  # sparse: the right size, no disk used
    sidecar_path(path).write_text(f"{'0' * 64}  {path.name}\n")
    return path


def not_a_gguf(directory: Path) -> Path:
    path = directory / "random.gguf"
    path.write_bytes(os.urandom(4096).replace(b"GGUF", b"GGUG"))
    return path if path.read_bytes()[:4] != b"GGUF" else not_a_gguf(directory)


def truncated_gguf(directory: Path) -> Path:
    path = write_gguf(directory / "cut.gguf", {"general.architecture": "llama"}, [("token_embd.weight", (64, 64))])
    path.write_bytes(path.read_bytes()[:-1000])
    return path


def hostile_gguf(directory: Path, marker: Path) -> Path:
    return write_gguf(directory / "hostile.gguf", {"general.architecture": "llama",
                                                   "tokenizer.chat_template": ESCAPE.replace("MARKER", str(marker))})


# -- open_backend ------------------------------------------------------------------------------------------------


def backend_error(spec: str | None) -> str:
    with pytest.raises(BackendError) as caught:
        open_backend(spec)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_missing_default_model(models_dir: Path) -> None:
    assert backend_error(None) == f"model file not found: {catalog_file(models_dir)}; {PULL}"


def test_truncated_default_model(models_dir: Path) -> None:
    path = truncated_catalog(models_dir)
    assert backend_error("0.5b") == (f"model file {path} is corrupt (size 1,000, expected {DEFAULT_MODEL.size:,}); "
                                     f"{PULL_FORCE}")


def test_default_model_with_a_wrong_recorded_checksum(models_dir: Path) -> None:
    path = catalog_with_wrong_checksum(models_dir)
    assert backend_error(None) == (f"model file {path} is corrupt (recorded sha256 {'0' * 64}, expected "
                                   f"{DEFAULT_MODEL.sha256}); {PULL_FORCE}")


def test_a_random_file_named_gguf(tmp_path: Path) -> None:
    path = not_a_gguf(tmp_path)
    assert backend_error(str(path)) == (f"model file {path} is corrupt (does not start with the GGUF magic b'GGUF': "
                                        "it is not a GGUF file); replace the file")


def test_a_truncated_gguf_from_a_path_never_reaches_llama_cpp(tmp_path: Path) -> None:
    path = truncated_gguf(tmp_path)
    message = backend_error(str(path))
    assert message.startswith(f"cannot load model {path}: the data of tensor 'token_embd.weight' runs past the end "
                              "of the file: it is truncated; replace the file")


def test_a_hostile_chat_template_is_refused_and_not_run(tmp_path: Path) -> None:
    marker = tmp_path / "escaped"
    path = hostile_gguf(tmp_path, marker)
    message = backend_error(str(path))
    assert message.startswith(f"cannot load model {path}: its chat template tokenizer.chat_template tries something "
                              "the sandbox forbids")
    assert not marker.exists()


def test_a_sound_gguf_that_is_not_a_model_is_refused_by_llama_cpp_in_one_line(tmp_path: Path) -> None:
    path = write_gguf(tmp_path / "empty.gguf", {"general.architecture": "llama", "general.name": "no tensors"})
    message = backend_error(str(path))
    assert message.startswith(f"cannot load model {path}: ") and message.endswith("replace the file")


# -- the digest: checked cheaply, hashed when no sidecar vouches for the file ---------------------------------------

CONTENT = b"GGUF" + b"\x03\x00\x00\x00" + bytes(range(256)) * 4


def small_entry() -> CatalogEntry:
    return CatalogEntry(name="tiny-test-model", description="a test model", file_name="tiny.gguf",
                        size=len(CONTENT), sha256=hashlib.sha256(CONTENT).hexdigest(),
                        parts=(PartPackage(distribution="tiny-part1", version="1.0", module="tiny_part1"),))


def test_a_file_without_sidecar_is_hashed_once_and_then_trusted(models_dir: Path) -> None:
    entry = small_entry()
    path = models_dir / entry.file_name
    path.write_bytes(CONTENT)
    assert inspect_model_file(path, entry).state == "not verified"
    check_model_file(path, entry)
    assert sidecar_path(path).read_text() == f"{entry.sha256}  tiny.gguf\n"
    assert inspect_model_file(path, entry).state == "verified"


def test_a_same_size_file_without_sidecar_fails_the_hash(models_dir: Path) -> None:
    entry = small_entry()
    path = models_dir / entry.file_name
    path.write_bytes(CONTENT[:-1] + b"!")
    with pytest.raises(ModelError) as caught:
        check_model_file(path, entry)
    assert str(caught.value) == (f"model file {path} is corrupt (its sha256 is "
                                 f"{hashlib.sha256(path.read_bytes()).hexdigest()}, expected {entry.sha256}); "
                                 "run `secgen model pull --force tiny-test-model`")
    assert not sidecar_path(path).exists()


def test_a_file_replaced_after_it_was_verified_is_hashed_again(models_dir: Path) -> None:
    entry = small_entry()
    path = models_dir / entry.file_name
    path.write_bytes(CONTENT)
    sidecar_path(path).write_text(f"{entry.sha256}  tiny.gguf\n")
    path.write_bytes(CONTENT[:-1] + b"!")  # same size, new bytes, and now newer than the sidecar
    recorded = sidecar_path(path).stat().st_mtime_ns
    os.utime(path, ns=(recorded + 10**9, recorded + 10**9))
    assert inspect_model_file(path, entry).problem.endswith(
        "is not verified (tiny.gguf.sha256 is older than the file); run `secgen model pull tiny-test-model` to verify it")
    with pytest.raises(ModelError, match=r"is corrupt \(its sha256 is [0-9a-f]{64}, expected"):
        check_model_file(path, entry)
    path.write_bytes(CONTENT)  # put back: hashed again, matches, the sidecar is refreshed
    check_model_file(path, entry)
    assert sidecar_path(path).stat().st_mtime_ns >= path.stat().st_mtime_ns


# -- nothing outside the catalog is used unless named -----------------------------------------------------------


def test_no_model_named_is_always_the_catalog_default(models_dir: Path, tmp_path: Path, monkeypatch) -> None:
    decoy = write_gguf(models_dir / "decoy.gguf", {"general.architecture": "llama"})
    local_models.register("my-model", decoy)
    registry = json.loads(local_models.registry_path().read_text())
    for name in ("default", "0.5b", "Qwen2.5-Coder-1.5B"):  # a hand-edited registry cannot shadow the catalog
        registry[name] = {"path": str(decoy)}
    local_models.registry_path().write_text(json.dumps(registry))
    monkeypatch.setenv("SECGEN_MODEL", str(decoy))  # read by the CLI as --model's default, never by the engine
    for spec in (None, "default", "  DEFAULT ", "0.5b"):
        resolved = resolve_spec(spec)
        assert (resolved.kind, resolved.entry, resolved.path) == ("catalog", DEFAULT_MODEL, catalog_file(models_dir))
    assert resolve_spec("qwen2.5-coder-1.5b").kind == "catalog"
    assert resolve_spec("my-model").path == decoy.resolve()  # named: used
    assert backend_error(None) == f"model file not found: {catalog_file(models_dir)}; {PULL}"


# -- the command line ---------------------------------------------------------------------------------------------


def secgen(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "secgen", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300, check=False)


def assert_one_line_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("secgen: error: ")
    for fragment in fragments:
        assert fragment in line, line


@pytest.mark.parametrize("fault", ["missing", "truncated", "checksum", "not gguf", "truncated gguf", "hostile"])
def test_secgen_complete_reports_each_fault_in_one_line(fault: str, models_dir: Path, tmp_path: Path) -> None:
    source = tmp_path / "app.py"
    source.write_text("def add(a, b):\n    \n")
    marker = tmp_path / "escaped"
    model, fragments = {
        "missing": lambda: (None, [str(catalog_file(models_dir)), PULL]),
        "truncated": lambda: (str(truncated_catalog(models_dir)), ["is corrupt (size 1,000", PULL_FORCE]),
        "checksum": lambda: (str(catalog_with_wrong_checksum(models_dir)), ["recorded sha256 000", PULL_FORCE]),
        "not gguf": lambda: (str(not_a_gguf(tmp_path)), ["random.gguf", "it is not a GGUF file", "replace the file"]),
        "truncated gguf": lambda: (str(truncated_gguf(tmp_path)), ["cut.gguf", "it is truncated", "replace the file"]),
        "hostile": lambda: (str(hostile_gguf(tmp_path, marker)), ["hostile.gguf", "sandbox forbids"]),
    }[fault]()
    if fault in ("truncated", "checksum"):
        model = "0.5b"  # the catalog file, by its alias
    options = [] if model is None else ["--model", model]
    assert_one_line_error(secgen("complete", str(source), "--line", "2", "--column", "5", *options, cwd=tmp_path),
                          *fragments)
    if fault in ("missing", "hostile"):
        assert_one_line_error(secgen("generate", "add two numbers", *options, cwd=tmp_path), *fragments)
    assert not marker.exists()


def test_an_hf_model_is_checked_like_a_path(tmp_path: Path) -> None:
    """``hf:`` with the hub's cache made by hand and the hub offline: the downloaded file is vetted before loading."""
    revision = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "hub" / "models--someone--models"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(revision)
    (repo / "snapshots" / revision).mkdir(parents=True)
    marker = tmp_path / "escaped"
    path = hostile_gguf(repo / "snapshots" / revision, marker)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(tmp_path / "hub")}
    run = subprocess.run([sys.executable, "-m", "secgen", "generate", "x", "--model", "hf:someone/models/hostile.gguf"],
                         capture_output=True, text=True, env=env, timeout=300, check=False)
    assert_one_line_error(run, f"cannot load model {path}: its chat template", "sandbox forbids")
    assert not marker.exists()
    run = subprocess.run([sys.executable, "-m", "secgen", "generate", "x", "--model", "hf:someone/models/other.gguf"],
                         capture_output=True, text=True, env=env, timeout=300, check=False)
    assert_one_line_error(run, "cannot fetch someone/models/other.gguf from the hub: ")
