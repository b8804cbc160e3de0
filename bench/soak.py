"""Soak: a long run of inline completions through the real server, looking for leaks.

The command starts the real server (``python -m secgen.server.lsp --stdio``)
under the LSP benchmark's scripted editor (:class:`secgen.bench.lsp.ScriptedEditor`,
a real JSON-RPC client over the server's pipes), opens a ~55-line Python
module and, for each of ``--requests`` requests:

1. applies one typing-like edit at the cursor (:class:`Typist`: a few
   characters of a function body being written, a newline with its
   indentation, a typo and its backspace, and, once the body is written,
   deleting it to write it again, so the document stays the same size);
2. sends ``textDocument/inlineCompletion`` at the cursor;
3. decides its fate: with probability ``--cancel`` (0.7) the editor does not
   wait. Half of those are cancelled (``$/cancelRequest``, either at once or
   after a ``secgen/stats`` round trip, when the handler has started), the
   other half are superseded by the next edit and request. Otherwise the
   editor waits for every answer still outstanding.

Every request must end in a result ("answered", counted "with text" when it
offers a suggestion) or a -32800 error ("cancelled"); any other error, and any
request still unanswered after ``ANSWER_DEADLINE_S``, fails the run.

Memory (:mod:`secgen.bench.processes`): the resident set (``VmRSS`` in
``/proc/PID/status``) of the server and every process below it, summed, plus
the server's threads (``/proc/PID/task``) and child processes, sampled every
100 requests when the server is idle (no answer outstanding, the diagnostics of the latest
version published). The baseline is the sample at request 100 (halfway,
for runs under 200 requests). After ``shutdown`` and ``exit`` the server
must have exited by itself and no process seen below it may still run.

Checks (each failure is named; exit status 1 when any fails): no request
unanswered or failed; memory at the end within 10% of the baseline; peak
memory under 1 GiB; no more threads, and no more child processes (the
analyzers' worker pool, ``analyzers/workers.py``), at the end than at the
baseline; none of the processes ever seen below the server left after
exit. A server that cannot start, or a results file that cannot be written,
is exit status 2.

The model is the scripted fake (``engine/fake.py``, a short reply streamed
in 10 ms chunks, so cancellations land mid-generation) unless ``--model``
names one; a catalog model must already be pulled (nothing is downloaded).
The server runs with its default settings otherwise. The table goes to
stdout, progress to stderr, every figure to
``docs/results/runs/soak-<model>-<UTC timestamp>.json``.

    secgen bench soak                                   # 1000 requests, fake model
    secgen bench soak --requests 100 --model 0.5b       # the default model
    python -m secgen.bench.soak --requests 300 --cancel 0.5 --seed 7 --out soak.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Mapping, Sequence

from pygls.exceptions import JsonRpcException, JsonRpcRequestCancelled

from secgen.bench.harness import load_average, positive_int, progress, publish
from secgen.bench.latency import SNIPPET
from secgen.bench.lsp import ScriptedEditor, ServerFailed
from secgen.bench.processes import Sample, running, take_sample
from secgen.engine.catalog import ModelError, inspect_model_file, resolve_spec
from secgen.engine.measure import machine_info

RESULTS_DIR = Path("docs/results/runs")
ANSWER_DEADLINE_S = 300.0  # a completion on the real model takes seconds
SAMPLE_EVERY = 100
BASELINE_AT = 100
MAX_GROWTH = 1.10
MAX_RSS_BYTES = 2**30
TYPO_RATE = 0.04
FAKE_SCRIPT = {"fim": ['return [f"- {row[0]}" for row in rows]\n'], "chunk_delay_s": 0.01}

# The document: the latency benchmark's module with an empty function, the cursor in its body.
_HEAD, _TAIL = SNIPPET.split("def backup", 1)
DOCUMENT_HEAD = _HEAD + "def user_report(conn: sqlite3.Connection) -> list[str]:\n    "
DOCUMENT = DOCUMENT_HEAD + "\n\n\ndef backup" + _TAIL
# What the person types into it, line by line (indentation relative to the body).
BODY = (
    'rows = conn.execute("SELECT name, email FROM users").fetchall()',
    'names = [row["name"] for row in rows]',
    "if not names:",
    "    return []",
    "lines = []",
    "for name in sorted(names):",
    '    lines.append(f"- {name}")',
    "return lines",
)


# -- the typing -----------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Edit:
    """Replace characters ``start:end`` of the text before the edit with ``text``."""

    start: int
    end: int
    text: str
    kind: str  # type | newline | typo | backspace | clear


def apply_edit(text: str, edit: Edit) -> str:
    return text[:edit.start] + edit.text + text[edit.end:]


class Typist:
    """Writes ``body`` at ``cursor`` in ``text`` the way a person types, one edit per call.

    Each call inserts 1 to 3 characters of the current line, or a newline with
    the next line's indentation, or (at ``TYPO_RATE``) a wrong letter, which the
    next call deletes with a backspace. Once the whole body is written it is
    deleted in one edit (a selection deleted) and written again.
    """

    def __init__(self, text: str, cursor: int, rng: random.Random, body: Sequence[str] = BODY) -> None:
        self.text, self.cursor, self.rng, self.body = text, cursor, rng, tuple(body)
        line_start = text.rfind("\n", 0, cursor) + 1
        self.indent = text[line_start:cursor]  # the body's indentation, already typed
        self.block_start = cursor
        self.line, self.column, self.typo = 0, 0, False

    def next_edit(self) -> Edit:
        at = self.cursor
        current = self.body[self.line].lstrip() if self.line < len(self.body) else ""
        if self.typo:
            self.typo = False
            edit = Edit(start=at - 1, end=at, text="", kind="backspace")
        elif self.line >= len(self.body):
            self.line, self.column = 0, 0
            edit = Edit(start=self.block_start, end=at, text="", kind="clear")
        elif self.column >= len(current):
            self.line, self.column = self.line + 1, 0
            if self.line == len(self.body):
                return self.next_edit()
            following = self.body[self.line]
            indent = following[:len(following) - len(following.lstrip())]
            edit = Edit(start=at, end=at, text="\n" + self.indent + indent, kind="newline")
        elif self.rng.random() < TYPO_RATE:
            self.typo = True
            edit = Edit(start=at, end=at, text=self.rng.choice("qxzjvk"), kind="typo")
        else:
            count = self.rng.randint(1, 3)
            edit = Edit(start=at, end=at, text=current[self.column:self.column + count], kind="type")
            self.column += len(edit.text)
        self.text = apply_edit(self.text, edit)
        self.cursor = edit.start + len(edit.text)
        return edit


# -- counting and checking --------------------------------------------------------------


@dataclass(kw_only=True)
class Tally:
    """How the requests ended, and what the editor did with them."""

    answered: int = 0
    with_text: int = 0
    cancelled: int = 0
    errors: int = 0
    unanswered: int = 0
    cancel_sent: int = 0
    superseded: int = 0
    waited: int = 0
    error_messages: list[str] = field(default_factory=list)  # the first few

    def settle(self, answer: asyncio.Future) -> None:
        """Count one request whose answer came."""
        error = answer.exception()
        if error is None:
            self.answered += 1
            result = answer.result()  # an InlineCompletionList, or a list of items
            self.with_text += bool(getattr(result, "items", result))
        elif isinstance(error, JsonRpcRequestCancelled):
            self.cancelled += 1
        else:
            self.errors += 1
            code = f" ({error.code})" if isinstance(error, JsonRpcException) else ""
            if len(self.error_messages) < 5:
                self.error_messages.append(f"{type(error).__name__}{code}: {error}")


def baseline_request(requests: int) -> int:
    return BASELINE_AT if requests >= 2 * BASELINE_AT else max(1, requests // 2)


def failures(report: Mapping) -> list[str]:
    """Every check the run failed, one phrase each; empty when it passed."""
    c, m, t, p = report["counts"], report["memory"], report["threads"], report["processes"]
    found = []
    if c["unanswered"]:
        found.append(f"{c['unanswered']} request(s) unanswered after {ANSWER_DEADLINE_S:.0f} s")
    if c["errors"]:
        found.append(f"{c['errors']} request(s) answered with an error")
    if m["growth"] is not None and m["growth"] > MAX_GROWTH:
        found.append(f"memory grew {100 * (m['growth'] - 1):.1f}% from request {m['baseline_request']} "
                     f"(limit {100 * (MAX_GROWTH - 1):.0f}%)")
    if m["peak_rss_bytes"] >= MAX_RSS_BYTES:
        found.append(f"memory peaked at {m['peak_rss_bytes'] / 2**20:.0f} MiB (limit {MAX_RSS_BYTES / 2**20:.0f} MiB)")
    if t["leaked"]:
        found.append(f"{t['leaked']} more server thread(s) at the end than at request {m['baseline_request']}")
    if p["leaked"]:
        found.append(f"{p['leaked']} more child process(es) of the server at the end than at request "
                     f"{m['baseline_request']}")
    if p["exited_during_run"] is not None:
        found.append(f"the server exited during the run (status {p['exited_during_run']})")
    elif not p["exited_cleanly"]:
        found.append("the server did not exit after shutdown and exit (it was killed)")
    if p["left_after_exit"]:
        found.append(f"{len(p['left_after_exit'])} process(es) of the server's tree still running after it exited")
    return found


# -- the run ----------------------------------------------------------------------------


@dataclass(kw_only=True)
class SoakRun:
    editor: ScriptedEditor
    typist: Typist
    rng: random.Random
    requests: int
    cancel: float
    uri: str = "file:///secgen-soak/users.py"
    tally: Tally = field(default_factory=Tally)
    samples: list[Sample] = field(default_factory=list)
    seen: set[tuple[int, int]] = field(default_factory=set)  # every process seen below the server
    edits: dict[str, int] = field(default_factory=dict)  # per kind
    outstanding: set[asyncio.Future] = field(default_factory=set)
    exited_during_run: int | None = None
    sent: int = 0

    async def drain(self) -> None:
        """Wait for every outstanding answer; count those that do not come in time as unanswered."""
        if self.outstanding:
            done, pending = await asyncio.wait(self.outstanding, timeout=ANSWER_DEADLINE_S)
            for answer in done:
                self.tally.settle(answer)
            self.tally.unanswered += len(pending)
            self.outstanding = set()

    async def request(self, number: int, sample: bool) -> None:
        edit = self.typist.next_edit()
        self.edits[edit.kind] = self.edits.get(edit.kind, 0) + 1
        published = self.editor.expect_publish(self.uri, self.editor.versions[self.uri] + 1) if sample else None
        self.editor.edit(self.uri, edit.start, edit.end, edit.text)
        msg_id = f"soak-{number}"
        self.sent += 1
        self.outstanding.add(self.editor.send_inline(self.uri, self.typist.cursor, msg_id))
        fate = self.rng.random()
        if fate < self.cancel / 2:
            if self.rng.random() < 0.5:
                await self.editor.stats()  # the server reads nothing more before the handler has started
            self.editor.cancel(msg_id)
            self.tally.cancel_sent += 1
        elif fate < self.cancel:
            self.tally.superseded += 1
        else:
            self.tally.waited += 1
            await self.drain()
        if published is not None:
            await self.drain()
            try:
                await asyncio.wait_for(published, ANSWER_DEADLINE_S)
            except asyncio.TimeoutError:
                raise ServerFailed(f"no diagnostics for the edit of request {number} in {ANSWER_DEADLINE_S:.0f} s")
            self.samples.append(take_sample(self.editor.process.pid, number, self.seen))

    async def run(self) -> None:
        baseline = baseline_request(self.requests)
        await self.editor.open(self.uri, self.typist.text)
        for number in range(1, self.requests + 1):
            if self.editor.process.returncode is not None:
                self.exited_during_run = self.editor.process.returncode
                break
            sample = number in (baseline, self.requests) or number % SAMPLE_EVERY == 0
            await self.request(number, sample)
            if sample:
                t, s = self.tally, self.samples[-1]
                progress(f"[{number}/{self.requests}] answered {t.answered}, cancelled {t.cancelled}, errors "
                         f"{t.errors}, unanswered {t.unanswered}; {s.rss_bytes / 2**20:.1f} MiB, {s.threads} threads")
        await self.drain()


# -- the report -------------------------------------------------------------------------


def build_report(run: SoakRun, *, machine: Mapping, settings: Mapping, timings: Mapping, server_counts: Mapping,
                 exited_cleanly: bool, left_after_exit: Sequence[int]) -> dict:
    """Every figure of the run, the checks' verdict included."""
    baseline_at = baseline_request(run.requests)
    base = next((s for s in run.samples if s.request == baseline_at), None)
    end = run.samples[-1] if run.samples else None
    growth = end.rss_bytes / base.rss_bytes if base and end and base.rss_bytes else None
    peak = max([s.rss_bytes for s in run.samples] + [s.server_peak_bytes for s in run.samples], default=0)
    counts = {key: value for key, value in asdict(run.tally).items() if key != "error_messages"}
    report = {
        "benchmark": "soak", "schema": 1, "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": dict(machine), "settings": dict(settings), "timings": dict(timings),
        "counts": {"requests": run.requests, "sent": run.sent, **counts},
        "error_messages": list(run.tally.error_messages), "edits": dict(run.edits),
        "memory": {"baseline_request": baseline_at, "end_request": end.request if end else None,
                   "rss_baseline_bytes": base.rss_bytes if base else None,
                   "rss_end_bytes": end.rss_bytes if end else None, "growth": growth, "peak_rss_bytes": peak,
                   "max_growth": MAX_GROWTH, "max_rss_bytes": MAX_RSS_BYTES},
        "threads": {"baseline": base.threads if base else None, "end": end.threads if end else None,
                    "leaked": max(0, end.threads - base.threads) if base and end else 0},
        "processes": {"children_baseline": base.children if base else None,
                      "children_end": end.children if end else None,
                      "leaked": max(0, end.children - base.children) if base and end else 0,
                      "seen_below_server": len(run.seen),
                      "exited_during_run": run.exited_during_run, "exited_cleanly": exited_cleanly,
                      "left_after_exit": list(left_after_exit)},
        "samples": [asdict(s) for s in run.samples], "server_counts": dict(server_counts),
    }
    report["failures"] = failures(report)
    report["passed"] = not report["failures"]
    return report


def _mib(value: int | None) -> str:
    return "-" if value is None else f"{value / 2**20:.1f}"


def _table(columns: Sequence[str], rows: Sequence[Sequence]) -> list[str]:
    table = [list(columns), *[[str(cell) for cell in row] for row in rows]]
    widths = [max(len(row[i]) for row in table) for i in range(len(columns))]
    return ["  ".join(cell.rjust(width) for cell, width in zip(row, widths)) for row in table]


def format_report(report: Mapping) -> str:
    """The figures a person reads; every one comes from ``report``."""
    m, s, t, c = report["machine"], report["settings"], report["timings"], report["counts"]
    mem, th, p = report["memory"], report["threads"], report["processes"]
    head = (f"secgen soak: {m['model']}, {c['requests']} inline completions (cancel {s['cancel']:.2f}, seed "
            f"{s['seed']}), {m['cpu_count']} CPUs; server ready in {t['server_ready_s']:.1f} s, run "
            f"{t['run_s']:.1f} s; load average {m['load_average_before']} before, {m['load_average_after']} after")
    counts = _table(("requests", "sent", "answered", "with text", "cancelled", "errors", "unanswered"),
                    [(c["requests"], c["sent"], c["answered"], c["with_text"], c["cancelled"], c["errors"],
                      c["unanswered"])])
    editor = (f"the editor: {c['cancel_sent']} cancelled, {c['superseded']} superseded, {c['waited']} waited for; "
              f"edits " + ", ".join(f"{kind} {n}" for kind, n in sorted(report["edits"].items())))
    samples = _table(("request", "tree MiB", "server MiB", "threads", "children"),
                     [(x["request"], _mib(x["rss_bytes"]), _mib(x["server_rss_bytes"]), x["threads"], x["children"])
                      for x in report["samples"]])
    growth = "-" if mem["growth"] is None else f"{100 * (mem['growth'] - 1):+.1f}%"
    figures = (
        f"memory (server + children): {_mib(mem['rss_baseline_bytes'])} MiB at request {mem['baseline_request']}, "
        f"{_mib(mem['rss_end_bytes'])} MiB at request {mem['end_request']} ({growth}, limit "
        f"+{100 * (mem['max_growth'] - 1):.0f}%); peak {_mib(mem['peak_rss_bytes'])} MiB (limit "
        f"{_mib(mem['max_rss_bytes'])} MiB)\n"
        f"threads: {th['baseline']} at request {mem['baseline_request']}, {th['end']} at request "
        f"{mem['end_request']} (leaked {th['leaked']}); child processes {p['children_baseline']} at request "
        f"{mem['baseline_request']}, {p['children_end']} at the end (leaked {p['leaked']}; "
        f"{p['seen_below_server']} seen in all)\n"
        f"exit: {'the server exited after shutdown/exit' if p['exited_cleanly'] else 'the server was killed'}; "
        f"processes of its tree left {len(p['left_after_exit'])}")
    errors = "".join(f"\nerror: {message}" for message in report["error_messages"])
    verdict = "all checks passed" if report["passed"] else "FAILED: " + "; ".join(report["failures"])
    return "\n".join([head, "", *counts, editor, "", *samples, "", figures + errors, f"verdict: {verdict}"])


def default_out_path(model: str, now: datetime | None = None) -> Path:
    now = now or datetime.now(timezone.utc)
    label = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(model).name.removesuffix(".gguf")).strip("-") or "model"
    return RESULTS_DIR / f"soak-{label}-{now.astimezone(timezone.utc):%Y%m%dT%H%M%SZ}.json"


def server_machine_info(model: Mapping, spec: str, load_before: list[float] | None) -> dict:
    """The machine and model file (:func:`secgen.engine.measure.machine_info`), the model the server loaded, and
    the CPU load before and after the run."""
    try:
        path = resolve_spec(spec).path
    except (ModelError, OSError):
        path = None
    info = machine_info(path if path is not None and path.suffix == ".gguf" else None)
    name = "fake (the built-in script)" if spec.startswith("fake:") else model.get("name") or spec
    return info | {"model": name, "load_average_before": load_before, "load_average_after": load_average()}


async def soak(args: argparse.Namespace, spec: str) -> dict:
    """Start the server, run the requests, stop it, check what is left; the report."""
    load_before = load_average()
    rng = random.Random(args.seed)
    editor = ScriptedEditor()
    run = SoakRun(editor=editor, typist=Typist(DOCUMENT, len(DOCUMENT_HEAD), rng), rng=rng,
                  requests=args.requests, cancel=args.cancel)
    options = {"model": spec}
    try:
        model, ready_s = await editor.start_ready(options)
        progress(f"server ready in {ready_s:.1f} s ({model['name']}); {args.requests} requests...")
        started = time.perf_counter()
        await run.run()
        run_s = time.perf_counter() - started
        stats = await editor.stats() if run.exited_during_run is None else {}
    finally:
        exited = await editor.stop()
    settings = {"requests": args.requests, "model": args.model, "cancel": args.cancel, "seed": args.seed,
                "answer_deadline_s": ANSWER_DEADLINE_S, "initialization_options": options,
                "fake_script": FAKE_SCRIPT if args.model == "fake" else None}
    return build_report(run, machine=server_machine_info(model, spec, load_before), settings=settings,
                        timings={"server_ready_s": ready_s, "run_s": run_s}, server_counts=stats.get("counts", {}),
                        exited_cleanly=exited, left_after_exit=running(sorted(run.seen)))


# -- command line -----------------------------------------------------------------------


def _fraction(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {value}")
    return value


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="secgen bench soak", description=__doc__.split("\n\n")[0],
                                     epilog="examples:\n" + __doc__.rsplit("\n\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=positive_int, default=1000, help="inline completions to send (1000)")
    parser.add_argument("--model", default="fake",
                        help="fake (the built-in scripted model, the default), or a model spec: 0.5b, default, ...")
    parser.add_argument("--cancel", type=_fraction, default=0.7,
                        help="share of requests cancelled or superseded instead of waited for (0.7)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the edits and the requests' fates (0)")
    parser.add_argument("--out", type=Path, default=None,
                        help="JSON results file (default: docs/results/runs/soak-<model>-<UTC timestamp>.json)")
    return parser


def server_model(model: str, scratch: Path) -> str:
    """The spec the server loads: the built-in fake's script written to ``scratch``, or a model that is here."""
    if model == "fake":
        script = scratch / "fake-script.json"
        script.write_text(json.dumps(FAKE_SCRIPT), encoding="utf-8")
        return f"fake:{script}"
    spec = resolve_spec(model)
    if spec.kind == "catalog":
        state = inspect_model_file(spec.path, spec.entry)
        if not state.ok:
            raise ModelError(state.problem)
    return model


def main(argv: Sequence[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    prog = "secgen bench soak"
    with tempfile.TemporaryDirectory(prefix="secgen-soak-") as scratch:
        try:
            report = asyncio.run(soak(args, server_model(args.model, Path(scratch))))
        except (ModelError, ServerFailed) as exc:
            print(f"{prog}: error: {exc}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print(f"{prog}: interrupted", file=sys.stderr)
            return 130
    status = publish(report, format_report(report), args.out or default_out_path(args.model), prog=prog)
    if status == 0 and not report["passed"]:
        print(f"{prog}: FAILED: " + "; ".join(report["failures"]), file=sys.stderr)
        return 1
    return status


if __name__ == "__main__":
    sys.exit(main())
