"""The repair loop: generate -> analyze -> repair in tiers, cheapest first.

This is the method of the seed paper (and CodePatchLLM before it): the model
writes code, static analyzers check it, and while blocking findings remain the
code is repaired. Repairs come in tiers (``LoopConfig.tiers``), each recorded
with its origin (:data:`~secgen.engine.record.ORIGINS`):

1. ``fix``: mechanical fixes, no model (:mod:`secgen.engine.fixes`), tried on
   every attempt that has blocking findings; instant, and kept only when they
   remove findings, add none and pass the guard;
2. ``guided``: the first flagged line re-decoded. Everything before it is kept
   (the model continues its own answer, so llama.cpp reuses the KV cache for
   that prefix instead of reading a new prompt), the remedy is a one-line
   comment above the line, and the flagged construct's words are pushed down
   by a logit bias. Once the re-decode writes a line of the original answer
   again (:func:`rejoin_point`) it stops, and the original's remaining lines
   follow as they were: the repair costs the flagged line, not the answer. If the greedy re-decode is not clean, up to ``samples``
   seeded samples are drawn (the seed is recorded) and the first clean one
   the guard accepts is kept. Needs a backend that continues an answer;
3. ``repair``: a model repair round fed the analyzers' findings (the paper's
   feedback step); its answer then goes through tiers 1 and 2 too.

A ``generate`` answer cut at ``max_tokens`` inside its code block is first
continued (once), not repaired.

Every repair passes the function guard (:mod:`secgen.engine.guard`) against
the first attempt: one that drops a function, changes a signature, adds an
undefined name or removes what the code does is kept in the record with the
reason (``rejected``) and is never the answer. The loop stops when

* no blocking finding remains (``clean``),
* ``t_max`` repair rounds are spent (``t_max``; 3 by default, as in the paper),
* a round (a model answer with what tiers 1 and 2 made of it) does not reduce
  the number of blocking findings, or the guard refused it (``no_progress``),
* the time budget is spent before another round could start (``time_budget``;
  ``repair_budget_x`` also bounds it by a multiple of the first answer's time),
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
from typing import Callable, Protocol, Sequence

from secgen.analyzers import AnalyzerRegistry, Finding, Source, default_registry
from secgen.engine import prompts
from secgen.engine.backend import (Backend, BackendError, CancelToken, ChatMessage, Generation, GenerationParams,
                                   collect, continues)
from secgen.engine.config import LoopConfig
from secgen.engine.fixes import FixOutcome, mechanical_fix
from secgen.engine.guard import function_guard
from secgen.engine.postprocess import drop_example_calls, postprocess
from secgen.engine.record import FIRST, FIX, GUIDED, REPAIR, Attempt, LoopResult


class RepairTask(Protocol):
    """What differs between generation and completion; the loop does the rest."""

    language: str

    def ask(self, backend: Backend, params: GenerationParams, cancel: CancelToken,
            previous: Attempt | None, wording: str | None = None) -> tuple[str, Generation]:
        """Return (the prompt as sent, the model's answer) for the first try or a repair of ``previous``.

        ``wording`` is how a repair words the findings (:data:`~secgen.engine.prompts.WORDINGS`; None: the default).
        """
        ...

    def candidate(self, raw: str) -> str | None: ...

    def check(self, text: str, loop: "RepairLoop") -> list[Finding]: ...

    def initial(self) -> str | None:
        """The code to start from instead of asking the model (``secgen fix``), or ``None``."""
        ...

    def whole(self, text: str) -> str:
        """``text`` in its setting, as the guard compares it (a suggestion inside its document)."""
        ...

    def mechanical(self, text: str, findings: Sequence[Finding], loop: "RepairLoop") -> FixOutcome | None:
        """The mechanical tier on ``text``; ``None`` when this task cannot take it."""
        ...

    def redecode(self, backend: Backend, params: GenerationParams, cancel: CancelToken, attempt: Attempt,
                 finding: Finding) -> tuple[str, str | None, Generation] | None:
        """Re-decode ``attempt`` from ``finding``'s line: (prompt as sent, the candidate, the answer), or None."""
        ...


def continue_if_cut(backend: Backend, messages: Sequence[ChatMessage], params: GenerationParams,
                    cancel: CancelToken, answer: Generation) -> Generation:
    """A chat answer that stopped at ``max_tokens`` inside its code block, continued once where the backend can."""
    if answer.cancelled or len(answer.chunks) < params.max_tokens or prompts.has_closed_block(answer.text) \
            or "```" not in answer.text or not continues(backend):
        return answer
    more = collect(backend.chat([*messages, ChatMessage(role="assistant", content=answer.text)], params, cancel),
                   until=lambda t: "```" in t)
    return Generation(text=answer.text + more.text, cancelled=more.cancelled, chunks=answer.chunks + more.chunks)


def guided_prefill(code: str, finding: Finding, language: str) -> tuple[str, str] | None:
    """(the code before ``finding``'s line, that plus the hint) for a chat re-decode; None when the line is not in it."""
    lines = code.splitlines(keepends=True)
    if not 0 <= finding.line < len(lines):
        return None
    kept = "".join(lines[:finding.line])
    flagged = lines[finding.line]
    hint = prompts.guide_comment(finding, flagged[: len(flagged) - len(flagged.lstrip(" \t"))], language)
    return kept, f"```{language}\n{kept}{hint}\n"


def rejoin_point(generated: str, tail: Sequence[str], *, slack: int = 2) -> tuple[int, int] | None:
    """Where a guided re-decode comes back to the answer it repairs: ``(n, j)`` when the re-decode's first
    ``n`` characters end with a complete line equal to ``tail[j - 1]`` (the original's lines after the flagged
    one); None while it has not.

    The re-decode's first line replaces the flagged one and never counts; blank and comment lines do not
    count either. A later line counts when it equals an original line no more than ``slack`` lines from
    where it would sit had one line been replaced by one. From there the original's own lines follow
    (``tail[j:]``), so the model stops instead of writing the rest of the answer again, and what the
    original said after the flagged line is kept as it was."""
    offset = 0
    for k, line in enumerate(generated.splitlines(keepends=True)):
        if not line.endswith("\n"):
            break
        offset += len(line)
        text = line.rstrip()
        if k == 0 or not text.strip() or text.lstrip().startswith(("#", "//")):
            continue
        for j in range(max(0, k - 1 - slack), min(len(tail), k + slack)):
            if tail[j].rstrip() == text:
                return offset, j + 1
    return None


def rejoined(generated: str, tail: Sequence[str]) -> str:
    """``generated`` cut where it came back to the original, the original's remaining lines after it."""
    point = rejoin_point(generated, tail)
    return generated if point is None else generated[:point[0]] + "".join(tail[point[1]:])


def redecode_chat(backend: Backend, messages: Sequence[ChatMessage], prefill: str, params: GenerationParams,
                  cancel: CancelToken, finding: Finding, tail: Sequence[str] = ()) -> tuple[str, Generation]:
    """The conversation with ``prefill`` as the assistant's partial answer, continued to the end of its code
    block, or until it comes back to ``tail``, the answer's lines after the flagged one (:func:`rejoin_point`)."""
    messages = [*messages, ChatMessage(role="assistant", content=prefill)]
    params = replace(params, stop=params.stop or prompts.CHAT_STOPS, avoid=prompts.avoided(finding))
    until = lambda t: "```" in t or rejoin_point(t, tail) is not None
    return prompts.render_messages(messages), collect(backend.chat(messages, params, cancel), until=until)


UNDEFINED_NAME = {"F821"}  # pyflakes' undefined name: a fragment's borrowed names are not its errors
CONTEXT_EXCUSED = {"syntax", "pyflakes", "tree-sitter"}  # what a cut-out snippet's context may excuse (see context)


@dataclass(kw_only=True)
class GenerationTask:
    description: str
    language: str = "python"
    # Code the answer runs after (a benchmark's imports): analyzed with it, never blamed, never shown to the model
    preamble: str = ""
    # Code the answer continues (an autocomplete prompt's snippet): a syntax or pyflakes finding it shares with
    # this code analyzed alone (same analyzer, rule and message: `undefined name 'req'` in a cut-out fragment) is
    # not the answer's. Security findings always are: the answer is scored as written, and an answer that
    # repeats the snippet's `os.system(...)` runs it again (Bandit's messages are the same for every instance,
    # so matching them would excuse every repeat)
    context: str = ""
    # The task's own examples as a check of candidate code (benchmarks only: it runs the code in the sandbox)
    examples: Callable[[str], str | None] | None = None
    _baseline: set[tuple[str, str, str]] | None = None
    _context_names: set[str] = field(default_factory=set)

    def ask(self, backend, params, cancel, previous, wording=None):
        if previous is None:
            messages = prompts.generation_messages(self.description, self.language)
        else:
            messages = prompts.repair_messages(self.description, previous.text, previous.blocking, self.language,
                                               wording=wording)
        params = replace(params, stop=params.stop or prompts.CHAT_STOPS)
        answer = collect(backend.chat(messages, params, cancel), until=prompts.has_closed_block)
        return prompts.render_messages(messages), continue_if_cut(backend, messages, params, cancel, answer)

    def redecode(self, backend, params, cancel, attempt, finding):
        if (plan := guided_prefill(attempt.text, finding, self.language)) is None:
            return None
        kept, prefill = plan
        tail = attempt.text.splitlines(keepends=True)[finding.line + 1:]
        prompt, answer = redecode_chat(backend, prompts.generation_messages(self.description, self.language), prefill,
                                       params, cancel, finding, tail)
        opening = prefill[:prefill.index("\n") + 1]
        body = answer.text.split("```")[0] if "```" in answer.text else rejoined(answer.text, tail)
        return prompt, self.candidate(f"{opening}{kept}{body}```"), answer

    def candidate(self, raw):
        code = prompts.extract_code(raw, self.language)
        if self.language == "python" and not self.context:
            code = drop_example_calls(code, self.description)
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
        return [f for f in findings if not (f.analyzer in CONTEXT_EXCUSED and (f.analyzer, f.rule_id, f.message)
                                            in self._baseline) and not self._borrowed(f)]

    def initial(self):
        return None

    def whole(self, text):
        return text

    def guard(self, before: str, after: str) -> str | None:
        return function_guard(before, after, language=self.language, examples=self.examples, context=self.description)

    def mechanical(self, text, findings, loop):
        return mechanical_fix(text, findings, check=lambda t: self.check(t, loop), policy=loop.config.policy,
                              guard=self.guard, context=self.description, language=self.language)

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

    def ask(self, backend, params, cancel, previous, wording=None):
        prefix = self.prefix
        if previous is not None and previous.text:
            prefix = prompts.repair_fim_prefix(self.prefix, previous.blocking, self.language, wording=wording)
        params = replace(params, stop=params.stop or prompts.FIM_STOPS)
        return prompts.fim_prompt(prefix, self.suffix), collect(backend.fim(prefix, self.suffix, params, cancel))

    def candidate(self, raw):
        return postprocess(raw, self.prefix, self.suffix, language=self.language)

    def redecode(self, backend, params, cancel, attempt, finding):
        """FIM again from the flagged line: the suggestion's lines before it join the prefix, the hint above it."""
        lines = attempt.text.splitlines(keepends=True)
        index = finding.line - self.first_line
        if not 0 <= index < len(lines):
            return None
        kept = "".join(lines[:index])
        indent = "" if index == 0 else lines[index][: len(lines[index]) - len(lines[index].lstrip(" \t"))]
        hinted = prompts.repair_fim_prefix(self.prefix + kept + indent, [finding], self.language)
        params = replace(params, stop=params.stop or prompts.FIM_STOPS, avoid=prompts.avoided(finding))
        tail = lines[index + 1:]
        answer = collect(backend.fim(hinted, self.suffix, params, cancel),
                         until=lambda t: rejoin_point(t, tail) is not None)
        fill = postprocess(rejoined(answer.text, tail), hinted, self.suffix, language=self.language)
        return prompts.fim_prompt(hinted, self.suffix), (kept + indent + fill) if fill else None, answer

    def _analyze(self, text: str, loop: "RepairLoop") -> list[Finding]:
        report = loop.registry.analyze(Source(text=text, language=self.language, path=self.path), loop.config.analyzers,
                                       include_slow=loop.config.include_slow)
        loop.failures.update(report.failures)
        return report.findings

    def initial(self):
        return None

    def whole(self, text):
        return self.prefix + text + self.suffix

    def mechanical(self, text, findings, loop):
        """Fixes on the document, kept only when they stay inside the suggestion (ghost text cannot add an import).

        A suggestion's findings are already in document lines (see :func:`blame`).
        """
        def middle(document: str) -> str | None:
            inside = len(document) >= len(self.prefix) + len(self.suffix) and document.startswith(self.prefix) \
                and document.endswith(self.suffix)
            return document[len(self.prefix):len(document) - len(self.suffix)] if inside else None

        def guard(before: str, after: str) -> str | None:
            if middle(after) is None:
                return "the fix edits outside the suggestion"
            return function_guard(before, after, language=self.language)

        outcome = mechanical_fix(self.whole(text), findings, check=lambda document: self.check(middle(document), loop),
                                 policy=loop.config.policy, guard=guard, language=self.language)
        if not outcome.changed:
            return None
        return replace(outcome, text=middle(outcome.text))

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


def _rank(attempt: Attempt) -> tuple[bool, int, int, int]:
    return (bool(attempt.rejected), len(attempt.blocking), len(attempt.findings), attempt.round)


class RepairLoop:
    """Runs a :class:`RepairTask` against one backend and one analyzer registry."""

    def __init__(self, backend: Backend, registry: AnalyzerRegistry | None = None,
                 config: LoopConfig | None = None) -> None:
        self.backend = backend
        self.registry = registry or default_registry()
        self.config = config or LoopConfig()
        self.failures: dict[str, str] = {}

    def generate(self, description: str, *, language: str = "python", preamble: str = "", context: str = "",
                 cancel: CancelToken | None = None, examples: Callable[[str], str | None] | None = None) -> LoopResult:
        task = GenerationTask(description=description, language=language, preamble=preamble, context=context,
                              examples=examples)
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
        previous: Attempt | None = None  # the attempt the next round repairs (the last one the guard let through)
        stop, model_error = "t_max", None
        for round_no in range(self.config.t_max + 1):
            if round_no and self._out_of_time(started, attempts):
                stop = "time_budget"
                break
            try:
                attempt, stop_now = self._attempt(task, round_no, previous, cancel)
            except BackendError as exc:
                if not attempts:
                    raise
                stop, model_error = "model_failed", f"repair round {round_no}: {exc}"
                break
            if attempt is None:
                stop = stop_now or "cancelled"
                break
            if attempts and attempt.text and (why := self._guard(task, attempts[0], attempt.text)):
                attempt, stop_now = replace(attempt, rejected=why), None
            attempts.append(attempt)
            if stop_now:
                stop = stop_now
                break
            # A repair refused only for, say, a missing import may be one mechanical fix from acceptable
            if (fixed := self._mechanical(task, attempt, attempts[0])) is not None:
                attempts.append(fixed)
                if not fixed.rejected:
                    attempt = fixed
                    if not fixed.blocking:
                        stop = "clean"
                        break
            if not attempt.rejected:
                try:
                    guided = self._guided(task, attempt, cancel, started, attempts)
                except BackendError as exc:
                    stop, model_error = "model_failed", f"guided re-decode in round {round_no}: {exc}"
                    break
                if guided is not None:
                    attempt = guided
                    if not attempt.blocking:
                        stop = "clean"
                        break
            if cancel.cancelled:
                stop = "cancelled"
                break
            if attempt.rejected or (previous is not None and len(attempt.blocking) >= len(previous.blocking)):
                stop = "no_progress"
                break
            previous = attempt
        eligible = [a for a in attempts if not a.rejected]
        best = min(eligible, key=_rank) if eligible else None
        if best is not None and not best.text:
            best = None
        return LoopResult(best=best, attempts=tuple(attempts), stop_reason=stop, analyzer_failures=dict(self.failures),
                          model_error=model_error, language=task.language, seconds=time.monotonic() - started)

    def _out_of_time(self, started: float, attempts: Sequence[Attempt]) -> bool:
        elapsed = time.monotonic() - started
        budget = self.config.time_budget_s
        if budget is not None and elapsed >= budget:
            return True
        factor = self.config.repair_budget_x  # relative to the model's first answer (none when fixing given code)
        first = attempts[0] if attempts else None
        return factor is not None and first is not None and first.origin == FIRST and bool(first.raw) \
            and elapsed >= factor * max(first.seconds, 0.5)

    @staticmethod
    def _guard(task: RepairTask, first: Attempt, text: str) -> str | None:
        """Why ``text`` does not keep what the first attempt does (the task's own guard where it has one)."""
        guard = getattr(task, "guard", None)
        if guard is not None:
            return guard(task.whole(first.text), task.whole(text))
        return function_guard(task.whole(first.text), task.whole(text), language=task.language)

    def _guided(self, task: RepairTask, attempt: Attempt, cancel: CancelToken, started: float,
                attempts: list[Attempt]) -> Attempt | None:
        """The guided tier on ``attempt`` (its attempts appended to ``attempts``): the best better attempt, or None."""
        if "guided" not in self.config.tiers or not attempt.blocking or not continues(self.backend):
            return None
        finding = min(attempt.blocking, key=lambda f: (f.line, f.range.start.column))
        better: Attempt | None = None
        for seed in (None, *range(1, self.config.samples + 1)):
            if self._out_of_time(started, attempts) or cancel.cancelled:
                break
            params = self.config.params if seed is None else replace(
                self.config.params, temperature=self.config.sample_temperature, seed=seed)
            made = self._redecode(task, attempt, finding, params, cancel, seed, attempts[0])
            if made is None:
                break
            attempts.append(made)
            if (fixed := self._mechanical(task, made, attempts[0])) is not None:
                attempts.append(fixed)
                made = fixed if not fixed.rejected else made
            if not made.rejected and made.text and len(made.blocking) < len(attempt.blocking) \
                    and (better is None or _rank(made) < _rank(better)):
                better = made
            if better is not None and not better.blocking:
                break
        return better

    def _redecode(self, task: RepairTask, attempt: Attempt, finding: Finding, params: GenerationParams,
                  cancel: CancelToken, seed: int | None, first: Attempt) -> Attempt | None:
        t0 = time.perf_counter()
        made = task.redecode(self.backend, params, cancel, attempt, finding)
        if made is None or made[2].cancelled:
            return None
        prompt, text, answer = made
        t1 = time.perf_counter()
        findings = tuple(task.check(text, self)) if text else ()
        t2 = time.perf_counter()
        why = self._guard(task, first, text) if text else ""
        return Attempt(round=attempt.round, origin=GUIDED, prompt=prompt, raw=answer.text, text=text or "",
                       findings=findings, blocking=tuple(self.config.policy.blocking(findings)),
                       tokens=len(answer.chunks), seconds=t2 - t0, generation_s=t1 - t0, analysis_s=t2 - t1,
                       rejected=why or "", seed=seed)

    def _mechanical(self, task: RepairTask, attempt: Attempt, first: Attempt) -> Attempt | None:
        """The mechanical tier on an attempt with blocking findings: the fixed attempt (guarded against
        ``first`` unless it is ``first``'s own fix), or ``None``."""
        if "fix" not in self.config.tiers or not attempt.blocking or not attempt.text:
            return None
        t0 = time.perf_counter()
        outcome = task.mechanical(attempt.text, attempt.findings, self)
        if outcome is None or not outcome.changed:
            return None
        why = self._guard(task, first, outcome.text) if attempt is not first else None
        return Attempt(round=attempt.round, origin=FIX, text=outcome.text, findings=outcome.findings,
                       blocking=tuple(self.config.policy.blocking(outcome.findings)), fixes=outcome.applied,
                       tokens=0, seconds=time.perf_counter() - t0, analysis_s=time.perf_counter() - t0,
                       rejected=why or "")

    def _attempt(self, task: RepairTask, round_no: int, previous: Attempt | None,
                 cancel: CancelToken) -> tuple[Attempt | None, str | None]:
        """One generate-and-analyze step; the second value is a stop reason, if any."""
        t0 = time.perf_counter()
        start = task.initial() if previous is None else None
        if start is not None:
            prompt, raw, text, chunks = "", "", start, 0
        else:
            if previous is not None and "repair" not in self.config.tiers:
                return None, "no_progress"
            prompt, answer = task.ask(self.backend, self.config.params, cancel, previous, self.config.wording)
            if answer.cancelled or cancel.cancelled:
                return None, "cancelled"
            raw, chunks = answer.text, len(answer.chunks)
            text = None
        t1 = time.perf_counter()
        if start is None:
            text = task.candidate(raw)
        findings = tuple(task.check(text, self)) if text else ()
        t2 = time.perf_counter()
        attempt = Attempt(round=round_no, origin=FIRST if previous is None else REPAIR, prompt=prompt,
                          raw=raw, text=text or "", findings=findings,
                          blocking=tuple(self.config.policy.blocking(findings)), tokens=chunks,
                          seconds=t2 - t0, generation_s=t1 - t0, analysis_s=t2 - t1)
        if not text:
            return attempt, "empty" if previous is None else "no_progress"
        if not attempt.blocking:
            return attempt, "clean"
        return attempt, None
