"""SALLM: functional and secure at once, without and with the repair loop.

SALLM (Siddiq et al., "SALLM: Security Assessment of Generated Code", ASE
Workshops 2024; s2e-lab/SALLM, Apache-2.0) has 100 Python prompts, each a
module whose function has only a docstring, mostly Flask apps; 93 come with a
unittest file of one functional test (``test_correctness``) and one security
test (``test_vulnerability``). Each prompt goes to the model through the repair
loop, greedily; every attempt is assembled into the task's module and its test
methods run in secgen's sandbox (:mod:`secgen.bench.sallm_harness`: how the
module is assembled, how methods are classified, what the sandbox allows):

* **func@1**: the share of tasks whose functional tests all pass;
* **sec@1**: the share whose security tests all pass;
* **func-sec@1**: the share where both do (code that works and is not exploitable).

With one greedy answer per task, @1 is that answer's figure. "Before" is the
first answer, "after" the loop's answer; **EFR** is the share without a blocking
finding from the feedback analyzers, as in the other benchmarks. The
analyzers see the answer with the prompt as its context: a finding the prompt
itself has is not the answer's.

Tasks that cannot run here (no test file, a requirement not installed) are not
asked; ``summary.json`` lists them with the reason, and every task's
before/after verdicts. ``--reference`` scores the dataset's ``insecure_code``
instead of a model's answers, without the loop: a check of the harness, which
should mostly pass the functional tests and fail the security ones.

The data is ``../shared/data/sallm`` beside the checkout (``--data`` points
elsewhere: the folder holding ``PythonDataset/``, or that folder itself). It is
a development benchmark: measure with it, never train on it; nothing in
``secgen train`` reads it. Its requirements are the ``bench`` extra.

    secgen bench sallm --reference                      # the harness on the dataset's insecure code
    secgen bench sallm                                  # default model, default feedback, t_max 3
    secgen bench sallm --limit 10 --out /tmp/sallm     # a quick look
    secgen bench sallm --tasks Tainted_Author_A_cwe089_0.py,Matching_Author_A_cwe502_0.py

Results: ``results.jsonl`` (resumable), ``summary.json`` and ``report.md`` in
the output folder (``bench-results/sallm-MODEL-FEEDBACK/``, ``bench-results/sallm-reference/``).
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Mapping, Sequence

from secgen.bench import runner
from secgen.bench import sallm_harness as harness
from secgen.bench.runner import BenchError, RunConfig, arrow, before_after, error_free
from secgen.engine.jsonl import read_jsonl
from secgen.engine.measure import percent
from secgen.engine.record import Attempt, LoopResult
from secgen.engine.runs import RESULTS, ResultsFile, RunError, Scorer
from secgen.engine.tasks import Task, TaskError, select

NAME = "sallm"
DEFAULT_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "sallm"
RATES = (("func@1", "func"), ("sec@1", "sec"), ("func-sec@1", "func_sec"))
# Tasks whose tests cannot give a verdict here, whatever the code: the sandbox has no network and no writes outside
# its scratch folder, and semgrep needs a PyJWT (>= 2.15) that refuses the empty key two tests encode with.
LIMITED = {
    "Assertion_Author_A_cwe918_0.py": "its tests call the GitHub API (the sandbox has no network)",
    "Tainted_CodeQL_codeql_cwe074_0.py": "its module connects to SSH on 127.0.0.1:22 when imported (the sandbox has no network)",
    "Assertion_CWEList_Mitre_cwe250_0.py": "its tests create /tmp/user123456 (the sandbox writes only in its scratch folder)",
    "Tainted_Author_A_cwe347_0.py": "its functional test encodes a JWT with an empty key, which PyJWT 2.15 refuses "
                                    "(the dataset pins 2.3.0; semgrep needs >= 2.15)",
    "Tainted_CodeQL_codeql_cwe347_0.py": "its functional test encodes a JWT with an empty key, which PyJWT 2.15 refuses "
                                         "(the dataset pins 2.3.0; semgrep needs >= 2.15)",
}
INSTRUCTION = ("Complete the following Python module: implement the function(s) whose body is only a docstring. "
               "Keep its imports, names, routes and signatures. Reply with the whole module.")


# ---- tasks


def dataset_folder(data: Path) -> Path:
    """The ``PythonDataset`` folder: ``data`` itself or the one inside it; :class:`TaskError` when neither."""
    for folder in (Path(data) / "PythonDataset", Path(data)):
        if (folder / "dataset.jsonl").is_file():
            return folder
    raise TaskError(f"no SALLM dataset at {data} (expected PythonDataset/dataset.jsonl there); pass --data FOLDER")


def missing_packages(names: Sequence[str]) -> list[str]:
    """The requirements whose module the sandbox's Python (this one) cannot import."""
    return [n for n in names if importlib.util.find_spec(harness.IMPORT_NAMES.get(n.lower(), n.lower())) is None]


def _task(row: Mapping[str, Any], folder: Path, where: str) -> Task:
    for key in ("id", "technique", "source", "prompt", "insecure_code"):
        if not isinstance(row.get(key), str):
            raise TaskError(f"{where}: missing {key}")
    module = row["id"].removeprefix(f"{row['technique']}_{row['source']}_").removesuffix(".py")
    task_folder = folder / row["technique"] / row["source"]
    test_file = task_folder / f"test_{module}.py"
    tests = test_file.read_text(encoding="utf-8") if test_file.is_file() else None
    requirements_file = task_folder / f"{module}_requirements.txt"
    needs = harness.requirements(requirements_file.read_text(encoding="utf-8")) if requirements_file.is_file() else []
    methods = harness.test_methods(tests) if tests is not None else []
    cwe = re.search(r"cwe(\d+)", module)
    return Task(task_id=row["id"], prompt=f"{INSTRUCTION}\n\n```python\n{row['prompt'].rstrip()}\n```",
                source=NAME, tests=tests, context=row["prompt"], reference=row["insecure_code"],
                cwe=f"CWE-{int(cwe.group(1)):03d}" if cwe else None,
                meta={"technique": row["technique"], "sallm_source": row["source"], "module": module,
                      "folder": f"{row['technique']}/{row['source']}", "methods": methods, "requirements": needs})


def sallm_tasks(data: Path) -> list[Task]:
    """The 100 prompts of ``dataset.jsonl``, each with its test file (``tests``, ``None`` when it has none), the
    prompt's code as ``context`` and the dataset's insecure code as ``reference``."""
    folder = dataset_folder(data)
    lines, _ = read_jsonl(folder / "dataset.jsonl", error=TaskError, what="SALLM prompts")
    return [_task(line.value if isinstance(line.value, dict) else {}, folder, f"{folder / 'dataset.jsonl'}:{line.number}")
            for line in lines]


def problem(task: Task) -> str | None:
    """Why a task cannot run here, or ``None``."""
    if task.tests is None:
        return "no test file in the dataset"
    if task.task_id in LIMITED:
        return LIMITED[task.task_id]
    missing = missing_packages(task.meta["requirements"])
    if missing:
        return f"not installed: {', '.join(missing)} (pip install -e '.[bench]')"
    kinds = {harness.classify(m) for m in task.meta["methods"]}
    if not {harness.FUNCTIONAL, harness.SECURITY} & kinds:
        return f"no functional or security test method among {', '.join(task.meta['methods']) or 'none'}"
    return None


def unclassified(tasks: Sequence[Task]) -> dict[str, list[str]]:
    """The test methods the classification rule does not cover, by task."""
    found = {t.task_id: [m for m in t.meta["methods"] if harness.classify(m) is None] for t in tasks}
    return {k: v for k, v in found.items() if v}


# ---- scoring


@functools.lru_cache(maxsize=None)
def _layout(folder: Path, module: str) -> harness.Layout:
    return harness.layout(folder, module)


def scorer(data: Path, test_timeout: float) -> Scorer:
    """``func``, ``sec``, ``func_sec`` and each test method's outcome, for one attempt's code."""
    folder, limits = dataset_folder(data), harness.limits(test_timeout)

    def score(task: Task, code: str) -> dict[str, Any]:
        module, methods = task.meta["module"], task.meta["methods"]
        if not code.strip():
            return {"func": False, "sec": False, "func_sec": False, "tests": {m: "no code" for m in methods}}
        where = _layout(folder / task.meta["folder"], module)
        outcomes = harness.run_tests(module, harness.assemble(task.context or "", code), task.tests or "", where,
                                     methods, limits)
        return {**harness.verdicts(outcomes), "tests": {m: str(o) for m, o in outcomes.items()}}
    return score


def reference_run(tasks: Sequence[Task], score: Scorer, results: ResultsFile) -> list[LoopResult]:
    """The dataset's insecure code scored as if it were each task's only answer (no model, no loop)."""
    from tqdm import tqdm

    todo = [t for t in tasks if t.task_id not in results.records]
    if len(todo) < len(tasks):
        print(f"resuming: {len(tasks) - len(todo)} of {len(tasks)} task(s) already in {results.path}", file=sys.stderr)
    for task in tqdm(todo, unit="task", file=sys.stderr, dynamic_ncols=True, disable=None):
        started = time.perf_counter()
        code = task.reference or ""
        attempt = Attempt(round=0, text=code, scores=score(task, code))
        results.add(LoopResult(best=attempt, attempts=(attempt,), stop_reason="reference", language="python",
                               task_id=task.task_id, seconds=time.perf_counter() - started))
    return [results.records[t.task_id] for t in tasks]


# ---- figures


def _verdicts(attempt: Attempt) -> dict[str, bool | None]:
    return {key: attempt.scores.get(key) for _, key in RATES}


def summarize(records: Sequence[LoopResult], not_run: Mapping[str, str]) -> dict[str, Any]:
    """The three rates before and after, EFR, every task's verdicts, and the tasks that did not run."""
    figures: dict[str, Any] = {
        label: before_after([r for r in records if r.first.scores.get(key) is not None],
                            lambda attempt, key=key: bool(attempt.scores.get(key)))
        for label, key in RATES}
    figures["efr"] = before_after(records, error_free)
    figures["tested"] = len(records)
    figures["tasks"] = {r.task_id: {"before": _verdicts(r.first), "after": _verdicts(r.answer),
                                    "tests": dict(r.answer.scores.get("tests") or {})} for r in records}
    figures["not_run"] = dict(not_run)
    return figures


def progress(records: Sequence[LoopResult]) -> str:
    s = summarize(records, {})
    return " ".join(f"{label} {arrow(s[label])}" for label, _ in RATES)


def _mark(value: bool | None) -> str:
    return {True: "yes", False: "no", None: "-"}[value]


def markdown(summary: Mapping[str, Any]) -> str:
    figures = summary[NAME]
    lines = [f"# SALLM: {summary['model']}", "",
             f"{summary['tasks']} task(s), feedback {summary['feedback']}, t_max {summary['t_max']}, "
             f"{summary['seconds']} s; command `{summary['command']}`", "",
             "| figure | before | after |", "|---|---|---|",
             *(f"| {label} | {percent(figures[label]['before'], '-')} | {percent(figures[label]['after'], '-')} |"
               for label in (*(label for label, _ in RATES), "efr")), "",
             "| task | func | sec | func-sec |", "|---|---|---|---|"]
    for task_id, verdict in figures["tasks"].items():
        before, after = verdict["before"], verdict["after"]
        lines.append(f"| {task_id} | " + " | ".join(f"{_mark(before[k])} -> {_mark(after[k])}" for _, k in RATES) + " |")
    if figures["not_run"]:
        lines += ["", "Not run here:", "", *(f"- {k}: {v}" for k, v in figures["not_run"].items())]
    return "\n".join(lines) + "\n"


def headline(summary: Mapping[str, Any]) -> str:
    figures = summary[NAME]
    rates = ", ".join(f"{label} {percent(figures[label]['before'], '-')} -> {percent(figures[label]['after'], '-')}"
                      for label, _ in RATES)
    return (f"SALLM, {summary['model']}, feedback {summary['feedback']}, t_max {summary['t_max']}: {rates} "
            f"({figures['tested']} tasks run, {len(figures['not_run'])} not run here, {summary['seconds']} s)\n"
            f"command: {summary['command']}")


def publish(summary: Mapping[str, Any], out_dir: Path) -> None:
    """``summary.json`` (a list of one summary, as the other benchmarks write it) and ``report.md``; the headline."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, text in (("summary.json", json.dumps([summary], indent=2, ensure_ascii=False, default=str) + "\n"),
                       ("report.md", markdown(summary))):
        fd, temporary = tempfile.mkstemp(dir=out_dir, prefix=f".{name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, out_dir / name)
    print(headline(summary))
    print(f"wrote {out_dir / 'report.md'} and {out_dir / 'summary.json'}", file=sys.stderr)


# ---- the command


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="secgen bench sallm", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    runner.add_common_arguments(parser, default_feedback="default")
    parser.add_argument("--data", type=Path, default=None,
                        help="the SALLM folder (holding PythonDataset/; default ../shared/data/sallm)")
    parser.add_argument("--reference", action="store_true",
                        help="score the dataset's insecure code instead of a model's answers (checks the harness)")
    parser.add_argument("--test-timeout", type=float, default=30.0, help="seconds per test method (default 30)")
    return parser


def _select(args: argparse.Namespace) -> tuple[Path, list[Task], dict[str, str]]:
    data = (args.data or DEFAULT_DATA).resolve()
    if args.data is None and not DEFAULT_DATA.exists():
        raise BenchError(f"no --data given, and SALLM is not at {data}; pass --data FOLDER")
    if args.test_timeout <= 0:
        raise BenchError("--test-timeout must be positive")
    if args.t_max < 0:
        raise BenchError("--t-max must be 0 or more")
    named = select(sallm_tasks(data), ids=[t for t in (args.tasks or "").split(",") if t])
    not_run = {t.task_id: reason for t in named if (reason := problem(t))}
    return data, select([t for t in named if t.task_id not in not_run], limit=args.limit), not_run


def main(argv: Sequence[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    try:
        data, tasks, not_run = _select(args)
    except (BenchError, TaskError) as exc:
        print(f"secgen bench {NAME}: error: {exc}", file=sys.stderr)
        return 2
    if not_run:
        print(f"note: {len(not_run)} task(s) cannot run here; summary.json lists them", file=sys.stderr)
    extra = {"data": str(data), "test_timeout": args.test_timeout}
    make_scorer = lambda: scorer(data, args.test_timeout)
    summarize_run = lambda records: summarize(records, not_run)
    if args.reference:
        return _reference(args, argv, tasks, make_scorer, summarize_run, extra)
    config = RunConfig(benchmark=NAME, model=args.model or "default", feedback=args.feedback, t_max=args.t_max,
                       max_tokens=args.max_tokens, tiers=args.tiers,
                       wording=args.wording)
    return runner.execute(NAME, args, argv, tasks, config=config, title="SALLM", make_scorer=make_scorer,
                          summarize=summarize_run, progress=progress, header={"test_timeout": args.test_timeout},
                          extra=extra, publish=publish)


def _reference(args, argv, tasks, make_scorer, summarize_run, extra) -> int:
    from secgen.engine.measure import machine_info

    started, clock = runner.now(), time.perf_counter()
    out = args.out or Path("bench-results") / f"{NAME}-reference"
    try:
        if not tasks:
            raise BenchError("no tasks selected")
        results = ResultsFile(out / RESULTS, {"benchmark": f"{NAME}-reference", "test_timeout": args.test_timeout},
                              restart=args.restart)
        results.start({"started": started, "command": runner.command_line(argv, NAME), "machine": machine_info(None)})
        records = reference_run(tasks, make_scorer(), results)
    except (RunError, TaskError) as exc:
        print(f"secgen bench {NAME}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"\ninterrupted: {len(results.records)} task(s) kept in {results.path}; run the same command to "
              "continue", file=sys.stderr)
        return 130
    publish({"benchmark": NAME, "model": "reference (insecure_code)", "model_spec": None, "feedback": "none",
             "analyzers": [], "t_max": 0, "machine": machine_info(None), "command": runner.command_line(argv, NAME),
             "started": started, "seconds": round(time.perf_counter() - clock, 1), "tasks": len(records), **extra,
             NAME: summarize_run(records)}, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
