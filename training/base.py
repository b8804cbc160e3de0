"""The model a training run starts from, as a transformers model and tokenizer.

A base is named like any secgen model, plus Hugging Face folders:

* a catalog name (``0.5b``, ``qwen2.5-coder-1.5b``...) or a ``.gguf`` path:
  transformers reads the GGUF and dequantizes it to float32 (or the dtype
  asked for). The catalog's Q4_K_M files are what we ship, so this is the
  usual path; it costs some quality against the original bf16 weights, and
  the export (:mod:`secgen.training.export`) re-quantizes the tuned model to
  Q4_K_M, so serving sees the same quantization before and after tuning.
* a folder with ``config.json`` (a Hugging Face checkpoint: an earlier
  round's merged model, a GPU run's output, or a user's own download).

The tokenizer always comes from the same place as the weights, so a merged
and exported model keeps the base's vocabulary and chat template. Nothing
here downloads: every load is ``local_files_only``.

torch and transformers are the ``[train]`` extra; :func:`require` turns their
absence into one line saying what to install.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

TRAIN_EXTRA = "pip install -e '.[train]'"


class TrainingError(Exception):
    """A training step cannot go on; the message names the fix."""


def require(*modules: str) -> None:
    """Import ``modules`` or raise :class:`TrainingError` saying how to install them."""
    import importlib

    missing = []
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    if missing:
        raise TrainingError(f"training needs {', '.join(missing)}: install the extra with `{TRAIN_EXTRA}`")


@dataclass(frozen=True, kw_only=True)
class BaseModel:
    """Where a base model's weights and tokenizer are read from."""

    text: str  # what the user named
    folder: Path  # the folder transformers reads
    gguf_file: str | None = None  # the GGUF file inside ``folder``; None for a Hugging Face folder

    @property
    def gguf_path(self) -> Path | None:
        return self.folder / self.gguf_file if self.gguf_file else None


def resolve_base(spec: str | None) -> BaseModel:
    """Turn a model spec or a folder into a :class:`BaseModel`, or raise :class:`TrainingError`."""
    from secgen.engine.catalog import ModelError, check_model_file, resolve_spec

    text = "default" if spec is None else str(spec)
    path = Path(text).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise TrainingError(f"{path} is not a Hugging Face model folder (no config.json)")
        return BaseModel(text=text, folder=path)
    try:
        model = resolve_spec(text)
        if model.kind not in ("catalog", "gguf"):
            raise TrainingError(f"cannot train {model.label}: name a catalog model, a .gguf file or a "
                                "Hugging Face folder")
        check_model_file(model.path, model.entry)
    except ModelError as exc:
        raise TrainingError(str(exc)) from None
    return BaseModel(text=text, folder=model.path.parent, gguf_file=model.path.name)


def load_tokenizer(base: BaseModel):
    require("transformers")
    from transformers import AutoTokenizer

    kwargs = {"gguf_file": base.gguf_file} if base.gguf_file else {}
    tokenizer = AutoTokenizer.from_pretrained(base.folder, local_files_only=True, **kwargs)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_model(base: BaseModel, *, dtype: str = "float32", device: str | None = None):
    """The base as a transformers causal LM, in ``dtype``, on ``device`` (default: cuda if present)."""
    require("torch", "transformers")
    import torch
    from transformers import AutoModelForCausalLM

    kwargs = {"gguf_file": base.gguf_file} if base.gguf_file else {}
    model = AutoModelForCausalLM.from_pretrained(base.folder, local_files_only=True,
                                                 dtype=getattr(torch, dtype), **kwargs)
    return plain(model).to(device or default_device())


def plain(model):
    """A model read from a GGUF as the plain float model it is.

    transformers dequantizes every GGUF tensor to ``dtype`` but still marks the model "quantized (GGUF)",
    and its Trainer refuses to train such a model; a merged model saved with the mark would carry it on.
    The weights are ordinary tensors, so the mark is dropped.
    """
    if getattr(model, "hf_quantizer", None) is not None or getattr(model, "is_quantized", False):
        model.hf_quantizer = None
        model.is_quantized = False
    if getattr(model.config, "quantization_config", None) is not None:
        del model.config.quantization_config
    return model


def default_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def threads() -> int:
    """CPU threads for torch: all cores (the 2-core dev machine trains on both)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
