"""The registry of models the user made: names, atomic writes, damage reported, catalog names protected."""

from __future__ import annotations

import pytest

from secgen.engine import local_models
from secgen.engine.catalog import ModelError, resolve_spec


@pytest.fixture
def model_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("SECGEN_MODEL_DIR", str(tmp_path / "models"))
    return tmp_path / "models"


def gguf_file(path):
    path.write_bytes(b"GGUF" + b"\0" * 60)
    return path


def test_a_registered_name_resolves_to_its_gguf(model_dir, tmp_path):
    path = gguf_file(tmp_path / "tuned.gguf")
    local_models.register("my-tuned", path, base="0.5b")
    spec = resolve_spec("My-Tuned")
    assert spec.kind == "gguf" and spec.path == path.resolve()
    assert [m.name for m in local_models.registered()] == ["my-tuned"]
    assert not list(model_dir.glob(".*tmp")), "the registry is written through a temp file that is renamed"


def test_registering_again_replaces_and_unregister_forgets(model_dir, tmp_path):
    first, second = gguf_file(tmp_path / "a.gguf"), gguf_file(tmp_path / "b.gguf")
    local_models.register("m", first)
    local_models.register("m", second)
    assert local_models.find("m").path == second.resolve()
    assert local_models.unregister("m") is True and local_models.find("m") is None
    assert local_models.unregister("m") is False


@pytest.mark.parametrize("name", ["0.5b", "qwen2.5-coder-1.5b", "bad name", "../x", ""])
def test_catalog_names_and_odd_names_are_refused(model_dir, tmp_path, name):
    with pytest.raises(local_models.RegistryError):
        local_models.register(name, gguf_file(tmp_path / "a.gguf"))


def test_a_registered_file_that_is_gone_is_a_clear_error(model_dir, tmp_path):
    path = gguf_file(tmp_path / "gone.gguf")
    local_models.register("gone", path)
    path.unlink()
    with pytest.raises(ModelError, match="gone.*export it again"):
        resolve_spec("gone")


def test_a_damaged_registry_is_reported_not_overwritten(model_dir, tmp_path):
    model_dir.mkdir(parents=True)
    (model_dir / local_models.REGISTRY_FILE).write_text("{not json")
    assert local_models.find("anything") is None  # resolving other specs still works
    with pytest.raises(local_models.RegistryError, match="damaged"):
        local_models.register("x", gguf_file(tmp_path / "x.gguf"))
    assert (model_dir / local_models.REGISTRY_FILE).read_text() == "{not json"
