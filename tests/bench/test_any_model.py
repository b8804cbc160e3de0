"""One benchmark command, any model spec: in-process llama.cpp and an OpenAI-compatible server agree.

The default model answers the first HumanEval problems twice: loaded in
process (its .gguf path) and served over HTTP by ``secgen model serve`` (the
way a bigger model on a GPU box is reached). Greedy decoding makes the two
runs' answers, and so their figures, the same.
"""

from __future__ import annotations

import json

import pytest

from secgen.bench import humaneval
from secgen.engine.record import LoopResult, read_results

pytestmark = pytest.mark.model


def _run(model: str, out) -> list[LoopResult]:
    assert humaneval.main(["--model", model, "--limit", "3", "--t-max", "1", "--max-tokens", "256", "--out", str(out)]) == 0
    return list(read_results(out / "results.jsonl").results)


def test_gguf_path_and_http_server_give_the_same_answers(default_model_path, model_server, tmp_path):
    local = _run(str(default_model_path), tmp_path / "local")
    served = _run(model_server, tmp_path / "served")
    assert [r.task_id for r in local] == ["HumanEval/0", "HumanEval/1", "HumanEval/2"]
    assert [[a.text for a in r.attempts] for r in served] == [[a.text for a in r.attempts] for r in local]
    assert [r.first.scores["passed"] for r in served] == [r.first.scores["passed"] for r in local]
    assert any(r.first.scores["passed"] for r in local)  # the model solves some: the harness is not failing everything
    summaries = [json.loads((tmp_path / d / "summary.json").read_text())[0] for d in ("local", "served")]
    assert summaries[0]["humaneval"] == summaries[1]["humaneval"]
    assert summaries[1]["model"].startswith("openai:http://127.0.0.1:")
