"""The protocol fuzzer: hypothesis-generated LSP traffic against the real ``secgen-lsp --stdio``.

    python -m tests.fuzz.run                              # 1,000 messages, seed 0
    python -m tests.fuzz.run --messages 10000 --seeds 3   # the long run: seeds 0, 1 and 2, 10,000 messages each
    python -m tests.fuzz.run --messages 300 --seed 7 --huge-mb 1 --keep /tmp/fuzz   # keep the server's log

Run from the repository root, with the project's environment. Each seed is one
session of the server with the scripted fake model (``secgen.engine.fake``):
initialize, a 10 MB document (``--huge-mb``), then the generated messages of
``tests.fuzz.messages``, one hypothesis example each (a fixed seed gives the
same stream). After every ``--probe-every`` messages a probe (``secgen/stats``
or a code action on a document the stream never touches) must be answered
within ``--probe-timeout`` seconds. At the end every request owed a response
must have exactly one (and none where none is owed), the process must still
be running, and it must exit with 0 after ``shutdown`` and ``exit``.

It prints, per seed and in total: messages sent, requests, answered, crashes,
hangs and the probes' latency (p50, p95), then the error codes seen and any
broken rule; the exit status is 1 when a rule was broken. The CI test
(``test_fuzz.py``) runs a short session through :func:`fuzz`.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, Phase, Verbosity, given, seed, settings
from hypothesis import strategies as st

from secgen.server.stats import percentile
from tests.fuzz.driver import RawServer
from tests.fuzz.messages import RESULT, Client, Expect, draw_step, huge

PROBE_URI = "file:///fuzz-probe/probe.py"
PROBE_TEXT = "import os\n\n\ndef run(cmd):\n    os.system(cmd)\n"
PROBE_RANGE = {"start": {"line": 4, "character": 0}, "end": {"line": 4, "character": 9}}
PROBES = [("secgen/stats", None),
          ("textDocument/codeAction", {"textDocument": {"uri": PROBE_URI}, "range": PROBE_RANGE,
                                       "context": {"diagnostics": []}})]


@dataclass(kw_only=True)
class Report:
    seed: int
    messages: int = 0  # generated messages and probes, as sent
    probes: int = 0
    requests: int = 0  # ids owed exactly one response
    answered: int = 0  # of those, answered exactly once
    unanswered: int = 0
    duplicates: int = 0  # ids answered more than once
    unexpected: int = 0  # responses to ids owed none, or never sent
    wrong_codes: list[str] = field(default_factory=list)
    crashes: int = 0  # 1 when the process had ended before it was told to exit
    hangs: int = 0  # probes not answered in time, and requests never answered
    popups: list[str] = field(default_factory=list)  # window/showMessage not from secgen's own messages
    bad_output: int = 0  # frames from the server that did not parse
    exit_code: int | None = None
    latencies: list[float] = field(default_factory=list)  # probe round trips, seconds
    codes: Counter = field(default_factory=Counter)  # response codes (0: a result)
    kinds: Counter = field(default_factory=Counter)
    seconds: float = 0.0

    def problems(self) -> list[str]:
        found = [f"{name}: {value}" for name, value in (
            ("crashes", self.crashes), ("hangs", self.hangs), ("unanswered", self.unanswered),
            ("answered twice", self.duplicates), ("answered when owed nothing", self.unexpected),
            ("malformed output frames", self.bad_output)) if value]
        found += [f"wrong code: {w}" for w in self.wrong_codes[:10]]
        found += [f"popup: {p}" for p in self.popups[:10]]
        if self.exit_code != 0:
            found.append(f"exit code {self.exit_code} after shutdown and exit")
        return found

    def summary(self, label: str | None = None) -> str:
        p50, p95 = (percentile(self.latencies, q) for q in (50, 95))
        latency = f"{p50 * 1000:.1f} ms p50, {p95 * 1000:.1f} ms p95" if self.latencies else "no probes"
        codes = ", ".join(f"{code or 'result'} x{n}" for code, n in sorted(self.codes.items()))
        return (f"{label or f'seed {self.seed}'}: {self.messages} messages sent ({self.probes} probes), "
                f"{self.requests} requests, {self.answered} answered, {self.crashes} crashes, {self.hangs} hangs; "
                f"probe latency {latency}; {self.seconds:.0f} s\n  responses: {codes}")


def fuzz(*, seed_value: int, messages: int, workdir: Path, probe_every: int = 5, probe_timeout: float = 10.0,
         huge_mb: float = 10.0, final_timeout: float = 60.0) -> Report:
    """One session of ``messages`` generated messages; see the module docstring."""
    started = time.monotonic()
    report = Report(seed=seed_value)
    server = RawServer(workdir)
    expects: dict = {}
    try:
        server.initialize()
        server.notify("textDocument/didOpen", {"textDocument": {"uri": PROBE_URI, "languageId": "python",
                                                                "version": 1, "text": PROBE_TEXT}})
        client = Client()
        huge_bytes = int(huge_mb * 2**20)

        def send(step) -> None:
            server.send_raw(step.data)
            report.messages += 1
            report.kinds[step.kind] += 1
            expects.update((e.msg_id, e) for e in step.expect)
            if report.kinds.total() % probe_every == 0:
                _probe(server, report, expects, probe_timeout)

        send(_first_huge(client, huge_bytes))

        @settings(max_examples=messages, database=None, deadline=None, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet)
        @seed(seed_value)
        @given(st.data())
        def one_message(data):
            step = draw_step(data, client, huge_bytes=huge_bytes)  # drawn even with the server gone: hypothesis
            if server.alive:  # checks that a replayed example draws the same
                send(step)

        one_message()
        _probe(server, report, expects, probe_timeout)
        _settle(server, expects, final_timeout)
    finally:
        report.crashes = 0 if server.alive else 1
        report.exit_code = server.close()
    _score(server, report, expects)
    report.seconds = time.monotonic() - started
    return report


def _first_huge(client: Client, huge_bytes: int):
    """The session's first message: a huge document, whatever the seed draws later."""
    @settings(max_examples=1, database=None, phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @seed(0)
    @given(st.data())
    def draw(data):
        steps.append(huge(data, client, kind="huge", huge_bytes=huge_bytes))

    steps: list = []
    draw()
    return steps[0]


def _probe(server: RawServer, report: Report, expects: dict, timeout: float) -> None:
    method, params = PROBES[report.probes % len(PROBES)]
    report.probes += 1
    report.messages += 1
    msg_id = f"probe{report.probes}"
    expects[msg_id] = Expect(msg_id=msg_id, method=method, codes=frozenset({RESULT}))
    started = time.perf_counter()
    server.request(method, params, msg_id=msg_id)
    if server.wait(msg_id, timeout) is None:
        report.hangs += 1
    else:
        report.latencies.append(time.perf_counter() - started)


def _settle(server: RawServer, expects: dict, timeout: float) -> None:
    """Wait (up to ``timeout``) until every request owed a response has one."""
    deadline = time.monotonic() + timeout
    for msg_id, expect in expects.items():
        if expect.answered:
            server.wait(msg_id, max(0.0, deadline - time.monotonic()))


def _score(server: RawServer, report: Report, expects: dict) -> None:
    for msg_id, expect in expects.items():
        got = server.responses.get(msg_id, [])
        if not expect.answered:
            report.unexpected += bool(got)
            continue
        report.requests += 1
        report.answered += len(got) == 1
        report.duplicates += len(got) > 1
        if not got:
            report.unanswered += 1
            if not str(msg_id).startswith("probe"):  # a probe that never came back is a hang already
                report.hangs += 1
        for response in got:
            code = RESULT if "error" not in response else response["error"].get("code")
            report.codes[code] += 1
            if expect.codes is not None and code not in expect.codes:
                report.wrong_codes.append(f"{expect.method} {msg_id!r}: {code} (wanted {sorted(expect.codes)})")
    report.unexpected += sum(1 for msg_id in server.responses if msg_id not in expects and msg_id not in server.ids)
    report.popups = [text for text in server.shown if not text.startswith("secgen: ")]
    report.bad_output = server.bad_output


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1000, help="generated messages per seed (default 1000)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--seeds", type=int, default=1, help="run seeds 0 .. N-1 (default 1)")
    group.add_argument("--seed", type=int, help="run this one seed")
    parser.add_argument("--probe-every", type=int, default=5, help="messages between probes (default 5)")
    parser.add_argument("--probe-timeout", type=float, default=10.0, help="seconds a probe may take (default 10)")
    parser.add_argument("--huge-mb", type=float, default=10.0, help="size of the huge documents (default 10 MB)")
    parser.add_argument("--keep", type=Path, help="keep each session's server log and stderr under this folder")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    seeds = [args.seed] if args.seed is not None else list(range(args.seeds))
    reports = []
    with tempfile.TemporaryDirectory(prefix="secgen-fuzz-") as scratch:
        root = args.keep or Path(scratch)
        for seed_value in seeds:
            report = fuzz(seed_value=seed_value, messages=args.messages, workdir=root / f"seed{seed_value}",
                          probe_every=args.probe_every, probe_timeout=args.probe_timeout, huge_mb=args.huge_mb)
            reports.append(report)
            print(report.summary(), flush=True)
            for problem in report.problems():
                print(f"  BROKEN: {problem}", flush=True)
    if len(reports) > 1:
        total = Report(seed=-1, latencies=[x for r in reports for x in r.latencies])
        for name in ("messages", "probes", "requests", "answered", "crashes", "hangs", "seconds"):
            setattr(total, name, sum(getattr(r, name) for r in reports))
        total.codes = sum((r.codes for r in reports), Counter())
        print(total.summary(f"total of {len(reports)} seeds"))
    return 1 if any(r.problems() for r in reports) else 0


if __name__ == "__main__":
    raise SystemExit(main())
