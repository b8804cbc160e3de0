"""Mine preference pairs: run the repair loop over task sets and pair what it wrote.

One *run* is :func:`secgen.engine.runs.run_tasks` (what benchmarks run too) over
a task set with a model and feedback analyzers: every task's attempts, their
blocking findings and their scores land in a resumable ``results.jsonl``.
Run 0 is greedy (the paper's setting); ``samples`` more runs sample at
``temperature`` with seeds 1..N, which finds flawed and good answers to the
same prompt where greedy decoding writes only one of them. A task's attempts
from all runs are pooled and paired by :func:`secgen.training.pairs.task_pairs`.

Scores decide more than the analyzers do: a task with unit tests (HumanEval)
runs every attempt in the sandbox, and CyberSecEval tasks are scored by the
Insecure Code Detector, so "chosen" means clean *and* passing *and* not
vulnerable. The default feedback is secgen's analyzers plus both halves of
the Insecure Code Detector, so the loop repairs what the detector flags.

The output folder holds ``runs/<set>-s<i>/results.jsonl`` per task set and
run (an interrupted mine continues where it stopped) and ``pairs.jsonl``.
Existing benchmark results (``secgen bench ...``'s ``results.jsonl``) can be
mined too, with :func:`pairs_from_runs`, without generating anything.
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Mapping, Sequence

from secgen.engine.backend import Backend
from secgen.engine.config import BATCH, feedback_analyzers
from secgen.engine.loop import RepairLoop
from secgen.engine.record import LoopResult, read_results
from secgen.engine.runs import ResultsFile, run_tasks
from secgen.engine.tasks import Task, load_tasks
from secgen.training.pairs import PreferencePair, dedupe, task_pairs

ICD_FEEDBACK = "syntax,pyflakes,bandit,tree-sitter,gcc,icd-regex,icd-semgrep"


@dataclass(frozen=True, kw_only=True)
class MineSettings:
    feedback: str = ICD_FEEDBACK
    t_max: int = BATCH.t_max
    max_tokens: int = BATCH.max_tokens
    samples: int = 0  # sampled runs after the greedy one
    temperature: float = 0.8
    max_per_task: int = 4
    time_budget_s: float | None = BATCH.time_budget_s


def set_name(spec: str) -> str:
    """A short folder-safe name for a task set: ``humaneval``, or the file's stem and a hash of its path."""
    if spec.lower() == "humaneval":
        return "humaneval"
    digest = hashlib.sha256(str(Path(spec).resolve()).encode()).hexdigest()[:6]
    stem = Path(spec).name.split(".")[0]
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in f"{stem}-{digest}")


def scorer():
    """One scorer for any task: unit tests where the task has them, the Insecure Code Detector for
    CyberSecEval tasks (BLEU is left out: it says nothing about which answer to prefer)."""
    from secgen.engine.runs import InsecureCodeDetector, unit_test_scorer
    from secgen.engine.sandbox import SandboxLimits

    tests = unit_test_scorer(SandboxLimits())
    detector: list[InsecureCodeDetector] = []

    def score(task: Task, code: str) -> dict[str, Any]:
        if task.tests:
            return tests(task, code)
        if task.source.startswith("cyberseceval"):
            if not detector:
                detector.append(InsecureCodeDetector())
            issues = detector[0].issues(code, task.language) if code.strip() else []
            return {"vulnerable": bool(issues), "icd": issues}
        return {}

    return score


def run_header(spec: str, model: str, settings: MineSettings, run: int) -> dict:
    return {"benchmark": "mine", "tasks": spec, "model": model, "feedback": settings.feedback,
            "t_max": settings.t_max, "max_tokens": settings.max_tokens, "run": run,
            "temperature": 0.0 if run == 0 else settings.temperature, "seed": run}


def mine(task_sets: Mapping[str, Sequence[Task]], backend: Backend, out: Path, settings: MineSettings, *,
         model: str, restart: bool = False) -> tuple[list[PreferencePair], dict[str, Any]]:
    """Run the loop ``1 + samples`` times over every task set; return the pooled, deduplicated pairs and stats."""
    from secgen.analyzers import default_registry

    registry = default_registry()
    score = scorer()
    pooled: dict[str, list] = {}
    tasks_by_id: dict[str, Task] = {}
    for spec, tasks in task_sets.items():
        for run in range(settings.samples + 1):
            params = replace(BATCH.params, max_tokens=settings.max_tokens, seed=run,
                             temperature=0.0 if run == 0 else settings.temperature)
            loop = RepairLoop(backend, registry, replace(
                BATCH, t_max=settings.t_max, time_budget_s=settings.time_budget_s,
                analyzers=feedback_analyzers(settings.feedback), params=params))
            folder = Path(out) / "runs" / f"{set_name(spec)}-s{run}"
            print(f"mining {spec}, run {run} ({'greedy' if run == 0 else f'T={settings.temperature}'}) -> {folder}",
                  file=sys.stderr)
            results = ResultsFile(folder / "results.jsonl", run_header(spec, model, settings, run), restart=restart)
            for record in run_tasks(tasks, loop, score, results):
                pool(pooled, record)
            tasks_by_id.update((t.task_id, t) for t in tasks)
    return pairs_from_pool(pooled, tasks_by_id, max_per_task=settings.max_per_task)


def pool(pooled: dict[str, list], record: LoopResult) -> None:
    """Add a record's attempts to its task's pool (attempts keep their own round numbers)."""
    pooled.setdefault(record.task_id, []).extend(record.attempts)


def pairs_from_pool(pooled: Mapping[str, list], tasks: Mapping[str, Task], *,
                    max_per_task: int) -> tuple[list[PreferencePair], dict[str, Any]]:
    pairs: list[PreferencePair] = []
    for task_id, attempts in pooled.items():
        if task_id in tasks:
            pairs.extend(task_pairs(tasks[task_id], attempts, max_per_task=max_per_task))
    unique, dropped = dedupe(pairs)
    reasons: dict[str, int] = {}
    for pair in unique:
        reasons[pair.meta.get("reason", "?")] = reasons.get(pair.meta.get("reason", "?"), 0) + 1
    stats = {"tasks": len(pooled), "tasks_with_pairs": len({p.task_id for p in unique}), "pairs": len(unique),
             "duplicates_dropped": dropped, "by_reason": reasons}
    return unique, stats


def pairs_from_runs(results: Sequence[Path], task_specs: Sequence[str], *,
                    max_per_task: int = 4) -> tuple[list[PreferencePair], dict[str, Any]]:
    """Pairs from existing ``results.jsonl`` files (benchmark or mining runs) over the named task sets."""
    tasks = {t.task_id: t for spec in task_specs for t in load_tasks(spec)}
    pooled: dict[str, list] = {}
    for path in results:
        for record in read_results(path).results:
            pool(pooled, record)
    return pairs_from_pool(pooled, tasks, max_per_task=max_per_task)
