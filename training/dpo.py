"""LoRA DPO with trl: preference pairs in, an adapter and a run summary out.

Direct Preference Optimization (the seed paper's section 3.2) raises the
policy's likelihood of the chosen answer over the rejected one, relative to a
frozen reference. Here the policy is the base model plus a LoRA adapter
(peft) and the reference is the same base with the adapter switched off, so
one copy of the weights serves both; trl's ``DPOTrainer`` does this when it
is given a ``peft_config`` and no reference model.

The run folder (``--out``) holds::

    checkpoints/checkpoint-N/   Trainer checkpoints (adapter, optimizer, RNG, trainer_state.json)
    adapter/                    the final LoRA adapter and the tokenizer (what export reads)
    summary.json                settings, pair counts, loss and reward figures, validation metrics
    loss.png                    the training loss curve (and validation loss where measured)

**Atomic checkpoints and resume.** transformers writes a checkpoint's files
one by one into ``checkpoint-N``; a run stopped mid-save leaves a folder that
looks like a checkpoint and is not. So a checkpoint counts only once a
``COMPLETE`` marker is fsynced into it, after the Trainer has written every
file (a callback's ``on_save``). A run that finds its folder resumes from the
newest marked checkpoint and deletes unmarked ones; ``--restart`` starts over.
The final adapter and the summary are written to temporary names and renamed.

**Settings** are :class:`DpoSettings`; the defaults suit LoRA on a small
model on a CPU (batch 1 with 4 accumulation steps, beta 0.1, 1 epoch). On a
CUDA machine the same command trains in bfloat16; pass a bigger batch.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

from secgen.engine.measure import machine_info
from secgen.training.base import BaseModel, TrainingError, default_device, load_model, load_tokenizer, require, threads
from secgen.training.pairs import PreferencePair

COMPLETE = "COMPLETE"
LORA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


@dataclass(frozen=True, kw_only=True)
class DpoSettings:
    beta: float = 0.1
    learning_rate: float = 2e-5
    epochs: float = 1.0
    max_steps: int = -1  # > 0 overrides epochs
    max_length: int = 1024  # prompt + answer, in tokens; longer pairs are cut at the end
    batch_size: int = 1
    grad_accum: int = 4
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    lora_targets: tuple[str, ...] = LORA_TARGETS
    save_steps: int = 20
    eval_steps: int = 0  # 0: evaluate on the validation pairs only at the end
    max_eval_pairs: int = 64  # validation pairs scored (a fixed sample when there are more): eval costs forwards
    gradient_checkpointing: bool = False  # trl turns it on; on a CPU with memory to spare it only costs time
    seed: int = 0
    device: str | None = None  # default: cuda when present, else cpu
    dtype: str | None = None  # default: bfloat16 on cuda, float32 on cpu


@dataclass(frozen=True, kw_only=True)
class RunPaths:
    out: Path
    checkpoints: Path = field(init=False)
    adapter: Path = field(init=False)
    summary: Path = field(init=False)
    curve: Path = field(init=False)

    def __post_init__(self) -> None:
        for name, leaf in (("checkpoints", "checkpoints"), ("adapter", "adapter"), ("summary", "summary.json"),
                           ("curve", "loss.png")):
            object.__setattr__(self, name, self.out / leaf)


def as_example(pair: PreferencePair) -> dict:
    """A pair in trl's conversational preference format."""
    return {"prompt": [dict(m) for m in pair.prompt],
            "chosen": [{"role": "assistant", "content": pair.chosen}],
            "rejected": [{"role": "assistant", "content": pair.rejected}]}


def last_complete_checkpoint(folder: Path) -> Path | None:
    """The newest checkpoint with its ``COMPLETE`` marker; unmarked ones (a save cut short) are deleted."""
    if not folder.is_dir():
        return None
    found = []
    for path in folder.glob("checkpoint-*"):
        if not path.is_dir() or not path.name.split("-")[-1].isdigit():
            continue
        if (path / COMPLETE).is_file():
            found.append((int(path.name.split("-")[-1]), path))
        else:
            print(f"removing incomplete checkpoint {path}", file=sys.stderr)
            shutil.rmtree(path, ignore_errors=True)
    return max(found)[1] if found else None


def _marker_callback(elapsed):
    """``elapsed()`` is the run's training time so far (earlier invocations included), kept in each marker."""
    from transformers import TrainerCallback

    class MarkComplete(TrainerCallback):
        """After the Trainer has written a checkpoint's files, mark it complete (fsynced)."""

        def on_save(self, args, state, control, **kwargs):
            folder = Path(args.output_dir) / f"checkpoint-{state.global_step}"
            if folder.is_dir():
                _write_atomic(folder / COMPLETE, f"step {state.global_step}\nseconds {elapsed():.1f}\n")
            return control

    return MarkComplete()


def seconds_before(checkpoint: Path | None) -> float:
    """Training time recorded in a checkpoint's marker (0 when none or unreadable)."""
    if checkpoint is None:
        return 0.0
    try:
        for line in (checkpoint / COMPLETE).read_text(encoding="utf-8").splitlines():
            if line.startswith("seconds "):
                return float(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0.0


def _write_atomic(path: Path, text: str) -> None:
    temp = path.with_name(f".{path.name}.tmp")
    with open(temp, "w", encoding="utf-8") as stream:
        stream.write(text)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(temp, path)


def _config(settings: DpoSettings, paths: RunPaths, device: str, dtype: str, has_eval: bool):
    from trl import DPOConfig

    eval_strategy = "no"
    if has_eval and settings.eval_steps > 0:
        eval_strategy = "steps"
    return DPOConfig(
        output_dir=str(paths.checkpoints), beta=settings.beta, learning_rate=settings.learning_rate,
        num_train_epochs=settings.epochs, max_steps=settings.max_steps, max_length=settings.max_length,
        per_device_train_batch_size=settings.batch_size, per_device_eval_batch_size=settings.batch_size,
        gradient_accumulation_steps=settings.grad_accum, save_strategy="steps", save_steps=settings.save_steps,
        save_total_limit=2, eval_strategy=eval_strategy, eval_steps=settings.eval_steps or None,
        logging_steps=1, seed=settings.seed, report_to=[], use_cpu=device == "cpu",
        bf16=dtype == "bfloat16", fp16=False, dataloader_num_workers=0, dataset_num_proc=None,
        disable_tqdm=False, lr_scheduler_type="linear", warmup_steps=0,
        gradient_checkpointing=settings.gradient_checkpointing,
    )


def train(pairs: Sequence[PreferencePair], validation: Sequence[PreferencePair], base: BaseModel,
          out: Path, settings: DpoSettings = DpoSettings(), *, restart: bool = False) -> dict[str, Any]:
    """Run LoRA DPO; write the adapter, ``summary.json`` and ``loss.png`` under ``out``; return the summary."""
    require("torch", "transformers", "trl", "peft", "datasets")
    import torch
    from datasets import Dataset
    from peft import LoraConfig
    from trl import DPOTrainer

    if not pairs:
        raise TrainingError("no training pairs: mine or import some first (secgen train mine / import)")
    paths = RunPaths(out=Path(out))
    if restart and paths.out.exists():
        shutil.rmtree(paths.checkpoints, ignore_errors=True)
    paths.out.mkdir(parents=True, exist_ok=True)
    device = settings.device or default_device()
    dtype = settings.dtype or ("bfloat16" if device == "cuda" else "float32")
    if device == "cpu":
        torch.set_num_threads(threads())
    started, clock = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), time.perf_counter()

    tokenizer = load_tokenizer(base)
    model = load_model(base, dtype=dtype, device=device)
    lora = LoraConfig(r=settings.lora_r, lora_alpha=settings.lora_alpha, lora_dropout=settings.lora_dropout,
                      target_modules=list(settings.lora_targets), task_type="CAUSAL_LM")
    train_set = Dataset.from_list([as_example(p) for p in pairs])
    scored = sorted(validation, key=lambda p: p.key)[:settings.max_eval_pairs]
    eval_set = Dataset.from_list([as_example(p) for p in scored]) if scored else None
    marker = _marker_callback(lambda: earlier + time.perf_counter() - clock)
    trainer = DPOTrainer(model=model, args=_config(settings, paths, device, dtype, eval_set is not None),
                         train_dataset=train_set, eval_dataset=eval_set, processing_class=tokenizer,
                         peft_config=lora, callbacks=[marker])
    resume = last_complete_checkpoint(paths.checkpoints)
    earlier = seconds_before(resume)
    if resume is not None:
        print(f"resuming from {resume}", file=sys.stderr)
    trainer.train(resume_from_checkpoint=str(resume) if resume else None)
    final = trainer.evaluate() if eval_set is not None else {}
    _save_adapter(trainer, tokenizer, paths.adapter)

    history = trainer.state.log_history
    summary = {
        "base": base.text, "device": device, "dtype": dtype, "settings": _jsonable(asdict(settings)),
        "pairs": {"train": len(pairs), "validation": len(validation), "validation_scored": len(scored),
                  "train_tasks": len({p.task_id for p in pairs}),
                  "validation_tasks": len({p.task_id for p in validation})},
        "steps": trainer.state.global_step, "resumed_from": str(resume) if resume else None,
        "started": started, "seconds": round(earlier + time.perf_counter() - clock, 1),
        "seconds_this_invocation": round(time.perf_counter() - clock, 1),
        "train": _train_figures(history), "validation": _eval_figures(final),
        "adapter": str(paths.adapter), "machine": machine_info(base.gguf_path),
    }
    _write_atomic(paths.summary, json.dumps(summary, indent=2) + "\n")
    plot_loss(history, paths.curve, title=f"DPO loss: {base.text}")
    return summary


def _save_adapter(trainer, tokenizer, folder: Path) -> None:
    temp = folder.with_name(f".{folder.name}.tmp")
    shutil.rmtree(temp, ignore_errors=True)
    trainer.model.save_pretrained(temp)
    tokenizer.save_pretrained(temp)
    if folder.exists():
        shutil.rmtree(folder)
    os.replace(temp, folder)


def _jsonable(value):
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def _train_figures(history: Sequence[dict]) -> dict[str, Any]:
    steps = [h for h in history if "loss" in h and "eval_loss" not in h]
    losses = [h["loss"] for h in steps if isinstance(h.get("loss"), (int, float))]

    def last(key: str) -> float | None:
        values = [h[key] for h in steps if key in h]
        return values[-1] if values else None

    return {"loss_first": losses[0] if losses else None, "loss_last": losses[-1] if losses else None,
            "loss_finite": all(math.isfinite(v) for v in losses) if losses else None,
            "reward_margin_last": last("rewards/margins"), "reward_accuracy_last": last("rewards/accuracies"),
            "logged_steps": len(losses)}


def _eval_figures(metrics: dict) -> dict[str, Any]:
    keep = {"eval_loss": "loss", "eval_rewards/accuracies": "reward_accuracy",
            "eval_rewards/margins": "reward_margin", "eval_rewards/chosen": "reward_chosen",
            "eval_rewards/rejected": "reward_rejected"}
    return {short: metrics[key] for key, short in keep.items() if key in metrics}


def plot_loss(history: Sequence[dict], path: Path, *, title: str) -> Path | None:
    """The training loss per logged step (and validation loss), as a PNG; None when nothing was logged."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    train_points = [(h["step"], h["loss"]) for h in history if "loss" in h and "step" in h]
    eval_points = [(h["step"], h["eval_loss"]) for h in history if "eval_loss" in h and "step" in h]
    if not train_points and not eval_points:
        return None
    figure, axes = plt.subplots(figsize=(6.4, 3.6), dpi=100)
    if train_points:
        axes.plot(*zip(*train_points), marker=".", label="train loss")
    if eval_points:
        axes.plot(*zip(*eval_points), marker="o", linestyle="--", label="validation loss")
    axes.axhline(math.log(2), color="grey", linewidth=0.8, linestyle=":", label="ln 2 (no preference)")
    axes.set_xlabel("optimizer step")
    axes.set_ylabel("DPO loss")
    axes.set_title(title, fontsize=10)
    axes.legend(fontsize=8)
    figure.tight_layout()
    temp = path.with_name(f".{path.stem}.tmp.png")
    figure.savefig(temp)
    plt.close(figure)
    os.replace(temp, path)
    return path
