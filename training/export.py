"""The tuned model back into the server: merge, GGUF f16, Q4_K_M, register.

1. **Merge.** The LoRA adapter is folded into the base weights
   (``merge_and_unload``) and saved as a Hugging Face folder (``merged/``,
   float16 safetensors), which the transformers backend serves directly and
   a later training round can start from.
2. **GGUF f16.** Written here with the ``gguf`` package (llama.cpp's own
   Python library for the format): tensor names come from its tensor-name map
   for the architecture, the architecture's hyperparameters from the model's
   config, and every ``tokenizer.*`` and descriptive ``general.*`` key is
   copied from the base model's GGUF, so the tuned model keeps the base's
   vocabulary, merges, special tokens and chat template byte for byte.
   Matrices are float16; norms and biases float32, as llama.cpp writes them.
   Only the Qwen2 architecture (every catalog model) is mapped.
3. **Quantize** to Q4_K_M (the catalog's type, so serving costs the same as
   before tuning) with llama.cpp's quantize API, which llama-cpp-python
   exposes as ``llama_model_quantize``. Tensors whose rows are not a whole
   number of Q4_K blocks fall back to another type inside llama.cpp.
4. **Register** the file under a name (:mod:`secgen.engine.local_models`) so
   ``--model NAME`` and the server's ``model`` setting find it.

Every file is written under a temporary name and renamed when complete, so an
interrupted export never leaves a half-written model under its final name.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from secgen.training.base import BaseModel, TrainingError, load_tokenizer, plain, require

ARCHITECTURES = {"Qwen2ForCausalLM": "qwen2"}
# Keys recomputed for the new file rather than copied from the base's GGUF
_NOT_COPIED = ("GGUF.", "general.architecture", "general.file_type", "general.quantization_version",
               "general.name")
SOURCE_FILE = "secgen-source.json"  # beside a merged model: what it was made from
QUANT_TYPES = {"q4_k_m": 15, "q8_0": 7, "f16": 1}  # llama_ftype values (llama.h)


def merge(base: BaseModel, adapter: Path, out: Path, *, dtype: str = "float16",
          tokenizer_gguf: Path | None = None) -> Path:
    """Fold ``adapter`` into ``base``; save a Hugging Face folder at ``out`` (atomically); return it."""
    require("torch", "transformers", "peft")
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    if not (Path(adapter) / "adapter_config.json").is_file():
        raise TrainingError(f"{adapter} holds no LoRA adapter (no adapter_config.json): run `secgen train dpo` first")
    kwargs = {"gguf_file": base.gguf_file} if base.gguf_file else {}
    model = plain(AutoModelForCausalLM.from_pretrained(base.folder, local_files_only=True, dtype=torch.float32,
                                                       **kwargs))
    merged = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
    merged = merged.to(getattr(torch, dtype))
    temp = _temp_dir(out)
    merged.save_pretrained(temp)
    load_tokenizer(base).save_pretrained(temp)
    source = {"base": base.text, "adapter": str(adapter),
              "tokenizer_gguf": str(tokenizer_gguf) if tokenizer_gguf else None}
    (temp / SOURCE_FILE).write_text(json.dumps(source, indent=2) + "\n", encoding="utf-8")
    _replace_dir(temp, out)
    return out


def write_gguf(hf_folder: Path, out: Path, *, tokenizer_from: Path, name: str | None = None) -> Path:
    """Write the Hugging Face model in ``hf_folder`` as a GGUF f16 file at ``out``.

    ``tokenizer_from`` is a GGUF file whose ``tokenizer.*`` (and descriptive ``general.*``) keys are copied.
    """
    require("torch", "transformers", "gguf")
    import gguf
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    config = AutoConfig.from_pretrained(hf_folder, local_files_only=True)
    arch = _architecture(config)
    model = AutoModelForCausalLM.from_pretrained(hf_folder, local_files_only=True, dtype=torch.float32)
    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH[arch.upper()], config.num_hidden_layers)
    temp = out.with_name(f".{out.name}.tmp")
    writer = gguf.GGUFWriter(temp, arch)
    try:
        _copy_keys(writer, Path(tokenizer_from))
        _add_hyperparameters(writer, arch, config, name or hf_folder.name)
        tied = bool(getattr(config, "tie_word_embeddings", False))
        for hf_name, tensor in model.state_dict().items():
            if tied and hf_name == "lm_head.weight":
                continue  # llama.cpp reuses token_embd for a tied output layer
            gguf_name = names.get_name(hf_name, try_suffixes=(".weight", ".bias"))
            if gguf_name is None:
                raise TrainingError(f"no GGUF name for tensor {hf_name} ({arch})")
            data = tensor.detach().to(torch.float32).numpy()
            data = data.astype("float16") if data.ndim >= 2 else data.astype("float32")
            writer.add_tensor(gguf_name, data)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file(progress=sys.stderr.isatty())
    finally:
        writer.close()
    _fsync(temp)
    os.replace(temp, out)
    return out


def _architecture(config) -> str:
    for name in getattr(config, "architectures", None) or []:
        if name in ARCHITECTURES:
            return ARCHITECTURES[name]
    raise TrainingError(f"cannot export {getattr(config, 'architectures', None)} to GGUF: only "
                        f"{', '.join(ARCHITECTURES)} is mapped")


def _copy_keys(writer, source: Path) -> None:
    import gguf

    reader = gguf.GGUFReader(source)
    for key, field in reader.fields.items():
        if key.startswith(_NOT_COPIED) or not key.startswith(("tokenizer.", "general.")):
            continue
        kind = field.types[0]
        sub = field.types[-1] if kind == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(key, field.contents(), kind, sub_type=sub)


def _add_hyperparameters(writer, arch: str, config, name: str) -> None:
    import gguf

    writer.add_name(name)
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
    writer.add_context_length(config.max_position_embeddings)
    writer.add_embedding_length(config.hidden_size)
    writer.add_block_count(config.num_hidden_layers)
    writer.add_feed_forward_length(config.intermediate_size)
    writer.add_head_count(config.num_attention_heads)
    writer.add_head_count_kv(config.num_key_value_heads)
    writer.add_layer_norm_rms_eps(config.rms_norm_eps)
    writer.add_rope_freq_base(_rope_theta(config))


def _rope_theta(config) -> float:
    theta = getattr(config, "rope_theta", None)
    if theta is None:
        theta = (getattr(config, "rope_parameters", None) or {}).get("rope_theta", 10000.0)
    return float(theta)


def quantize(source: Path, out: Path, *, kind: str = "q4_k_m", threads: int = 0) -> Path:
    """Quantize the GGUF ``source`` to ``kind`` at ``out`` with llama.cpp (atomically)."""
    import llama_cpp

    if kind not in QUANT_TYPES:
        raise TrainingError(f"unknown quantization {kind!r}: use one of {', '.join(QUANT_TYPES)}")
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = QUANT_TYPES[kind]
    params.nthread = threads
    temp = out.with_name(f".{out.name}.tmp")
    status = llama_cpp.llama_model_quantize(str(source).encode(), str(temp).encode(), ctypes.byref(params))
    if status != 0 or not temp.is_file():
        temp.unlink(missing_ok=True)
        raise TrainingError(f"llama.cpp could not quantize {source} to {kind} (status {status})")
    _fsync(temp)
    os.replace(temp, out)
    return out


def export(base: BaseModel, adapter: Path, out: Path, *, name: str, quant: str = "q4_k_m",
           register: bool = True, keep_f16: bool = True, tokenizer_gguf: Path | None = None) -> dict[str, Any]:
    """Merge, write GGUF f16, quantize and register; return what was written."""
    from secgen.engine import local_models

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tokenizer_gguf = Path(tokenizer_gguf) if tokenizer_gguf else base.gguf_path or tokenizer_source(base.folder)
    merged = merge(base, Path(adapter), out / "merged", tokenizer_gguf=tokenizer_gguf)
    f16 = write_gguf(merged, out / f"{name}-f16.gguf", tokenizer_from=tokenizer_gguf, name=name)
    final = f16 if quant == "f16" else quantize(f16, out / f"{name}-{quant}.gguf", kind=quant)
    if final != f16 and not keep_f16:
        f16.unlink()
    written = {"merged": str(merged), "gguf_f16": str(f16) if f16.exists() else None, "gguf": str(final),
               "bytes": final.stat().st_size, "name": name}
    if register:
        local_models.register(name, final, base=base.text, hf_folder=merged)
        written["registered"] = name
    return written


def tokenizer_source(folder: Path) -> Path:
    """The GGUF whose tokenizer a merged folder carries (recorded by :func:`merge`), for a later export."""
    try:
        recorded = Path(json.loads((Path(folder) / SOURCE_FILE).read_text(encoding="utf-8"))["tokenizer_gguf"])
    except (OSError, ValueError, KeyError, TypeError):
        recorded = None
    if recorded is not None and recorded.is_file():
        return recorded
    raise TrainingError(f"{folder} records no GGUF to take the tokenizer from: pass --tokenizer-gguf FILE "
                        "(the GGUF of the model it was tuned from)")


def _temp_dir(out: Path) -> Path:
    temp = out.with_name(f".{out.name}.tmp")
    shutil.rmtree(temp, ignore_errors=True)
    return temp


def _replace_dir(temp: Path, out: Path) -> None:
    if out.exists():
        old = out.with_name(f".{out.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(out, old)
        os.replace(temp, out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(temp, out)


def _fsync(path: Path) -> None:
    with open(path, "rb") as stream:
        os.fsync(stream.fileno())
