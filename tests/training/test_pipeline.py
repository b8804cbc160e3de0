"""The whole training pipeline on a tiny model, through ``secgen train``, as CI runs it.

The tiny model (tests/conftest.py ``tiny_model_dir``) is a 2-layer Qwen2 with
random weights and the real Qwen tokenizer and chat template. Its text is
gibberish, so these tests check the machinery: pairs mined from the repair
loop with the scripted fake model, DPO steps with a finite loss, checkpoint
resume, merge, a GGUF that keeps the base's tokenizer, Q4_K quantization, and
llama.cpp loading the result by its registered name and generating tokens.
"""

from __future__ import annotations

import json
import math

import pytest

from secgen.engine.tasks import Task, write_task_file
from secgen.training.cli import main as train

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::FutureWarning")

FLAWED = "```python\nimport subprocess\n\ndef run_{n}(cmd):\n    return subprocess.call(cmd, shell=True)\n```"
CLEAN = "```python\nimport subprocess\n\ndef run_{n}(args):\n    return subprocess.run(args, check=False).returncode\n```"


@pytest.fixture(scope="module")
def work(tmp_path_factory, tiny_model_dir, default_model_path):
    """Task file, fake-model script and pair files shared by the steps (each step reuses the last's output)."""
    root = tmp_path_factory.mktemp("pipeline")
    tasks = [Task(task_id=f"t/{n}", prompt=f"Write run_{n}(cmd) that runs a command.", source="test")
             for n in range(3)]
    write_task_file(tasks, root / "tasks.jsonl")
    rules = [{"kind": "chat", "match": f"(?s)run_{n}.*Static analyzers checked", "reply": CLEAN.format(n=n)}
             for n in range(3)]
    rules += [{"kind": "chat", "match": f"run_{n}", "reply": FLAWED.format(n=n)} for n in range(3)]
    (root / "script.json").write_text(json.dumps({"chat": ["```python\npass\n```"], "rules": rules}))
    return {"root": root, "tiny": tiny_model_dir, "tokenizer": default_model_path}


def test_mine_pairs_flagged_attempts_with_their_repairs(work, capsys):
    root = work["root"]
    status = train(["mine", "--tasks", str(root / "tasks.jsonl"), "--model", f"fake:{root / 'script.json'}",
                    "--feedback", "bandit", "--out", str(root / "mine")])
    assert status == 0, capsys.readouterr().err
    pairs = [json.loads(line) for line in (root / "mine" / "pairs.jsonl").read_text().splitlines()]
    assert len(pairs) == 3
    for pair in pairs:
        assert "shell=True" in pair["rejected"] and "shell=True" not in pair["chosen"]
        assert pair["meta"]["reason"] == "findings"
        assert pair["prompt"][-1]["role"] == "user"
    assert "3 pairs from 3 of 3 tasks" in capsys.readouterr().out
    summary = json.loads((root / "mine" / "mine-summary.json").read_text())
    assert summary["pairs"] == 3 and set(summary["machine"]["cpu_flags"]) == {"avx2", "avx512", "amx"}


def test_dpo_two_steps_finite_loss_then_resume(work, capsys):
    root = work["root"]
    common = ["dpo", "--pairs", str(root / "mine" / "pairs.jsonl"), "--base", str(work["tiny"]),
              "--validation", "0.34", "--grad-accum", "1", "--save-steps", "1", "--max-length", "256",
              "--out", str(root / "dpo")]
    assert train([*common, "--max-steps", "2"]) == 0, capsys.readouterr().err
    summary = json.loads((root / "dpo" / "summary.json").read_text())
    assert summary["steps"] == 2 and summary["resumed_from"] is None
    assert summary["train"]["loss_finite"] and math.isfinite(summary["train"]["loss_last"])
    assert summary["pairs"]["train"] + summary["pairs"]["validation"] == 3
    assert summary["pairs"]["validation"] >= 1 and "reward_accuracy" in summary["validation"]
    assert summary["machine"]["cpu"] and "llama_cpp_python" in summary["machine"]
    assert (root / "dpo" / "loss.png").read_bytes()[:4] == b"\x89PNG"
    assert (root / "dpo" / "adapter" / "adapter_config.json").is_file()
    train_ids = {json.loads(x)["meta"]["task_id"] for x in (root / "dpo" / "pairs-train.jsonl").read_text().splitlines()}
    val_ids = {json.loads(x)["meta"]["task_id"] for x in (root / "dpo" / "pairs-validation.jsonl").read_text().splitlines()}
    assert train_ids and val_ids and not train_ids & val_ids

    # a save cut short leaves an unmarked checkpoint: it is removed, and the run resumes from the last complete one
    (root / "dpo" / "checkpoints" / "checkpoint-9").mkdir()
    assert train([*common, "--max-steps", "3"]) == 0, capsys.readouterr().err
    resumed = json.loads((root / "dpo" / "summary.json").read_text())
    assert resumed["resumed_from"].endswith("checkpoint-2") and resumed["steps"] == 3
    assert resumed["seconds"] > resumed["seconds_this_invocation"]  # the first invocation's time is carried
    assert not (root / "dpo" / "checkpoints" / "checkpoint-9").exists()


def test_export_writes_a_quantized_gguf_that_llama_cpp_serves_by_name(work, monkeypatch, tmp_path, capsys):
    import gguf

    from secgen.engine.backend import ChatMessage, GenerationParams, collect, open_backend

    root = work["root"]
    monkeypatch.setenv("SECGEN_MODEL_DIR", str(tmp_path / "models"))
    status = train(["export", "--base", str(work["tiny"]), "--adapter", str(root / "dpo" / "adapter"),
                    "--tokenizer-gguf", str(work["tokenizer"]), "--name", "tiny-dpo", "--out", str(root / "export")])
    assert status == 0, capsys.readouterr().err
    assert "registered as tiny-dpo" in capsys.readouterr().out
    quantized = root / "export" / "tiny-dpo-q4_k_m.gguf"
    f16 = root / "export" / "tiny-dpo-f16.gguf"
    assert quantized.stat().st_size < f16.stat().st_size

    base, ours = gguf.GGUFReader(work["tokenizer"]), gguf.GGUFReader(quantized)
    for key in ("tokenizer.chat_template", "tokenizer.ggml.eos_token_id", "tokenizer.ggml.model"):
        assert ours.fields[key].contents() == base.fields[key].contents()
    assert len(ours.fields["tokenizer.ggml.tokens"].data) == len(base.fields["tokenizer.ggml.tokens"].data)
    assert ours.fields["qwen2.block_count"].contents() == 2
    kinds = {t.tensor_type.name for t in ours.tensors}
    assert "Q4_K" in kinds, kinds

    backend = open_backend("tiny-dpo")
    try:
        assert type(backend).__name__ == "LlamaBackend"
        reply = collect(backend.chat([ChatMessage(role="user", content="Write add(a, b).")],
                                     GenerationParams(max_tokens=8)))
        assert reply.chunks, "llama.cpp generated no tokens from the exported model"
    finally:
        backend.close()


def test_export_without_an_adapter_is_one_clear_error(work, tmp_path, capsys):
    status = train(["export", "--base", str(work["tiny"]), "--adapter", str(tmp_path / "none"),
                    "--tokenizer-gguf", str(work["tokenizer"]), "--out", str(tmp_path / "export")])
    assert status == 2
    err = capsys.readouterr().err
    assert "no LoRA adapter" in err and "secgen train dpo" in err and "Traceback" not in err


def test_iterate_mines_each_round_with_the_last_rounds_model(work, monkeypatch, tmp_path, capsys):
    root = work["root"]
    monkeypatch.setenv("SECGEN_MODEL_DIR", str(tmp_path / "models"))
    status = train(["iterate", "--rounds", "2", "--tasks", str(root / "tasks.jsonl"), "--base", str(work["tiny"]),
                    "--model", f"fake:{root / 'script.json'}", "--feedback", "bandit", "--t-max", "1",
                    "--max-tokens", "16", "--pairs", str(root / "mine" / "pairs.jsonl"),
                    "--tokenizer-gguf", str(work["tokenizer"]), "--validation", "0.34", "--max-steps", "1",
                    "--grad-accum", "1", "--max-length", "256", "--name", "tiny-it", "--out", str(tmp_path / "it")])
    assert status == 0, capsys.readouterr().err
    rounds = json.loads((tmp_path / "it" / "iterate-summary.json").read_text())
    assert [r["round"] for r in rounds] == [1, 2]
    assert rounds[0]["mined_with"].startswith("fake:") and rounds[0]["pairs"]["pairs"] == 3
    # round 2 mined with round 1's exported GGUF and trained on top of round 1's merged model
    assert rounds[1]["mined_with"] == rounds[0]["export"]["gguf"]
    assert rounds[1]["dpo"]["base"] == rounds[0]["export"]["merged"]
    assert all(math.isfinite(r["dpo"]["train"]["loss_last"]) for r in rounds)
    assert (tmp_path / "it" / "round-2" / "export" / "tiny-it-r2-q4_k_m.gguf").is_file()
