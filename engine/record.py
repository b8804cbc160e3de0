"""The one record of a repair-loop run: every attempt, how it was made, what was found, and its scores.

The loop (:mod:`secgen.engine.loop`) returns a :class:`LoopResult`; everything
that keeps or reads a run goes through it:

* the language server shows its best attempt, counts its attempts in its
  stats, and (opt-in) keeps its flawed and clean attempts as preference pairs;
* benchmarks score each attempt (:meth:`LoopResult.scored`) and append one
  :meth:`LoopResult.to_dict` per task to ``results.jsonl``
  (:mod:`secgen.engine.runs`), then read the file back with
  :func:`read_results` to summarize it;
* training pairs flawed with good attempts of such records
  (:func:`secgen.training.pairs.pairs_from_attempts`).

An :class:`Attempt` says how it was made (:data:`ORIGINS`: the model's first
answer, or the code the user already has (``secgen fix``); a mechanical fix of
the attempt before it (``fix``, naming the fixes applied); a guided re-decode;
or a model repair round fed the analyzers' findings), the code it
proposes, every finding (each marked blocking or not), the tokens streamed,
the time spent generating and analyzing, and, once a benchmark has scored it,
its scores (``passed``, ``vulnerable``, ``bleu``...).

**Schema.** :data:`SCHEMA` is written in every record. Version 1 is the shape
benchmark results had before this module (``rounds`` holding ``code``, a
``blocking`` list of ``{analyzer, rule_id, cwe, line}`` with 1-based lines, a
count of ``findings`` and the scores beside them); :meth:`LoopResult.from_dict`
reads it too, so every committed run still loads. A version-1 attempt keeps only
its blocking findings (with their rule and 0-based line; message and severity
were not recorded), and its origin is inferred from its round.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from secgen.analyzers import Finding, Range, Severity
from secgen.engine.jsonl import read_jsonl

SCHEMA = 2
FIRST = "first"  # the model's first answer, or the code to repair (``secgen fix``, "Fix with analyzer")
FIX = "fix"  # mechanical fixes of the attempt before it, no model (secgen.engine.fixes)
GUIDED = "guided"  # the flagged line re-decoded with its construct penalized
REPAIR = "repair"  # a model repair round fed the findings
ORIGINS = (FIRST, FIX, GUIDED, REPAIR)  # cheapest tier first


class RecordError(ValueError):
    """A record that cannot be read; the message says what is wrong (and where, when it knows)."""


@dataclass(frozen=True, kw_only=True)
class Attempt:
    round: int  # 0 is the first answer, 1.. the repair rounds
    text: str  # the code this attempt proposes ("" when nothing usable)
    findings: tuple[Finding, ...] = ()
    blocking: tuple[Finding, ...] = ()  # the findings the policy blocks on (a subset of findings)
    origin: str = ""  # one of ORIGINS; "" means inferred from the round
    prompt: str = ""  # the prompt as sent (chat turns rendered as "role: content"); "" once compacted
    raw: str = ""  # the model's raw answer; "" once compacted
    tokens: int | None = None  # chunks streamed: one a token for llama.cpp and transformers, one an event over HTTP
    seconds: float = 0.0
    generation_s: float = 0.0  # waiting for the model
    analysis_s: float = 0.0  # post-processing and analyzers
    scores: Mapping[str, Any] = field(default_factory=dict)  # a benchmark's figures: passed, vulnerable, bleu...
    fixes: tuple[str, ...] = ()  # origin "fix": the mechanical fixes applied
    rejected: str = ""  # why the function guard refused this attempt ("" when it passed): never the best
    seed: int | None = None  # a sampled (temperature > 0) attempt's seed

    def __post_init__(self) -> None:
        if not self.origin:
            object.__setattr__(self, "origin", FIRST if self.round == 0 else REPAIR)

    def to_dict(self) -> dict:
        data = {"round": self.round, "origin": self.origin, "text": self.text,
                "findings": [f.to_dict() | {"blocking": f in self.blocking} for f in self.findings],
                "tokens": self.tokens, "seconds": round(self.seconds, 4),
                "generation_s": round(self.generation_s, 4), "analysis_s": round(self.analysis_s, 4)}
        data |= {k: v for k, v in (("prompt", self.prompt), ("raw", self.raw)) if v}
        if self.scores:
            data["scores"] = dict(self.scores)
        data |= {k: v for k, v in (("fixes", list(self.fixes)), ("rejected", self.rejected), ("seed", self.seed)) if v}
        return data

    @classmethod
    def from_dict(cls, data: Any) -> "Attempt":
        if not isinstance(data, Mapping):
            raise RecordError("an attempt must be an object")
        if "origin" not in data:  # schema 1 had no origin; schema 2 always writes it
            return _attempt_v1(data)
        try:
            findings = tuple(Finding.from_dict(f) for f in data["findings"])
            blocking = tuple(f for f, d in zip(findings, data["findings"]) if d.get("blocking"))
            return cls(round=int(data["round"]), origin=str(data["origin"]), text=str(data["text"]),
                       findings=findings, blocking=blocking, prompt=data.get("prompt", ""), raw=data.get("raw", ""),
                       tokens=data.get("tokens"), seconds=float(data.get("seconds", 0.0)),
                       generation_s=float(data.get("generation_s", 0.0)),
                       analysis_s=float(data.get("analysis_s", 0.0)), scores=dict(data.get("scores") or {}),
                       fixes=tuple(str(f) for f in data.get("fixes") or ()), rejected=str(data.get("rejected") or ""),
                       seed=data.get("seed"))
        except (KeyError, TypeError, ValueError) as exc:
            raise RecordError(f"not an attempt ({type(exc).__name__}: {exc})") from None


V1_KEYS = {"round", "code", "blocking", "findings", "generation_s", "analysis_s"}


def _attempt_v1(data: Mapping[str, Any]) -> Attempt:
    """A schema-1 round: its blocking findings as far as they were recorded; the other keys are its scores."""
    blocking = data.get("blocking") or []
    if not isinstance(data.get("code") or "", str) or not isinstance(blocking, list) \
            or not all(isinstance(b, Mapping) for b in blocking):
        raise RecordError("not an attempt (a round needs code and a list of blocking findings)")
    found = tuple(Finding(analyzer=str(b.get("analyzer")), rule_id=str(b.get("rule_id")), message="",
                          severity=Severity.INFO, cwe=b.get("cwe"),
                          range=Range.lines(max(0, int(b.get("line") or 1) - 1))) for b in blocking)
    round_no = data.get("round")
    return Attempt(round=round_no if isinstance(round_no, int) else 0, text=data.get("code") or "",
                   findings=found, blocking=found, generation_s=float(data.get("generation_s") or 0.0),
                   analysis_s=float(data.get("analysis_s") or 0.0),
                   scores={k: v for k, v in data.items() if k not in V1_KEYS})


@dataclass(frozen=True, kw_only=True)
class LoopResult:
    best: Attempt | None  # one of attempts (fewest blocking, then fewest findings, then earliest); None: no code
    attempts: tuple[Attempt, ...]
    stop_reason: str
    analyzer_failures: Mapping[str, str] = field(default_factory=dict)
    model_error: str | None = None  # why a repair round's generation failed (stop_reason "model_failed")
    language: str | None = None
    task_id: str | None = None  # set by a benchmark: the task this run answered
    seconds: float | None = None  # the whole run, generation, analysis and scoring

    @property
    def clean(self) -> bool:
        return self.best is not None and not self.best.blocking

    @property
    def text(self) -> str:
        return self.best.text if self.best else ""

    @property
    def residual(self) -> tuple[Finding, ...]:
        return self.best.findings if self.best else ()

    @property
    def first(self) -> Attempt:
        """The answer without the loop: "before" in the paper's tables."""
        return self.attempts[0]

    @property
    def answer(self) -> Attempt:
        """The loop's answer ("after"): its best attempt, or its last when none has code."""
        return self.best or self.attempts[-1]

    @property
    def best_index(self) -> int | None:
        return next((i for i, a in enumerate(self.attempts) if a is self.best), None)

    def with_attempts(self, attempts: Sequence[Attempt]) -> "LoopResult":
        """The same run with each attempt replaced by its counterpart in ``attempts`` (the best stays the best)."""
        index = self.best_index
        attempts = tuple(attempts)
        return replace(self, attempts=attempts, best=None if index is None else attempts[index])

    def compact(self) -> "LoopResult":
        """Without prompts and raw answers (a FIM prompt holds the whole document): what a record keeps."""
        return self.with_attempts([replace(a, prompt="", raw="") for a in self.attempts])

    def scored(self, score: Callable[[Attempt], Mapping[str, Any]]) -> "LoopResult":
        return self.with_attempts([replace(a, scores={**a.scores, **score(a)}) for a in self.attempts])

    def to_dict(self) -> dict:
        data = {"schema": SCHEMA}
        data |= {k: v for k, v in (("task_id", self.task_id), ("language", self.language)) if v is not None}
        data |= {"stop_reason": self.stop_reason, "clean": self.clean, "best": self.best_index,
                 "attempts": [a.to_dict() for a in self.attempts], "analyzer_failures": dict(self.analyzer_failures)}
        if self.model_error:
            data["model_error"] = self.model_error
        if self.seconds is not None:
            data["seconds"] = round(self.seconds, 3)
        return data

    @classmethod
    def from_dict(cls, data: Any) -> "LoopResult":
        """A record of either schema (see the module's docstring); :class:`RecordError` when it is not one."""
        if not isinstance(data, Mapping):
            raise RecordError("a record must be an object")
        schema = data.get("schema", 1)
        if schema not in (1, SCHEMA):
            raise RecordError(f"record schema {schema!r} is not one this secgen reads (1 or {SCHEMA})")
        items = data.get("rounds" if schema == 1 else "attempts")
        if not isinstance(items, list):
            raise RecordError(f"record has no list of {'rounds' if schema == 1 else 'attempts'}")
        attempts = tuple(Attempt.from_dict(a) for a in items)
        if schema == 1:
            best_round = data.get("best_round")
            best = next((a for a in attempts if a.round == best_round), None) if best_round is not None else None
        else:
            index = data.get("best")
            if index is not None and not (isinstance(index, int) and 0 <= index < len(attempts)):
                raise RecordError(f"record's best ({index!r}) is not one of its {len(attempts)} attempts")
            best = None if index is None else attempts[index]
        seconds = data.get("seconds")
        return cls(best=best, attempts=attempts, stop_reason=str(data.get("stop_reason", "")),
                   analyzer_failures=dict(data.get("analyzer_failures") or {}), model_error=data.get("model_error"),
                   language=data.get("language"), task_id=data.get("task_id"),
                   seconds=float(seconds) if isinstance(seconds, (int, float)) else None)


@dataclass(frozen=True, kw_only=True)
class RunFile:
    """A ``results.jsonl`` as read: its header, the last record of each task (in file order), what was skipped."""

    path: Path
    header: Mapping[str, Any]
    results: tuple[LoopResult, ...]
    unreadable: int  # lines that were not JSON (a run cut short) or not a record
    # Each start or resumption of the run: {"started", "command", "machine"} (machine_info: commit, CPU...)
    sessions: tuple[Mapping[str, Any], ...] = ()


def read_results(path: Path) -> RunFile:
    """A results file of a benchmark or mining run, leniently: a line that is not a record is counted, not fatal.

    A task that appears twice (a rerun appended) counts once, with its last record. The file itself must be
    readable (:class:`RecordError` otherwise).
    """
    lines, unreadable = read_jsonl(path, error=RecordError, strict=False, what="results")
    header: Mapping[str, Any] = {}
    by_task: dict[str, LoopResult] = {}
    sessions: list[Mapping[str, Any]] = []
    for line in lines:
        value = line.value
        if isinstance(value, dict) and "header" in value:
            header = value["header"] if isinstance(value["header"], dict) else {}
            continue
        if isinstance(value, dict) and "session" in value:
            if isinstance(value["session"], dict):
                sessions.append(value["session"])
            continue
        try:
            result = LoopResult.from_dict(value)
        except RecordError:
            unreadable += 1
            continue
        if not result.task_id:
            unreadable += 1
            continue
        by_task.pop(result.task_id, None)
        by_task[result.task_id] = result
    return RunFile(path=Path(path), header=header, results=tuple(by_task.values()), unreadable=unreadable,
                   sessions=tuple(sessions))


def read_summary(results: str | Path) -> dict | None:
    """The ``summary.json`` beside a run's ``results.jsonl`` (its first summary), or ``None`` for an unfinished run."""
    path = Path(results).with_name("summary.json")
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    data = data[0] if isinstance(data, list) and data else data
    return data if isinstance(data, dict) else None


def machines_of(sessions: Sequence[Mapping[str, Any]], summary: Mapping[str, Any] | None) -> list[dict]:
    """Every machine a run was made on: each session's (a start or a resumption), then the finished run's
    summary's (older runs record only that one)."""
    found = [dict(s["machine"]) for s in sessions if isinstance(s.get("machine"), dict)]
    if summary is not None and isinstance(summary.get("machine"), dict):
        found.append(dict(summary["machine"]))
    return found


def run_machines(results: str | Path) -> list[dict]:
    """:func:`machines_of` a benchmark run's ``results.jsonl`` and the ``summary.json`` beside it."""
    return machines_of(read_results(Path(results)).sessions, read_summary(results))
