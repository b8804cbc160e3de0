"""The protocol fuzzer: hypothesis-generated LSP traffic against the real ``secgen-lsp --stdio``, or another server.

    python -m tests.fuzz.run                              # 1,000 messages, seed 0
    python -m tests.fuzz.run --messages 10000 --seeds 3   # the long run: seeds 0, 1 and 2, 10,000 messages each
    python -m tests.fuzz.run --messages 300 --seed 7 --huge-mb 1 --keep /tmp/fuzz   # keep the server's log
    python -m tests.fuzz.run --server-cmd "pylsp" --on-crash restart --json /tmp/pylsp.json   # another server

Run from the repository root, with the project's environment. Each seed is one
session of the server (``tests.fuzz.targets``: secgen with the scripted fake
model by default, or ``--server-cmd``): initialize, a 10 MB document
(``--huge-mb``), then the generated messages of ``tests.fuzz.messages``, one
hypothesis example each (a fixed seed gives the same stream, whatever the
server). After every ``--probe-every`` messages a probe (for secgen
``secgen/stats`` or a code action, for others hover or document symbols, on a
document the stream never touches) must be answered within
``--probe-timeout`` seconds. At the end every request owed a response must
have exactly one (and none where none is owed), the process must still be
running, and it must exit with 0 after ``shutdown`` and ``exit``.

A crash is the process ending before it was told to exit; a hang is a probe
not answered within its deadline, or a request a live server never answered.
A server that misses ``--max-missed`` probes in a row is killed. Either way
the run records after how many messages it happened, the kinds of the last
messages sent and the tail of the server's stderr, then, as ``--on-crash``
says, stops sending (``stop``, the default) or starts a fresh server and
sends it the rest of the stream (``restart``); requests the lost server never
answered count as unanswered, not as hangs.

It prints, per seed and in total: messages sent, requests, answered,
unanswered, crashes, hangs and the probes' latency (p50, p95), then the error
codes seen and any broken rule; ``--json`` also writes them to a file. The
exit status is 1 when a rule was broken, 2 when the server did not start. The
CI test (``test_fuzz.py``) runs a short session through :func:`fuzz`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field, replace
from pathlib import Path

from hypothesis import HealthCheck, Phase, Verbosity, given, seed, settings
from hypothesis import strategies as st

from secgen.engine.measure import secgen_commit
from tests.fuzz.driver import RawServer, wait_until
from tests.fuzz.messages import RESULT, Client, Expect, draw_step, huge
from tests.fuzz.report import Failure, Report, total, write_json
from tests.fuzz.targets import COMMON_PROBES, SECGEN, ServerStartError, Target, other, start


@dataclass
class Session:
    """One server process and what it owes: a seed runs one, or one more after each failure with ``restart``."""

    server: RawServer
    expects: dict = field(default_factory=dict)  # msg_id -> Expect
    messages: int = 0
    missed: int = 0  # probes in a row not answered in time
    missed_since: tuple[int, tuple[str, ...]] = (0, ())  # messages and last kinds sent at the first of them
    failure: Failure | None = None


def fuzz(*, seed_value: int, messages: int, workdir: Path, target: Target = SECGEN, on_crash: str = "stop",
         probe_every: int = 5, probe_timeout: float = 10.0, max_missed: int = 3, huge_mb: float = 10.0,
         final_timeout: float = 60.0) -> Report:
    """One seed's stream of ``messages`` generated messages; see the module docstring."""
    started = time.monotonic()
    report = Report(seed=seed_value, server=target.name, on_crash=on_crash)
    sessions = [Session(server=start(target, workdir / "run1"))]
    recent: deque[str] = deque(maxlen=probe_every + 1)
    client = Client()
    huge_bytes = int(huge_mb * 2**20)

    def live() -> Session | None:
        """The session to send to: a fresh one after a failure if ``on_crash`` says so; None once stopped."""
        session = sessions[-1]
        if session.failure is None and not session.server.alive:
            _fail(session, report, recent, crashed=True)
        if session.failure is None:
            return session
        if on_crash == "restart" and not report.stopped:
            try:
                sessions.append(Session(server=start(target, workdir / f"run{len(sessions) + 1}")))
                report.restarts += 1
                return sessions[-1]
            except ServerStartError as error:
                report.stopped = f"could not restart the server: {error}"
        return None

    def send(step) -> None:
        session = live()
        if session is None:
            return
        session.server.send_raw(step.data)
        session.messages += 1
        session.expects.update((e.msg_id, e) for e in step.expect)
        report.messages += 1
        report.kinds[step.kind] += 1
        recent.append(step.kind)
        if report.kinds.total() % probe_every == 0:
            _probe(session, report, target, recent, probe_timeout, max_missed)

    try:
        send(_first_huge(client, huge_bytes))

        @settings(max_examples=messages, database=None, deadline=None, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet)
        @seed(seed_value)
        @given(st.data())
        def one_message(data):
            # drawn even with no server to send it to: hypothesis checks that a replayed example draws the same
            # (a huge document's size is no draw: once stopped, it is made small)
            stopped = bool(report.stopped or on_crash == "stop" and report.failures)
            send(draw_step(data, client, huge_bytes=1 if stopped else huge_bytes))

        one_message()
        last = sessions[-1]
        if last.failure is None and last.server.alive:
            _probe(last, report, target, recent, probe_timeout, max_missed)
        if last.failure is None and last.server.alive:
            _settle(last, final_timeout)
    finally:
        _close(sessions, report, recent)
    for session in sessions:
        _score(session, report, target)
    report.seconds = time.monotonic() - started
    return report


def _close(sessions: list[Session], report: Report, recent) -> None:
    """Tell the last server, if it is still up, to shut down and exit; make sure every process is gone."""
    last = sessions[-1]
    if last.failure is None and not last.server.alive:
        _fail(last, report, recent, crashed=True)
    for session in sessions[:-1]:
        session.server.close(timeout=5.0)
    report.closed = last.failure is None
    report.exit_code = last.server.close() if report.closed else last.server.close(timeout=5.0)


def _first_huge(client: Client, huge_bytes: int):
    """The session's first message: a huge document, whatever the seed draws later."""
    @settings(max_examples=1, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @seed(0)
    @given(st.data())
    def draw(data):
        steps.append(huge(data, client, kind="huge", huge_bytes=huge_bytes))

    steps: list = []
    draw()
    return steps[0]


def _probe(session: Session, report: Report, target: Target, recent, timeout: float, max_missed: int) -> None:
    method, params = target.probes[report.probes % len(target.probes)]
    report.probes += 1
    report.messages += 1
    session.messages += 1
    msg_id = f"probe{report.probes}"
    session.expects[msg_id] = Expect(msg_id=msg_id, method=method,
                                     codes=frozenset({RESULT}) if target.strict else None)
    started = time.perf_counter()
    session.server.request(method, params, msg_id=msg_id)
    if session.server.wait(msg_id, timeout) is not None:
        report.latencies.append(time.perf_counter() - started)
        session.missed = 0
    elif not (session.server.reading and session.server.alive):
        _fail(session, report, recent, crashed=True)  # the probe went to a server that had ended
    else:
        report.hangs += 1
        if not session.missed:
            session.missed_since = (report.messages, tuple(recent))
        session.missed += 1
        if session.missed >= max_missed:
            _fail(session, report, recent, crashed=False,
                  cause=f"answered none of {max_missed} probes in a row within {timeout:g} s; killed")


def _fail(session: Session, report: Report, recent, *, crashed: bool, cause: str = "") -> None:
    """Record the session's server as lost, and make sure its process is gone."""
    process = session.server.process
    if crashed and not wait_until(lambda: process.poll() is not None, 10.0):
        cause = "closed its output but did not exit; killed"
    if process.poll() is None:
        process.kill()
        process.wait(10)
    elif crashed:
        cause = f"exited with code {process.returncode}"
    after, last_kinds = (report.messages, tuple(recent)) if crashed else session.missed_since
    session.failure = Failure(crashed=crashed, cause=cause, after_messages=after,
                              session_messages=session.messages - (report.messages - after), last_kinds=last_kinds,
                              stderr_tail=session.server.stderr_tail())
    report.failures.append(session.failure)
    report.crashes += crashed


def _settle(session: Session, timeout: float) -> None:
    """Wait (up to ``timeout``) until every request owed a response has one."""
    deadline = time.monotonic() + timeout
    for msg_id, expect in session.expects.items():
        if expect.answered:
            session.server.wait(msg_id, max(0.0, deadline - time.monotonic()))


def _score(session: Session, report: Report, target: Target) -> None:
    server = session.server
    for msg_id, expect in session.expects.items():
        got = server.responses.get(msg_id, [])
        if not expect.answered:
            report.unexpected += bool(got)
            continue
        report.requests += 1
        report.answered += len(got) == 1
        report.duplicates += len(got) > 1
        if not got:
            report.unanswered += 1
            # a probe that never came back is a hang already; a lost server's requests are its failure's
            report.hangs += not str(msg_id).startswith("probe") and session.failure is None
        for response in got:
            code = RESULT if "error" not in response else response["error"].get("code")
            report.codes[code] += 1
            if target.strict and expect.codes is not None and code not in expect.codes:
                report.wrong_codes.append(f"{expect.method} {msg_id!r}: {code} (wanted {sorted(expect.codes)})")
    # JSON-RPC lets a server answer a body it could not parse with an error under id null; secgen sends nothing
    report.unexpected += sum(1 for msg_id in server.responses if msg_id not in session.expects
                             and msg_id not in server.ids and (target.strict or msg_id is not None))
    if target.strict:
        report.popups += [text for text in server.shown if not text.startswith("secgen: ")]
    report.bad_output += server.bad_output


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1000, help="generated messages per seed (default 1000)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--seeds", type=int, default=1, help="run seeds 0 .. N-1 (default 1)")
    group.add_argument("--seed", type=int, help="run this one seed")
    parser.add_argument("--server-cmd", help="fuzz this stdio language server instead of secgen, e.g. \"pylsp\"")
    parser.add_argument("--label", help="the server's name in the output (default: the command's first word)")
    parser.add_argument("--on-crash", choices=["stop", "restart"], default="stop",
                        help="when the server is lost: stop sending, or start a fresh one (default stop)")
    parser.add_argument("--probes", choices=["own", "common"], default="own",
                        help="own: secgen/stats and a code action for secgen, hover and documentSymbol for the "
                             "others; common: a code action for every server (default own)")
    parser.add_argument("--model", help="secgen only: load this model (catalog name or path) instead of the fake")
    parser.add_argument("--probe-every", type=int, default=5, help="messages between probes (default 5)")
    parser.add_argument("--probe-timeout", type=float, default=10.0, help="seconds a probe may take (default 10)")
    parser.add_argument("--max-missed", type=int, default=3,
                        help="probes missed in a row before the server is killed as hung (default 3)")
    parser.add_argument("--huge-mb", type=float, default=10.0, help="size of the huge documents (default 10 MB)")
    parser.add_argument("--keep", type=Path, help="keep each session's server log and stderr under this folder")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    try:
        if args.model and args.server_cmd:
            raise ValueError("--model is for secgen; another server brings its own")
        target = SECGEN if args.server_cmd is None else other(args.server_cmd, args.label)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    target = replace(target, model=args.model or None,
                     probes=COMMON_PROBES if args.probes == "common" else target.probes)
    args.label = args.label or target.name
    seeds = [args.seed] if args.seed is not None else list(range(args.seeds))
    print(f"fuzzing {args.label}: seeds {', '.join(map(str, seeds))}, {args.messages} messages each; "
          f"on a lost server: {args.on_crash}", flush=True)
    reports = []
    with tempfile.TemporaryDirectory(prefix="secgen-fuzz-") as scratch:
        root = args.keep or Path(scratch)
        for seed_value in seeds:
            try:
                commit = (secgen_commit() or "") if target is SECGEN else ""
                report = fuzz(seed_value=seed_value, messages=args.messages, workdir=root / f"seed{seed_value}",
                              target=target, on_crash=args.on_crash, probe_every=args.probe_every,
                              probe_timeout=args.probe_timeout, max_missed=args.max_missed, huge_mb=args.huge_mb)
            except ServerStartError as error:
                print(f"error: {error}", file=sys.stderr)
                return 2
            report.revision = commit
            reports.append(report)
            print(report.summary(), flush=True)
            for problem in report.problems():
                print(f"  BROKEN: {problem}", flush=True)
    if len(reports) > 1:
        print(total(reports).summary(f"{args.label}, total of {len(reports)} seeds"))
    if args.json:
        write_json(args.json, args, target, reports)
        print(f"wrote {args.json}")
    return 1 if any(r.problems() for r in reports) else 0


if __name__ == "__main__":
    raise SystemExit(main())
