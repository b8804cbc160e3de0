"""``secgen train``: preference pairs, DPO, export, and the iterative loop.

Run on this machine (2 CPU cores) for the results page::

    secgen train mine --tasks humaneval --tasks ../shared/data/cyberseceval/instruct-dev.json \\
        --languages python --model 0.5b --out train-runs/mine
    secgen train mine --from-results docs/results/runs/*/results.jsonl \\
        --tasks humaneval --tasks ../shared/data/cyberseceval/autocomplete-dev.json --out train-runs/bench-pairs
    secgen train dpo --pairs train-runs/mine/pairs.jsonl --pairs train-runs/bench-pairs/pairs.jsonl \\
        --base 0.5b --validation 0.5 --out train-runs/dpo
    secgen train export --base 0.5b --adapter train-runs/dpo/adapter --name qwen-0.5b-dpo --out train-runs/export
    secgen bench humaneval --model qwen-0.5b-dpo --out train-runs/humaneval-tuned
    secgen train compare --base-results docs/results/runs/humaneval-0.5b-default/results.jsonl \
        --tuned-results train-runs/humaneval-tuned/results.jsonl --train-pairs train-runs/dpo/pairs-train.jsonl

    secgen train import CodePreference.jsonl --out codepreference-pairs.jsonl
    secgen train iterate --rounds 3 --tasks humaneval --base 0.5b --out train-runs/iterative

On a CUDA machine the same commands train in bfloat16 on the GPU; add
``--batch-size 8 --grad-accum 1`` (see docs/training.md).

Errors the user can fix are one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Sequence

from secgen.training.base import TrainingError

DEFAULT_OUT = Path("train-runs")


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="secgen train", description="Tune the model with DPO on flawed/corrected "
                                     "code pairs, and hand the result back to the server.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("mine", help="pairs from the repair loop's attempts over task sets")
    p.add_argument("--tasks", action="append", default=[], help="humaneval, a CyberSecEval .json, or a .jsonl "
                   "task file (repeatable)")
    p.add_argument("--from-results", nargs="+", type=Path, default=[], help="mine existing results.jsonl files "
                   "instead of running the model")
    p.add_argument("--languages", default=None, help="comma-separated languages to keep (CyberSecEval)")
    p.add_argument("--limit", type=int, default=None, help="only the first N tasks of each set")
    _add_mine_options(p)
    p.add_argument("--out", type=Path, default=DEFAULT_OUT / "mine")
    p.add_argument("--restart", action="store_true", help="discard earlier runs in --out")

    p = sub.add_parser("import", help="pairs from CodePreference or CVEfixes files")
    p.add_argument("file", type=Path)
    p.add_argument("--format", default="auto", choices=("auto", "codepreference", "cvefixes"))
    p.add_argument("--languages", default=None, help="comma-separated languages to keep (CVEfixes)")
    p.add_argument("--limit", type=int, default=None)
    p.add_argument("--out", type=Path, required=True, help="the pairs.jsonl to write")

    p = sub.add_parser("dpo", help="LoRA DPO on pairs")
    p.add_argument("--pairs", action="append", type=Path, required=True, help="a pairs.jsonl (repeatable)")
    p.add_argument("--base", default="default", help="catalog name, .gguf file or Hugging Face folder")
    _add_dpo_options(p)
    p.add_argument("--out", type=Path, default=DEFAULT_OUT / "dpo")
    p.add_argument("--restart", action="store_true", help="ignore checkpoints in --out")

    p = sub.add_parser("export", help="merge the adapter, write GGUF, quantize, register")
    p.add_argument("--base", default="default")
    p.add_argument("--adapter", type=Path, required=True)
    _add_export_options(p)
    p.add_argument("--out", type=Path, default=DEFAULT_OUT / "export")

    p = sub.add_parser("compare", help="one benchmark's figures for the base and the tuned model, on tasks seen "
                       "in training and unseen ones")
    p.add_argument("--base-results", type=Path, required=True, help="the base model's results.jsonl")
    p.add_argument("--tuned-results", type=Path, required=True, help="the tuned model's results.jsonl")
    p.add_argument("--train-pairs", type=Path, action="append", required=True,
                   help="the pairs the model trained on (the dpo run's pairs-train.jsonl; repeatable)")
    p.add_argument("--json", type=Path, default=None, help="also write the figures here")

    p = sub.add_parser("iterate", help="N rounds of mine -> dpo -> export, each mining with the last model")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--tasks", action="append", default=[], required=True)
    p.add_argument("--languages", default=None)
    p.add_argument("--limit", type=int, default=None)
    p.add_argument("--base", default="default")
    p.add_argument("--pairs", action="append", type=Path, default=[],
                   help="pairs to train on in every round beside the mined ones (e.g. imported CodePreference)")
    _add_mine_options(p)
    _add_dpo_options(p)
    _add_export_options(p)
    p.add_argument("--out", type=Path, default=DEFAULT_OUT / "iterative")
    return parser


def _add_mine_options(p: argparse.ArgumentParser) -> None:
    from secgen.training.mine import ICD_FEEDBACK, MineSettings

    d = MineSettings()
    p.add_argument("--model", default=None, help="the model that writes the attempts (default: the catalog default)")
    p.add_argument("--feedback", default=ICD_FEEDBACK, help=f"loop analyzers (default {ICD_FEEDBACK})")
    p.add_argument("--t-max", type=int, default=d.t_max)
    p.add_argument("--max-tokens", type=int, default=d.max_tokens)
    p.add_argument("--samples", type=int, default=d.samples, help="sampled runs after the greedy one")
    p.add_argument("--temperature", type=float, default=d.temperature)
    p.add_argument("--max-per-task", type=int, default=d.max_per_task)


def _add_dpo_options(p: argparse.ArgumentParser) -> None:
    from secgen.training.dpo import DpoSettings

    d = DpoSettings()
    p.add_argument("--validation", type=float, default=0.1, help="fraction of tasks held out (default 0.1)")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--beta", type=float, default=d.beta)
    p.add_argument("--learning-rate", type=float, default=d.learning_rate)
    p.add_argument("--epochs", type=float, default=d.epochs)
    p.add_argument("--max-steps", type=int, default=d.max_steps)
    p.add_argument("--max-length", type=int, default=d.max_length)
    p.add_argument("--batch-size", type=int, default=d.batch_size)
    p.add_argument("--grad-accum", type=int, default=d.grad_accum)
    p.add_argument("--lora-r", type=int, default=d.lora_r)
    p.add_argument("--lora-alpha", type=int, default=d.lora_alpha)
    p.add_argument("--save-steps", type=int, default=d.save_steps)
    p.add_argument("--eval-steps", type=int, default=d.eval_steps)
    p.add_argument("--max-eval-pairs", type=int, default=d.max_eval_pairs,
                   help=f"validation pairs scored (default {d.max_eval_pairs})")
    p.add_argument("--device", default=None, help="cpu or cuda (default: cuda when present)")


def _add_export_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--name", default="secgen-dpo", help="the name to register the model under")
    p.add_argument("--quant", default="q4_k_m", choices=("q4_k_m", "q8_0", "f16"))
    p.add_argument("--no-register", action="store_true")
    p.add_argument("--tokenizer-gguf", type=Path, default=None,
                   help="GGUF to copy the tokenizer from (default: the base's own GGUF)")


def mine_settings(args):
    from secgen.training.mine import MineSettings

    return MineSettings(feedback=args.feedback, t_max=args.t_max, max_tokens=args.max_tokens, samples=args.samples,
                        temperature=args.temperature, max_per_task=args.max_per_task)


def dpo_settings(args):
    from secgen.training.dpo import DpoSettings

    return DpoSettings(seed=args.seed, beta=args.beta, learning_rate=args.learning_rate, epochs=args.epochs,
                       max_steps=args.max_steps, max_length=args.max_length, batch_size=args.batch_size,
                       grad_accum=args.grad_accum, lora_r=args.lora_r, lora_alpha=args.lora_alpha,
                       save_steps=args.save_steps, eval_steps=args.eval_steps, device=args.device,
                       max_eval_pairs=args.max_eval_pairs)


def _task_sets(specs: Sequence[str], languages: str | None, limit: int | None) -> dict:
    from secgen.engine.tasks import load_tasks, select

    wanted = [x for x in (languages or "").split(",") if x]
    return {spec: select(load_tasks(spec), languages=wanted, limit=limit) for spec in specs}


def cmd_mine(args) -> int:
    from secgen.training import mine as mining
    from secgen.training.pairs import write_pairs

    if not args.tasks:
        raise TrainingError("name the task sets the attempts belong to with --tasks")
    if args.from_results:
        pairs, stats = mining.pairs_from_runs(args.from_results, args.tasks, max_per_task=args.max_per_task)
    else:
        pairs, stats = _mine_with_model(args, args.model, args.out)
    args.out.mkdir(parents=True, exist_ok=True)
    write_pairs(args.out / "pairs.jsonl", pairs)
    from secgen.engine.measure import machine_info

    stats = {**stats, "machine": machine_info()}
    (args.out / "mine-summary.json").write_text(json.dumps(stats, indent=2) + "\n", encoding="utf-8")
    print(f"{stats['pairs']} pairs from {stats['tasks_with_pairs']} of {stats['tasks']} tasks "
          f"({', '.join(f'{k} {v}' for k, v in sorted(stats['by_reason'].items()))}) -> {args.out / 'pairs.jsonl'}")
    return 0


def _mine_with_model(args, model: str | None, out: Path):
    from secgen.engine.backend import open_backend
    from secgen.training import mine as mining

    sets = _task_sets(args.tasks, args.languages, args.limit)
    backend = open_backend(model)
    try:
        return mining.mine(sets, backend, out, mine_settings(args), model=model or "default",
                           restart=getattr(args, "restart", False))
    finally:
        backend.close()


def cmd_import(args) -> int:
    from secgen.training.formats import import_pairs
    from secgen.training.pairs import dedupe, write_pairs

    languages = [x for x in (args.languages or "").split(",") if x]
    pairs, stats = import_pairs(args.file, args.format, languages=languages, limit=args.limit)
    pairs, dropped = dedupe(pairs)
    write_pairs(args.out, pairs)
    print(f"{len(pairs)} pairs ({dropped} duplicates dropped; {stats.get('skipped', 0)} records skipped) "
          f"-> {args.out}")
    return 0


def cmd_dpo(args) -> int:
    summary = _dpo(args, args.base, args.pairs, args.out, restart=args.restart)
    print(_dpo_line(summary))
    return 0


def _dpo(args, base_spec: str, pair_files: Sequence[Path], out: Path, *, restart: bool) -> dict:
    from secgen.training.base import resolve_base
    from secgen.training.dpo import train
    from secgen.training.pairs import dedupe, read_pairs, split_by_task, write_pairs

    base = resolve_base(base_spec)  # before reading pairs: a wrong base fails fast
    pairs, dropped = dedupe([p for path in pair_files for p in read_pairs(path)])
    train_pairs, validation = split_by_task(pairs, validation=args.validation, seed=args.seed)
    out.mkdir(parents=True, exist_ok=True)
    write_pairs(out / "pairs-train.jsonl", train_pairs)
    write_pairs(out / "pairs-validation.jsonl", validation)
    print(f"{len(train_pairs)} training and {len(validation)} validation pairs ({dropped} duplicates dropped); "
          f"base {base.text}", file=sys.stderr)
    summary = train(train_pairs, validation, base, out, dpo_settings(args), restart=restart)
    summary["validation_fraction"] = args.validation
    return summary


def _dpo_line(summary: dict) -> str:
    t, v = summary["train"], summary["validation"]
    parts = [f"{summary['steps']} steps in {summary['seconds']:.0f} s",
             f"loss {_f(t['loss_first'])} -> {_f(t['loss_last'])}"]
    if v:
        parts.append(f"validation: loss {_f(v.get('loss'))}, reward accuracy {_f(v.get('reward_accuracy'))}, "
                     f"margin {_f(v.get('reward_margin'))}")
    return "; ".join(parts) + f" -> {summary['adapter']}"


def _f(value) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def cmd_export(args) -> int:
    written = _export(args, args.base, args.adapter, args.out, args.name)
    print(f"{written['gguf']} ({written['bytes'] / 2**20:.1f} MiB)"
          + (f", registered as {written['registered']}: use --model {written['registered']}"
             if written.get("registered") else ""))
    return 0


def _export(args, base_spec: str, adapter: Path, out: Path, name: str) -> dict:
    from secgen.training.base import resolve_base
    from secgen.training.export import export

    return export(resolve_base(base_spec), adapter, out, name=name, quant=args.quant,
                  register=not args.no_register, tokenizer_gguf=args.tokenizer_gguf)


def cmd_compare(args) -> int:
    from secgen.engine.measure import machines_differ
    from secgen.engine.record import run_machines
    from secgen.training.compare import compare, table

    for path in (args.base_results, args.tuned_results):
        if not path.is_file():
            raise TrainingError(f"no results file {path}: run the benchmark first")
    result = compare(args.base_results, args.tuned_results, args.train_pairs)
    differ = machines_differ(run_machines(args.base_results), run_machines(args.tuned_results))
    if differ:  # greedy answers fork between CPU kinds: a difference may be the machine's, not the tuning's
        print(f"note: the base and tuned runs are {differ}")
    print(table(result))
    if args.json:
        args.json.write_text(json.dumps(result | {"machines_differ": differ}, indent=2) + "\n", encoding="utf-8")
    return 0


def cmd_iterate(args) -> int:
    """Round k mines with the model of round k-1 (the base for k = 1), trains a fresh LoRA on top of
    that model (its merged folder is the new base and reference), and exports it."""
    from secgen.training.base import resolve_base
    from secgen.training.pairs import write_pairs

    if args.rounds < 1:
        raise TrainingError("--rounds must be 1 or more")
    first = resolve_base(args.base)
    tokenizer = args.tokenizer_gguf or first.gguf_path
    base_spec, serve_spec, rounds = args.base, args.model or args.base, []
    for k in range(1, args.rounds + 1):
        folder = args.out / f"round-{k}"
        print(f"== round {k} of {args.rounds}: mining with {serve_spec}", file=sys.stderr)
        pairs, stats = _mine_with_model(args, serve_spec, folder / "mine")
        write_pairs(folder / "mine" / "pairs.jsonl", pairs)
        summary = _dpo(args, base_spec, [folder / "mine" / "pairs.jsonl", *args.pairs], folder / "dpo",
                       restart=False)
        round_args = argparse.Namespace(**{**vars(args), "tokenizer_gguf": tokenizer})
        written = _export(round_args, base_spec, folder / "dpo" / "adapter", folder / "export", f"{args.name}-r{k}")
        rounds.append({"round": k, "mined_with": serve_spec, "pairs": stats, "dpo": summary, "export": written})
        print(f"round {k}: {stats['pairs']} pairs; {_dpo_line(summary)}", file=sys.stderr)
        base_spec, serve_spec = written["merged"], written["gguf"]
    (args.out / "iterate-summary.json").write_text(json.dumps(rounds, indent=2) + "\n", encoding="utf-8")
    print(f"{args.rounds} rounds; the last model is {rounds[-1]['export']['gguf']}")
    return 0


COMMANDS = {"mine": cmd_mine, "import": cmd_import, "dpo": cmd_dpo, "export": cmd_export, "compare": cmd_compare,
            "iterate": cmd_iterate}


def main(argv: Sequence[str] | None = None) -> int:
    from secgen.engine.backend import BackendError
    from secgen.engine.catalog import ModelError
    from secgen.engine.config import FeedbackError
    from secgen.engine.local_models import RegistryError
    from secgen.engine.record import RecordError
    from secgen.engine.runs import RunError
    from secgen.engine.tasks import TaskError
    from secgen.training.pairs import PairError

    args = make_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (TrainingError, PairError, TaskError, BackendError, ModelError, RegistryError, RecordError, RunError,
            FeedbackError) as exc:
        print(f"secgen train {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"\nsecgen train {args.command}: interrupted; run the same command to continue", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
