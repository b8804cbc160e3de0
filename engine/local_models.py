"""Models the user made (a DPO export) or named, registered under a short name.

``secgen train export --name my-model`` writes a GGUF and registers it here,
so ``--model my-model`` (and the server's ``model`` setting) finds it like a
catalog model. The registry is one JSON file beside the pulled models
(``$SECGEN_MODEL_DIR/local-models.json``, else the user cache), mapping each
name to the GGUF's path and what it was made from. It is written atomically;
a damaged file is reported and treated as empty, never overwritten silently.

A registered model is trusted only as far as its path: it is not in the
catalog, so it has no recorded size or digest, and it is loaded like any GGUF
from a path, after the strict header reader and the vetting of its chat
templates (see :func:`secgen.engine.catalog.check_model_file`). It is used
only when the user names it (``--model NAME``, the ``model`` setting): the
registry is looked up with the name typed, never scanned for a model to pick.
Names never shadow catalog names: ``register`` refuses them, and a catalog
name (or ``default``) resolves to the catalog even if a hand-edited registry
holds it.
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REGISTRY_FILE = "local-models.json"
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class RegistryError(Exception):
    """The registry file is damaged or a name is not allowed; the message names the fix."""


@dataclass(frozen=True, kw_only=True)
class LocalModel:
    name: str
    path: Path
    base: str | None = None
    hf_folder: Path | None = None
    registered: str | None = None


def registry_path() -> Path:
    from secgen.engine.catalog import model_dir

    return model_dir() / REGISTRY_FILE


def _read() -> dict[str, dict[str, Any]]:
    path = registry_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise RegistryError(f"{path} is damaged ({exc}); fix or delete it") from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) and "path" in v for v in data.values()):
        raise RegistryError(f"{path} is damaged (expected an object of name -> {{path, ...}}); fix or delete it")
    return data


def registered() -> list[LocalModel]:
    return [_model(name, entry) for name, entry in sorted(_read().items())]


def find(name: str) -> LocalModel | None:
    """The registered model called ``name`` (case-insensitively), or None (also when the registry is damaged)."""
    try:
        entries = _read()
    except RegistryError:
        return None
    for key, entry in entries.items():
        if key.lower() == name.strip().lower():
            return _model(key, entry)
    return None


def register(name: str, path: Path, *, base: str | None = None, hf_folder: Path | None = None) -> LocalModel:
    """Record ``path`` under ``name`` (replacing an earlier model of that name)."""
    from secgen.engine.catalog import find_entry

    if not NAME.match(name):
        raise RegistryError(f"bad model name {name!r}: use letters, digits, '.', '_' and '-' (up to 64)")
    if find_entry(name) is not None:
        raise RegistryError(f"{name!r} is a catalog model's name; choose another")
    entries = _read()
    entries[name] = {"path": str(Path(path).resolve()), "base": base,
                     "hf_folder": str(Path(hf_folder).resolve()) if hf_folder else None,
                     "registered": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    _write(entries)
    return _model(name, entries[name])


def unregister(name: str) -> bool:
    entries = _read()
    key = next((k for k in entries if k.lower() == name.lower()), None)
    if key is None:
        return False
    del entries[key]
    _write(entries)
    return True


def _write(entries: dict) -> None:
    path = registry_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp")
    with open(temp, "w", encoding="utf-8") as stream:
        json.dump(entries, stream, indent=2, sort_keys=True)
        stream.write("\n")
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(temp, path)


def _model(name: str, entry: dict) -> LocalModel:
    hf = entry.get("hf_folder")
    return LocalModel(name=name, path=Path(entry["path"]), base=entry.get("base"),
                      hf_folder=Path(hf) if hf else None, registered=entry.get("registered"))
