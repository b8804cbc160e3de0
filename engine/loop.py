"""The repair loop: generate -> analyze -> feed back -> regenerate.

This is the method of the seed paper (and CodePatchLLM before it): the model
writes code, static analyzers check it, and while blocking findings remain the
model is asked again with the analyzers' messages. The loop stops when

* no blocking finding remains (``clean``),
* ``t_max`` repair rounds are spent (``t_max``; 3 by default, as in the paper),
* a round does not reduce the number of blocking findings (``no_progress``),
* the time budget is spent before another round could start (``time_budget``),
* the caller cancels (``cancelled``), or the model offers nothing (``empty``),
* the model fails in a repair round (``model_failed``: a model server that errs
  or stalls; the attempts so far are kept). A failure in the first round has
  nothing to keep: its ``BackendError`` goes to the caller.

It returns a :class:`~secgen.engine.record.LoopResult`: the best attempt (fewest
blocking, then fewest findings, then the earliest) and every attempt, with how
it was made, its prompt, text, findings, tokens and timings. That one record is
what the server shows, benchmarks score and training pairs (see
:mod:`secgen.engine.record`).

Two kinds of task share the loop:

* :class:`GenerationTask`: code from a description, through chat;
* :class:`CompletionTask`: a suggestion at a cursor, through FIM. It analyzes
  the suggestion in its document (prefix + suggestion + suffix) and blames the
  suggestion only for new findings on its own lines, so problems already in the
  user's file are not held against it.
"""

from __future__ import annotations

import re
import textwrap
import time
from dataclasses import dataclass, field, replace
from typing import Protocol, Sequence

from secgen.analyzers import AnalyzerRegistry, Finding, Source, default_registry
from secgen.engine import prompts
from secgen.engine.backend import Backend, BackendError, CancelToken, Generation, GenerationParams, collect
from secgen.engine.config import LoopConfig
from secgen.engine.postprocess import postprocess
from secgen.engine.record import FIRST, REPAIR, Attempt, LoopResult


class RepairTask(Protocol):
    """What differs between generation and completion; the loop does the rest."""

    language: str

    def ask(self, backend: Backend, params: GenerationParams, cancel: CancelToken,
            previous: Attempt | None) -> tuple[str, Generation]:
        """Return (the prompt as sent, the model's answer) for the first try or a repair of ``previous``."""
        ...

    def candidate(self, raw: str) -> str | None: ...

    def check(self, text: str, loop: "RepairLoop") -> list[Finding]: ...


UNDEFINED_NAME = {"F821"}  # pyflakes' undefined name: a fragment's borrowed names are not its errors


@dataclass(kw_only=True)
class GenerationTask:
    description: str
    language: str = "python"
    # Code the answer runs after (a benchmark's imports): analyzed with it, never blamed, never shown to the model
    preamble: str = ""
    # Code the answer continues (an autocomplete prompt's snippet): a finding it shares with this code analyzed
    # alone (same analyzer, rule and message: `undefined name 'req'` in a cut-out fragment) is not the answer's
    context: str = ""
    _baseline: set[tuple[str, str, str]] | None = None
    _context_names: set[str] = field(default_factory=set)

    def ask(self, backend, params, cancel, previous):
        if previous is None:
            messages = prompts.generation_messages(self.description, self.language)
        else:
            messages = prompts.repair_messages(self.description, previous.text, previous.blocking, self.language)
        params = replace(params, stop=params.stop or prompts.CHAT_STOPS)
        return prompts.render_messages(messages), collect(backend.chat(messages, params, cancel),
                                                          until=prompts.has_closed_block)

    def candidate(self, raw):
        code = prompts.extract_code(raw, self.language)
        return code if code.strip() else None

    def _analyze(self, text: str, loop: "RepairLoop") -> list[Finding]:
        preamble = self.preamble + "\n" if self.preamble and not self.preamble.endswith("\n") else self.preamble
        report = loop.registry.analyze(Source(text=preamble + text, language=self.language), loop.config.analyzers,
                                       include_slow=loop.config.include_slow)
        loop.failures.update(report.failures)
        skip = preamble.count("\n")
        return [f.moved(-skip) for f in report.findings if f.line >= skip] if skip else report.findings

    def check(self, text, loop):
        findings = self._analyze(text, loop)
        if not self.context.strip():
            return findings
        if self._baseline is None:
            context = analyzable_fragment(self.context) if self.language == "python" else self.context
            self._baseline = {(f.analyzer, f.rule_id, f.message) for f in self._analyze(context, loop)}
            self._context_names = set(re.findall(r"[A-Za-z_]\w*", self.context))
        return [f for f in findings if (f.analyzer, f.rule_id, f.message) not in self._baseline
                and not self._borrowed(f)]

    def _borrowed(self, finding: Finding) -> bool:
        """An undefined name that the context uses too: it is defined in the code around the snippet."""
        match = re.fullmatch(r"undefined name '(\w+)'", finding.message) if finding.rule_id in UNDEFINED_NAME else None
        return bool(match) and match.group(1) in self._context_names


@dataclass(kw_only=True)
class CompletionTask:
    prefix: str
    suffix: str
    language: str = "python"
    path: str | None = None
    _baseline: list[Finding] | None = None

    @property
    def first_line(self) -> int:
        return self.prefix.count("\n")

    def ask(self, backend, params, cancel, previous):
        prefix = self.prefix
        if previous is not None and previous.text:
            prefix = prompts.repair_fim_prefix(self.prefix, previous.blocking, self.language)
        params = replace(params, stop=params.stop or prompts.FIM_STOPS)
        return prompts.fim_prompt(prefix, self.suffix), collect(backend.fim(prefix, self.suffix, params, cancel))

    def candidate(self, raw):
        return postprocess(raw, self.prefix, self.suffix, language=self.language)

    def _analyze(self, text: str, loop: "RepairLoop") -> list[Finding]:
        report = loop.registry.analyze(Source(text=text, language=self.language, path=self.path), loop.config.analyzers,
                                       include_slow=loop.config.include_slow)
        loop.failures.update(report.failures)
        return report.findings

    def check(self, text, loop):
        if self._baseline is None:
            self._baseline = self._analyze(self.prefix + self.suffix, loop)
        return blame(self._baseline, self._analyze(self.prefix + text + self.suffix, loop),
                     first_line=self.first_line, added_lines=text.count("\n"),
                     own_lines=max(1, text.rstrip("\n").count("\n") + 1))


def analyzable_fragment(code: str, *, max_lines: int = 120) -> str:
    """The longest dedented run of ``code``'s lines that Python parses (a snippet cut out of a file starts
    and ends anywhere, often inside a block); ``code`` itself when no run parses."""
    lines = code.splitlines(keepends=True)[-max_lines:]
    for length in range(len(lines), 0, -1):
        for start in range(0, len(lines) - length + 1):
            candidate = textwrap.dedent("".join(lines[start:start + length]))
            if not candidate.strip():
                continue
            try:
                compile(candidate, "<context>", "exec", dont_inherit=True)
            except (SyntaxError, ValueError):
                continue
            return candidate
    return code


def blame(baseline: Sequence[Finding], findings: Sequence[Finding], *, first_line: int,
          added_lines: int, own_lines: int) -> list[Finding]:
    """Findings on the suggestion's own lines that the document did not already have."""
    known: set[tuple[str, str, int]] = set()
    for f in baseline:
        line = f.line
        if line > first_line:
            line += added_lines
        known.add((f.analyzer, f.rule_id, line))
        if f.line == first_line:  # the cursor's line is split: its tail moves down
            known.add((f.analyzer, f.rule_id, line + added_lines))
    own = range(first_line, first_line + own_lines)
    return [f for f in findings if f.line in own and (f.analyzer, f.rule_id, f.line) not in known]


def _rank(attempt: Attempt) -> tuple[int, int, int]:
    return (len(attempt.blocking), len(attempt.findings), attempt.round)


class RepairLoop:
    """Runs a :class:`RepairTask` against one backend and one analyzer registry."""

    def __init__(self, backend: Backend, registry: AnalyzerRegistry | None = None,
                 config: LoopConfig | None = None) -> None:
        self.backend = backend
        self.registry = registry or default_registry()
        self.config = config or LoopConfig()
        self.failures: dict[str, str] = {}

    def generate(self, description: str, *, language: str = "python", preamble: str = "", context: str = "",
                 cancel: CancelToken | None = None) -> LoopResult:
        task = GenerationTask(description=description, language=language, preamble=preamble, context=context)
        return self.run(task, cancel)

    def complete(self, prefix: str, suffix: str = "", *, language: str = "python", path: str | None = None,
                 cancel: CancelToken | None = None) -> LoopResult:
        return self.run(CompletionTask(prefix=prefix, suffix=suffix, language=language, path=path), cancel)

    def analyze(self, source: Source) -> tuple[list[Finding], list[Finding]]:
        """(all findings, blocking findings) for a whole text, with the loop's analyzers and policy."""
        report = self.registry.analyze(source, self.config.analyzers, include_slow=self.config.include_slow)
        self.failures.update(report.failures)
        return report.findings, self.config.policy.blocking(report.findings)

    def run(self, task: RepairTask, cancel: CancelToken | None = None) -> LoopResult:
        cancel = cancel or CancelToken()
        self.failures = {}
        started = time.monotonic()
        attempts: list[Attempt] = []
        previous: Attempt | None = None
        stop, model_error = "t_max", None
        for round_no in range(self.config.t_max + 1):
            if round_no and self._out_of_time(started):
                stop = "time_budget"
                break
            try:
                attempt, stop_now = self._attempt(task, round_no, previous, cancel)
            except BackendError as exc:
                if not attempts:
                    raise
                stop, model_error = "model_failed", f"repair round {round_no}: {exc}"
                break
            if attempt is not None:
                attempts.append(attempt)
            if stop_now:
                stop = stop_now
                break
            if previous is not None and len(attempt.blocking) >= len(previous.blocking):
                stop = "no_progress"
                break
            previous = attempt
        best = min(attempts, key=_rank) if attempts else None
        if best is not None and not best.text:
            best = None
        return LoopResult(best=best, attempts=tuple(attempts), stop_reason=stop, analyzer_failures=dict(self.failures),
                          model_error=model_error, language=task.language, seconds=time.monotonic() - started)

    def _out_of_time(self, started: float) -> bool:
        budget = self.config.time_budget_s
        return budget is not None and time.monotonic() - started >= budget

    def _attempt(self, task: RepairTask, round_no: int, previous: Attempt | None,
                 cancel: CancelToken) -> tuple[Attempt | None, str | None]:
        """One generate-and-analyze step; the second value is a stop reason, if any."""
        t0 = time.perf_counter()
        prompt, answer = task.ask(self.backend, self.config.params, cancel, previous)
        if answer.cancelled or cancel.cancelled:
            return None, "cancelled"
        t1 = time.perf_counter()
        text = task.candidate(answer.text)
        findings = tuple(task.check(text, self)) if text else ()
        t2 = time.perf_counter()
        attempt = Attempt(round=round_no, origin=FIRST if previous is None else REPAIR, prompt=prompt,
                          raw=answer.text, text=text or "", findings=findings,
                          blocking=tuple(self.config.policy.blocking(findings)), tokens=len(answer.chunks),
                          seconds=t2 - t0, generation_s=t1 - t0, analysis_s=t2 - t1)
        if not text:
            return attempt, "empty" if previous is None else "no_progress"
        if not attempt.blocking:
            return attempt, "clean"
        return attempt, None
