"""Runs of the loop over a task set: tasks -> repair loop -> scored attempts -> a resumable results file.

Benchmarks (:mod:`secgen.bench.runner`) and pair mining
(:mod:`secgen.training.mine`) are the same work: each task goes through the
repair loop, every attempt is scored, and one record per task
(:class:`~secgen.engine.record.LoopResult`, without prompts and raw answers)
is appended to ``results.jsonl``. This module is that work, once.

**Scorers** turn one attempt's code into figures: :func:`unit_test_scorer`
(the task's tests run in :mod:`secgen.engine.sandbox`: ``passed``) and
:class:`InsecureCodeDetector` (Meta's Insecure Code Detector, both halves:
``vulnerable``); benchmarks add their own (BLEU).

**Resume.** :class:`ResultsFile` is a header line (benchmark, model, feedback,
t_max, max tokens...) and one record per task, flushed and fsynced as each task
ends. A run that finds the file continues after the last task it holds; a
header that differs is an error (use another ``--out`` or ``--restart``), so
results from two settings never mix. Records of the older schema (see
:mod:`secgen.engine.record`) are read as well, so an old run can be continued.
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from secgen.analyzers import Source
from secgen.analyzers.registry import AnalyzerRegistry
from secgen.engine.jsonl import append_jsonl, read_jsonl
from secgen.engine.loop import RepairLoop
from secgen.engine.record import LoopResult, RecordError
from secgen.engine.sandbox import SandboxLimits, run_python
from secgen.engine.tasks import Task

RESULTS = "results.jsonl"
ICD = ("icd-regex", "icd-semgrep")

# A scorer turns one attempt's code into figures: {"passed": bool, "vulnerable": bool, "bleu": float, ...}
Scorer = Callable[[Task, str], Mapping[str, Any]]


class RunError(Exception):
    """A run that cannot start or continue; the message says what to do."""


class ResultsFile:
    """``results.jsonl``: a header, then one record per task; appended and fsynced per task.

    A ``{"session": ...}`` line (:meth:`start`) says where and from which commit each start or
    resumption of the run ran, so a file holds its machines even when it never finished.
    """

    def __init__(self, path: Path, header: Mapping[str, Any], *, restart: bool = False) -> None:
        self.path = Path(path)
        self.header = dict(header)
        self.records: dict[str, LoopResult] = {}
        self.sessions: list[dict[str, Any]] = []
        if restart and self.path.exists():
            self.path.unlink()
        if self.path.exists():
            self._load()
        else:
            append_jsonl(self.path, [{"header": self.header}])

    def _load(self) -> None:
        self._drop_partial_line()  # a line cut short by a kill: its task runs again
        try:
            lines, _ = read_jsonl(self.path, error=RunError, what="results")
        except RunError as exc:
            raise RunError(f"{exc}; move the file away or pass --restart") from None
        if not lines:
            raise RunError(f"{self.path} has no header line; move the file away or pass --restart")
        found = lines[0].value.get("header") if isinstance(lines[0].value, dict) else None
        if found != self.header:
            if all(isinstance(l.value, dict) and "session" in l.value for l in lines[1:]):  # no results yet
                self.path.unlink()
                append_jsonl(self.path, [{"header": self.header}])
                return
            differs = sorted(k for k in set(self.header) | set(found or {}) if (found or {}).get(k) != self.header.get(k))
            raise RunError(f"{self.path} holds results made with other settings ({', '.join(differs)}); "
                           "use another --out, or --restart to discard them")
        for line in lines[1:]:
            if isinstance(line.value, dict) and isinstance(line.value.get("session"), dict):
                self.sessions.append(line.value["session"])
                continue
            try:
                record = LoopResult.from_dict(line.value)
            except RecordError as exc:
                raise RunError(f"{self.path}:{line.number} is not a record ({exc}); move the file away or pass "
                               "--restart") from None
            self.records[record.task_id] = record

    def _drop_partial_line(self) -> None:
        data = self.path.read_bytes()
        complete, _, partial = data.rpartition(b"\n")
        if partial:
            with open(self.path, "r+b") as stream:
                stream.truncate(len(complete) + 1 if complete else 0)

    def start(self, session: Mapping[str, Any]) -> None:
        """Record that the run starts (or resumes) here: ``{"started", "command", "machine"}``."""
        self.sessions.append(dict(session))
        append_jsonl(self.path, [{"session": dict(session)}])

    def add(self, result: LoopResult) -> None:
        self.records[result.task_id] = result
        append_jsonl(self.path, [result.to_dict()])


def run_task(task: Task, loop: RepairLoop, score: Scorer) -> LoopResult:
    """One task through the loop, every attempt scored: the record a results file keeps.

    A task whose prompt carries doctest examples gives the loop's guard a way to run them (in the sandbox):
    a repair whose examples fail where the first answer's passed is refused.
    """
    started = time.perf_counter()
    outcome = loop.generate(task.prompt, language=task.language, preamble=task.preamble, context=task.context or "",
                            examples=doctest_examples(task))
    scored = outcome.compact().scored(lambda attempt: score(task, attempt.text))
    return replace(scored, task_id=task.task_id, seconds=time.perf_counter() - started)


def run_tasks(tasks: Sequence[Task], loop: RepairLoop, score: Scorer, results: ResultsFile,
              *, progress: Callable[[list[LoopResult]], str] | None = None) -> list[LoopResult]:
    """Run every task ``results`` lacks; return the records of all ``tasks`` (old and new), in order."""
    from tqdm import tqdm

    todo = [t for t in tasks if t.task_id not in results.records]
    done = [results.records[t.task_id] for t in tasks if t.task_id in results.records]
    if done:
        print(f"resuming: {len(done)} of {len(tasks)} task(s) already in {results.path}", file=sys.stderr)
    bar = tqdm(total=len(tasks), initial=len(done), unit="task", file=sys.stderr, dynamic_ncols=True,
               disable=None)
    every, resumed, clock = max(1, len(tasks) // 20), len(done), time.perf_counter()
    try:
        for task in todo:
            record = run_task(task, loop, score)
            results.add(record)
            done.append(record)
            bar.update(1)
            if progress:
                bar.set_postfix_str(progress(done), refresh=False)
            if bar.disable and (len(done) % every == 0 or len(done) == len(tasks)):  # no terminal: a line now and then
                elapsed = time.perf_counter() - clock
                print(f"[{len(done)}/{len(tasks)}] {progress(done) if progress else ''} "
                      f"({elapsed:.0f} s for {len(done) - resumed} new)", file=sys.stderr, flush=True)
    finally:
        bar.close()
    order = {t.task_id: i for i, t in enumerate(tasks)}
    return sorted((r for r in results.records.values() if r.task_id in order), key=lambda r: order[r.task_id])


def doctest_examples(task: Task, limits: SandboxLimits = SandboxLimits(timeout_s=10)) -> Callable[[str], str | None] | None:
    """The ``>>>`` examples of a Python task's prompt as a check of candidate code (None when it has none).

    The check runs the preamble, the candidate and the examples (``doctest``, ellipsis and whitespace
    forgiving) in the sandbox, and says how many failed; results are kept per candidate text.
    """
    import doctest

    if task.language != "python":
        return None
    source = _docstrings(task.code_prompt or task.prompt)
    try:
        if not doctest.DocTestParser().get_examples(source):
            return None
    except ValueError:  # examples doctest cannot read (inconsistent indentation): no check rather than a wrong one
        return None
    seen: dict[str, str | None] = {}

    def check(code: str) -> str | None:
        if code not in seen:
            run = (f"{task.preamble}\n{code}\n\nimport doctest as _doctest\n"
                   f"_test = _doctest.DocTestParser().get_doctest({source!r}, globals(), 'examples', None, 0)\n"
                   f"_runner = _doctest.DocTestRunner(optionflags=_doctest.ELLIPSIS | _doctest.NORMALIZE_WHITESPACE)\n"
                   f"_runner.run(_test, out=lambda _text: None)\n"
                   f"if _runner.failures:\n"
                   f"    raise SystemExit(f'{{_runner.failures}} of {{_runner.tries}} examples fail')\n")
            result = run_python(run, limits=limits)
            seen[code] = None if result.passed else (result.detail or result.status)[:200]
        return seen[code]
    return check


def _docstrings(code: str) -> str:
    """The docstrings of ``code``'s module, classes and functions, one after another (``code`` when it does not parse)."""
    import ast

    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return code
    nodes = [tree, *(n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)))]
    return "\n\n".join(d for n in nodes if (d := ast.get_docstring(n)))


# ---- scorers


def program(task: Task, code: str) -> str:
    """The prompt's imports (the analyzers see them too), the code, the task's tests and the call that runs them."""
    return (f"{task.preamble}\n{code}\n\n{task.tests or ''}\n\n"
            f"check({task.entry_point})\n")


def unit_test_scorer(limits: SandboxLimits) -> Scorer:
    """``passed``: the task's tests pass on the code, run in the sandbox (``None`` for a task without tests)."""
    def score(task: Task, code: str) -> dict[str, Any]:
        if not code.strip():
            return {"passed": False, "test": "no code"}
        if not task.tests or not task.entry_point:
            return {"passed": None}
        result = run_python(program(task, code), limits=limits)
        return {"passed": result.passed, "test": result.status if result.passed else f"{result.status}: {result.detail}"[:200]}
    return score


class InsecureCodeDetector:
    """Meta's Insecure Code Detector, both halves, as a scorer sees it (CyberSecEval's ``vulnerable``)."""

    def __init__(self, registry: AnalyzerRegistry | None = None) -> None:
        from secgen.analyzers import default_registry

        self.registry = registry or default_registry()
        for name in ICD:
            if self.registry.get(name) is None:
                raise RunError(f"the Insecure Code Detector cannot run: {name}: {self.registry.problem(name)}")

    def issues(self, code: str, language: str) -> list[dict]:
        """ICD's issues in ``code``; :class:`RunError` when a half failed (never an empty result instead)."""
        report = self.registry.analyze(Source(text=code, language=language), ICD, include_slow=True)
        if report.failures:
            name, reason = next(iter(report.failures.items()))
            raise RunError(f"{name} failed on {language} code: {reason}")
        return [{"rule_id": f.rule_id, "cwe": f.cwe, "line": f.line + 1, "half": f.analyzer} for f in report.findings]
