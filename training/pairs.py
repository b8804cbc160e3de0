"""Preference pairs: the record DPO trains on, mined from the repair loop's attempt histories.

A :class:`PreferencePair` is one line of ``pairs.jsonl``::

    {"prompt": [{"role": "system", ...}, {"role": "user", ...}],
     "chosen": "```python\\n...\\n```", "rejected": "```python\\n...\\n```",
     "meta": {"task_id": ..., "source": ..., "language": ..., ...}}

``prompt`` is exactly what the model was asked (the chat turns of
:func:`secgen.engine.prompts.generation_messages`), and both answers are
written the way the model writes them (the code in one fenced block), so DPO
teaches the same turn the server later asks for.

**Pairs from attempts.** Every run of the loop is one record
(:class:`~secgen.engine.record.LoopResult`): its attempts with their blocking
findings and, from a benchmark or mining run (:func:`secgen.engine.runs.run_tasks`,
``results.jsonl``), their scores. An attempt is *flawed* when it has blocking findings, the Insecure
Code Detector calls it ``vulnerable``, or it fails the task's unit tests
(``passed`` is false); it is *good* when it has none of these, and where the
task has tests it must have passed them (a good attempt that was never tested
is not trusted as chosen). :func:`pairs_from_attempts` pairs every distinct
flawed attempt with every distinct good one, most flawed first, at most
``max_pairs`` per prompt, so a task with many rounds cannot dominate the set.
It is the one pair builder: :func:`task_pairs` calls it for a task's attempts
(one record, or several runs pooled by mining), and the language server's
opt-in collector (:mod:`secgen.server.collect`) for an accepted suggestion.

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
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from secgen.engine.jsonl import append_jsonl, read_jsonl, write_jsonl
from secgen.engine.prompts import generation_messages
from secgen.engine.record import Attempt, LoopResult, RecordError, read_results
from secgen.engine.tasks import Task

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


# ---- pairs from the repair loop's attempts


def flaw(attempt: Attempt) -> str | None:
    """Why an attempt is flawed (the first of findings, vulnerable, failed-tests), or ``None``."""
    if attempt.blocking:
        return "findings"
    if attempt.scores.get("vulnerable") is True:
        return "vulnerable"
    return "failed-tests" if attempt.scores.get("passed") is False else None


def _severity(attempt: Attempt) -> int:
    return len(attempt.blocking) + int(attempt.scores.get("vulnerable") is True)


def pairs_from_attempts(attempts: Sequence[Attempt], *, prompt: Sequence[Mapping[str, str]], language: str,
                        meta: Mapping[str, Any], tested: bool = False, max_pairs: int = 4) -> list[PreferencePair]:
    """The pairs one prompt's attempts give: each distinct flawed attempt against each distinct good one.

    An attempt is flawed when :func:`flaw` names a reason; it is good when it has none and, where the task has
    tests (``tested``), it passed them (a good attempt that was never tested is not trusted as chosen). The most
    flawed rejected attempts come first, then the earliest; at most ``max_pairs``. ``meta`` is each pair's
    (``task_id``, ``source``...), to which the rounds, the rejected attempt's blocking findings and its reason
    are added. The language server's collector and mining both make their pairs here.
    """
    if max_pairs < 1:
        raise ValueError("max_pairs must be 1 or more")
    flawed, good, seen = [], [], set()
    for attempt in attempts:
        code = normalize(attempt.text)
        if not code or code in seen:
            continue
        seen.add(code)
        if flaw(attempt):
            flawed.append(attempt)
        elif attempt.scores.get("passed") is True or (attempt.scores.get("passed") is None and not tested):
            good.append(attempt)
    ranked = sorted(itertools.product(flawed, good), key=lambda p: (-_severity(p[0]), p[0].round, p[1].round))
    return [PreferencePair(prompt=tuple(prompt), chosen=fenced(chosen.text, language),
                           rejected=fenced(rejected.text, language),
                           meta={**meta, "rejected_round": rejected.round, "chosen_round": chosen.round,
                                 "rejected_blocking": [f.brief() for f in rejected.blocking],
                                 "reason": flaw(rejected)})
            for rejected, chosen in ranked[:max_pairs]]


def task_prompt(task: Task) -> tuple[dict, ...]:
    """The chat turns a task's answers were asked with."""
    return tuple({"role": m.role, "content": m.content} for m in generation_messages(task.prompt, task.language))


def task_pairs(task: Task, attempts: Sequence[Attempt], *, max_per_task: int = 4) -> list[PreferencePair]:
    """The pairs a task's attempts give (one run of the loop, or several runs pooled), meta naming the task."""
    meta = {"task_id": task.task_id, "source": MINED, "language": task.language} | ({"cwe": task.cwe} if task.cwe else {})
    return pairs_from_attempts(attempts, prompt=task_prompt(task), language=task.language, meta=meta,
                               tested=bool(task.tests), max_pairs=max_per_task)


def pairs_from_record(record: LoopResult, task: Task, *, max_per_task: int = 4) -> list[PreferencePair]:
    """The pairs of one task's record; :class:`PairError` when the record answered another task."""
    if record.task_id not in (None, task.task_id):
        raise PairError(f"record of task {record.task_id!r} given with task {task.task_id!r}")
    return task_pairs(task, record.attempts, max_per_task=max_per_task)


def pairs_from_results(path: Path, tasks: Iterable[Task], *,
                       max_per_task: int = 4) -> tuple[list[PreferencePair], dict[str, int]]:
    """The pairs of every record in a ``results.jsonl`` whose task is in ``tasks``, and counts.

    The counts: ``records`` read, ``pairs`` made, ``skipped`` (records whose task was not given) and
    ``unreadable`` lines (not JSON, cut short, or not a task record); the header line is not counted.
    A task that appears twice (a rerun) counts once, with its last record.
    """
    by_id = {t.task_id: t for t in tasks}
    try:
        run = read_results(path)
    except RecordError as exc:
        raise PairError(str(exc)) from None
    stats = {"records": 0, "pairs": 0, "skipped": 0, "unreadable": run.unreadable}
    pairs = []
    for record in run.results:
        if record.task_id not in by_id:
            stats["skipped"] += 1
            continue
        pairs += pairs_from_record(record, by_id[record.task_id], max_per_task=max_per_task)
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


def write_pairs(path: Path, pairs: Iterable[PreferencePair]) -> Path:
    """Write ``pairs`` as JSON Lines, atomically: a reader sees the old file or the new one, never half of one."""
    return write_jsonl(path, (p.to_dict() for p in pairs))


def append_pairs(path: Path, pairs: Iterable[PreferencePair]) -> int:
    """Add ``pairs`` to the end of ``path`` (made if missing) and fsync; return how many were added."""
    return append_jsonl(path, (p.to_dict() for p in pairs))


def read_pairs(path: Path) -> list[PreferencePair]:
    """The pairs in a JSON Lines file; anything unreadable is a :class:`PairError` naming ``path:line``."""
    lines, _ = read_jsonl(path, error=PairError, what="pairs")
    return [PreferencePair.from_dict(line.value, f"{path}:{line.number}") for line in lines]
