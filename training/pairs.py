"""Preference pairs: the record DPO trains on, mined from the repair loop's attempt histories.

A :class:`PreferencePair` is one line of ``pairs.jsonl``::

    {"prompt": [{"role": "system", ...}, {"role": "user", ...}],
     "chosen": "```python\\n...\\n```", "rejected": "```python\\n...\\n```",
     "meta": {"task_id": ..., "source": ..., "language": ..., ...}}

``prompt`` is exactly what the model was asked (the chat turns of
:func:`secgen.engine.prompts.generation_messages`), and both answers are
written the way the model writes them (the code in one fenced block), so DPO
teaches the same turn the server later asks for.

**Mining.** Every benchmark run (:func:`secgen.bench.runner.run_tasks`) leaves
a ``results.jsonl`` holding each task's attempts with their blocking findings
and scores. An attempt is *flawed* when it has blocking findings, the Insecure
Code Detector calls it ``vulnerable``, or it fails the task's unit tests
(``passed`` is false); it is *good* when it has none of these, and where the
task has tests it must have passed them (a good attempt that was never tested
is not trusted as chosen). :func:`pairs_from_record` pairs every distinct
flawed attempt with every distinct good one, most flawed first, at most
``max_per_task`` per task, so a task with many rounds cannot dominate the set.

**Split.** :func:`split_by_task` holds out whole tasks, never single pairs: two
pairs of one task share a prompt, and a validation loss measured on a prompt
the model trained on says little. :func:`is_validation_task` applies the same
rule to one task id, so a benchmark can report figures on held-out tasks only.

File IO: :func:`write_pairs` replaces a file atomically; :func:`append_pairs`
adds lines durably (the language server's opt-in collector);
:func:`read_pairs` names the file and line of anything it cannot read.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import tempfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from secgen.bench.tasks import Task
from secgen.engine.prompts import generation_messages

REQUIRED_META = ("task_id", "source", "language")
MINED = "repair-loop"


class PairError(Exception):
    """A pair, or a file of pairs, that cannot be read; the message names the file, line or record."""


def normalize(text: str) -> str:
    """``text`` with trailing whitespace stripped from every line and from the end (for comparing answers)."""
    return "\n".join(line.rstrip() for line in text.splitlines()).rstrip()


def fenced(code: str, language: str) -> str:
    """An answer as the model writes it: the code in one fenced block."""
    return f"```{language}\n{code.rstrip()}\n```"


def _problem(prompt: Any, chosen: Any, rejected: Any, meta: Any) -> str | None:
    """What is wrong with these fields, or ``None``."""
    if not isinstance(prompt, (list, tuple)) or not prompt:
        return "prompt must be a non-empty list of messages"
    for number, message in enumerate(prompt):
        if not isinstance(message, Mapping) or not all(isinstance(message.get(k), str) for k in ("role", "content")):
            return f"prompt message {number} must have string role and content"
    for name, value in (("chosen", chosen), ("rejected", rejected)):
        if not isinstance(value, str) or not value.strip():
            return f"{name} must be a non-empty string"
    if not isinstance(meta, Mapping):
        return "meta must be an object"
    missing = [k for k in REQUIRED_META if not isinstance(meta.get(k), str) or not meta.get(k)]
    if missing:
        return f"meta is missing {', '.join(missing)}"
    return None


@dataclass(frozen=True, kw_only=True)
class PreferencePair:
    prompt: tuple[dict, ...]  # chat messages {"role", "content"}: what the model was asked
    chosen: str  # the better answer, as the model writes it
    rejected: str  # the worse answer
    meta: Mapping[str, Any]  # task_id, source, language, and how it was made

    def __post_init__(self) -> None:
        problem = _problem(self.prompt, self.chosen, self.rejected, self.meta)
        if problem:
            raise PairError(f"pair: {problem}")
        object.__setattr__(self, "prompt", tuple({"role": m["role"], "content": m["content"]} for m in self.prompt))
        object.__setattr__(self, "meta", dict(self.meta))

    def __hash__(self) -> int:  # the fields hold dicts; equal pairs have equal keys
        return hash(self.key)

    @cached_property
    def key(self) -> str:
        """sha256 of the prompt, chosen and rejected, each normalized: the same pair made twice has one key."""
        prompt = "\x1e".join(f"{m['role']}\x1f{normalize(m['content'])}" for m in self.prompt)
        text = "\x00".join((prompt, normalize(self.chosen), normalize(self.rejected)))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    @property
    def task_id(self) -> str:
        return self.meta["task_id"]

    def to_dict(self) -> dict:
        return {"prompt": [dict(m) for m in self.prompt], "chosen": self.chosen, "rejected": self.rejected,
                "meta": dict(self.meta)}

    @classmethod
    def from_dict(cls, data: Any, where: str = "pair") -> "PreferencePair":
        if not isinstance(data, Mapping):
            raise PairError(f"{where}: not an object")
        missing = [k for k in ("prompt", "chosen", "rejected", "meta") if k not in data]
        if missing:
            raise PairError(f"{where}: missing {', '.join(missing)}")
        problem = _problem(data["prompt"], data["chosen"], data["rejected"], data["meta"])
        if problem:
            raise PairError(f"{where}: {problem}")
        return cls(prompt=tuple(data["prompt"]), chosen=data["chosen"], rejected=data["rejected"], meta=data["meta"])


# ---- mining the repair loop's histories


@dataclass(frozen=True, kw_only=True)
class _Attempt:
    round: int
    code: str
    blocking: tuple[dict, ...]
    vulnerable: bool
    passed: bool | None  # None: not tested

    @property
    def reason(self) -> str | None:
        """Why this attempt is flawed (the first of findings, vulnerable, failed-tests), or ``None``."""
        if self.blocking:
            return "findings"
        if self.vulnerable:
            return "vulnerable"
        return "failed-tests" if self.passed is False else None

    @property
    def severity(self) -> int:
        return len(self.blocking) + int(self.vulnerable)


def _attempts(record: Any) -> list[_Attempt]:
    rounds = record.get("rounds") if isinstance(record, Mapping) else None
    if not isinstance(rounds, list):
        raise PairError("record has no list of rounds")
    attempts = []
    for number, item in enumerate(rounds):
        if not isinstance(item, Mapping):
            raise PairError(f"round {number} is not an object")
        blocking, code = item.get("blocking", []), item.get("code") or ""
        if not isinstance(code, str) or not isinstance(blocking, list) or not all(isinstance(b, Mapping)
                                                                                  for b in blocking):
            raise PairError(f"round {number} is not an attempt (code, blocking)")
        attempts.append(_Attempt(
            round=item["round"] if isinstance(item.get("round"), int) else number, code=code,
            blocking=tuple({"analyzer": b.get("analyzer"), "rule_id": b.get("rule_id"), "cwe": b.get("cwe")}
                           for b in blocking),
            vulnerable=item.get("vulnerable") is True,
            passed=item.get("passed") if isinstance(item.get("passed"), bool) else None))
    return attempts


def _mined_pair(task: Task, prompt: tuple[dict, ...], rejected: _Attempt, chosen: _Attempt) -> PreferencePair:
    meta = {"task_id": task.task_id, "source": MINED, "language": task.language, "rejected_round": rejected.round,
            "chosen_round": chosen.round, "rejected_blocking": [dict(b) for b in rejected.blocking],
            "reason": rejected.reason}
    if task.cwe:
        meta["cwe"] = task.cwe
    return PreferencePair(prompt=prompt, chosen=fenced(chosen.code, task.language),
                          rejected=fenced(rejected.code, task.language), meta=meta)


def pairs_from_record(record: Mapping[str, Any], task: Task, *, max_per_task: int = 4) -> list[PreferencePair]:
    """The pairs one task's attempt history gives: flawed x good, most flawed rejected first, at most ``max_per_task``.

    ``record`` is one line of a benchmark ``results.jsonl``; a record that is not one is a :class:`PairError`.
    """
    if max_per_task < 1:
        raise ValueError("max_per_task must be 1 or more")
    if isinstance(record, Mapping) and record.get("task_id") not in (None, task.task_id):
        raise PairError(f"record of task {record.get('task_id')!r} given with task {task.task_id!r}")
    flawed, good, seen = [], [], set()
    for attempt in _attempts(record):
        code = normalize(attempt.code)
        if not code or code in seen:
            continue
        seen.add(code)
        if attempt.reason:
            flawed.append(attempt)
        elif attempt.passed is True or (attempt.passed is None and not task.tests):
            good.append(attempt)
    ranked = sorted(itertools.product(flawed, good), key=lambda p: (-p[0].severity, p[0].round, p[1].round))
    prompt = tuple({"role": m.role, "content": m.content} for m in generation_messages(task.prompt, task.language))
    return [_mined_pair(task, prompt, rejected, chosen) for rejected, chosen in ranked[:max_per_task]]


def pairs_from_results(path: Path, tasks: Iterable[Task], *,
                       max_per_task: int = 4) -> tuple[list[PreferencePair], dict[str, int]]:
    """The pairs of every record in a ``results.jsonl`` whose task is in ``tasks``, and counts.

    The counts: ``records`` read, ``pairs`` made, ``skipped`` (records whose task was not given) and
    ``unreadable`` lines (not JSON, cut short, or not a task record); the header line is not counted.
    A task that appears twice (a rerun) counts once, with its last record.
    """
    by_id = {t.task_id: t for t in tasks}
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise PairError(f"cannot read results from {path}: {exc}") from None
    records: dict[str, Any] = {}
    stats = {"records": 0, "pairs": 0, "skipped": 0, "unreadable": 0}
    for line in lines:
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError:
            stats["unreadable"] += 1
            continue
        if isinstance(item, dict) and "header" in item:
            continue
        if not isinstance(item, dict) or not isinstance(item.get("task_id"), str):
            stats["unreadable"] += 1
            continue
        records[item["task_id"]] = item
    pairs = []
    for task_id, record in records.items():
        if task_id not in by_id:
            stats["skipped"] += 1
            continue
        try:
            pairs += pairs_from_record(record, by_id[task_id], max_per_task=max_per_task)
        except PairError:
            stats["unreadable"] += 1
            continue
        stats["records"] += 1
    stats["pairs"] = len(pairs)
    return pairs, stats


def dedupe(pairs: Iterable[PreferencePair]) -> tuple[list[PreferencePair], int]:
    """The pairs without repeats (first kept, by :attr:`~PreferencePair.key`) or equal answers; and how many went."""
    kept, seen, dropped = [], set(), 0
    for pair in pairs:
        if pair.key in seen or normalize(pair.chosen) == normalize(pair.rejected):
            dropped += 1
            continue
        seen.add(pair.key)
        kept.append(pair)
    return kept, dropped


# ---- the train/validation split


def _check_fraction(validation: float) -> None:
    if not 0.0 <= validation <= 1.0:
        raise ValueError(f"validation must be a fraction between 0 and 1, not {validation}")


def _position(task_id: str, seed: int) -> float:
    """Where a task falls in [0, 1): a hash of the seed and the id, the same on every machine and run."""
    digest = hashlib.sha256(f"{seed}:{task_id}".encode("utf-8")).hexdigest()
    return int(digest[:16], 16) / 2**64


def is_validation_task(task_id: str, *, validation: float = 0.1, seed: int = 0) -> bool:
    """Whether ``task_id`` is held out for validation, by the rule :func:`split_by_task` uses."""
    _check_fraction(validation)
    return _position(task_id, seed) < validation


def split_by_task(pairs: Sequence[PreferencePair], *, validation: float = 0.1,
                  seed: int = 0) -> tuple[list[PreferencePair], list[PreferencePair]]:
    """``(train, validation)``: whole tasks, about a ``validation`` fraction of them, held out; order kept.

    A task is held out exactly when :func:`is_validation_task` says so, with one exception: with two or more
    tasks and ``validation > 0``, neither side may be empty, so if the rule holds out no task the task nearest
    the line (the lowest hash position) is moved to validation, and if it holds out every task the highest
    is moved back to train.
    """
    _check_fraction(validation)
    task_ids = list(dict.fromkeys(p.task_id for p in pairs))
    held = {t for t in task_ids if is_validation_task(t, validation=validation, seed=seed)}
    if len(task_ids) >= 2 and validation > 0:
        if not held:
            held = {min(task_ids, key=lambda t: (_position(t, seed), t))}
        elif len(held) == len(task_ids):
            held.discard(max(task_ids, key=lambda t: (_position(t, seed), t)))
    return [p for p in pairs if p.task_id not in held], [p for p in pairs if p.task_id in held]


# ---- JSON Lines files


def _lines(pairs: Iterable[PreferencePair]) -> str:
    return "".join(json.dumps(p.to_dict(), ensure_ascii=False) + "\n" for p in pairs)


def write_pairs(path: Path, pairs: Iterable[PreferencePair]) -> Path:
    """Write ``pairs`` as JSON Lines, atomically: a reader sees the old file or the new one, never half of one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = _lines(pairs)
    handle, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return path


def append_pairs(path: Path, pairs: Iterable[PreferencePair]) -> int:
    """Add ``pairs`` to the end of ``path`` (made if missing) and fsync; return how many were added."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    items = list(pairs)
    with open(path, "a", encoding="utf-8") as stream:
        stream.write(_lines(items))
        stream.flush()
        os.fsync(stream.fileno())
    return len(items)


def read_pairs(path: Path) -> list[PreferencePair]:
    """The pairs in a JSON Lines file; anything unreadable is a :class:`PairError` naming ``path:line``."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise PairError(f"cannot read pairs from {path}: {exc}") from None
    pairs = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except ValueError:
            raise PairError(f"{path}:{number}: not JSON") from None
        pairs.append(PreferencePair.from_dict(data, f"{path}:{number}"))
    return pairs
