"""What a fuzzing run found: one :class:`Report` per seed, their total, and the JSON a long run leaves.

A :class:`Failure` is a server lost in the middle of the stream (see ``tests.fuzz.run``). The JSON
(``--json``) holds the run's settings, the machine, each seed's report and the total; each secgen
seed records the commit its server ran from, since the working tree may change between seeds.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path

from secgen.engine.measure import machine_info, percentile
from tests.fuzz.messages import RESULT
from tests.fuzz.targets import SECGEN, Target


@dataclass(frozen=True, kw_only=True)
class Failure:
    """A server lost in the middle of the stream: it ended (a crash), or stopped answering and was killed."""

    crashed: bool
    cause: str  # "exited with code 1", "answered none of 3 probes in a row within 10 s; killed"
    after_messages: int  # messages of the seed sent when it was noticed: by the probe after it, or the first
    # probe of those it missed (so within one probe of when it happened)
    session_messages: int  # of those, sent to this server process
    last_kinds: tuple[str, ...]  # the kinds of the last messages sent before it was noticed
    stderr_tail: str


@dataclass(kw_only=True)
class Report:
    seed: int
    server: str = SECGEN.name
    revision: str = ""  # for secgen, the commit its server ran from ("+dirty": with uncommitted changes)
    on_crash: str = "stop"
    messages: int = 0  # generated messages and probes, as sent
    probes: int = 0
    requests: int = 0  # ids owed exactly one response
    answered: int = 0  # of those, answered exactly once
    unanswered: int = 0
    duplicates: int = 0  # ids answered more than once
    unexpected: int = 0  # responses to ids owed none, or never sent
    wrong_codes: list[str] = field(default_factory=list)
    crashes: int = 0  # processes that ended before they were told to exit
    hangs: int = 0  # probes not answered in time, and requests a live server never answered
    failures: list[Failure] = field(default_factory=list)  # crashes, and servers killed for not answering
    restarts: int = 0
    stopped: str = ""  # why a restart failed, if one did (the rest of the stream was not sent)
    popups: list[str] = field(default_factory=list)  # window/showMessage not from secgen's own messages
    bad_output: int = 0  # frames from the server that did not parse
    closed: bool = False  # the last server was alive at the end and was told to shut down and exit
    exit_code: int | None = None  # its exit code (None if it had to be killed)
    latencies: list[float] = field(default_factory=list)  # probe round trips, seconds
    codes: Counter = field(default_factory=Counter)  # response codes (0: a result)
    kinds: Counter = field(default_factory=Counter)
    seconds: float = 0.0

    def problems(self) -> list[str]:
        found = [f"{name}: {value}" for name, value in (
            ("crashes", self.crashes), ("hangs", self.hangs), ("unanswered", self.unanswered),
            ("answered twice", self.duplicates), ("answered when owed nothing", self.unexpected),
            ("malformed output frames", self.bad_output)) if value]
        found += [f"server lost after {f.after_messages} messages: {f.cause}" for f in self.failures[:10]]
        found += [f"wrong code: {w}" for w in self.wrong_codes[:10]]
        found += [f"popup: {p}" for p in self.popups[:10]]
        if self.closed and self.exit_code != 0:
            found.append(f"exit code {self.exit_code} after shutdown and exit")
        return found

    def summary(self, label: str | None = None) -> str:
        p50, p95 = (percentile(self.latencies, q) for q in (50, 95))
        latency = f"{p50 * 1000:.1f} ms p50, {p95 * 1000:.1f} ms p95" if self.latencies else "no probes"
        codes = ", ".join(f"{code or 'result'} x{n}" for code, n in sorted(self.codes.items()))
        at = f" at {self.revision}" if self.revision else ""
        lines = [f"{label or f'{self.server} seed {self.seed}{at}'}: {self.messages} messages sent ({self.probes} probes), "
                 f"{self.requests} requests, {self.answered} answered, {self.unanswered} unanswered, "
                 f"{self.crashes} crashes, {self.hangs} hangs; probe latency {latency}; {self.seconds:.0f} s",
                 f"  responses: {codes}"]
        for f in self.failures:
            lines.append(f"  server lost after {f.after_messages} messages ({f.session_messages} to that process): "
                         f"{f.cause}; last sent: {', '.join(f.last_kinds)}; "
                         f"{'restarted' if self.on_crash == 'restart' else 'stopped'}")
            if f.stderr_tail.strip():
                lines.append("    stderr: " + " | ".join(f.stderr_tail.strip().splitlines()[-4:]))
        if self.stopped:
            lines.append(f"  stopped: {self.stopped}")
        return "\n".join(lines)

    def figures(self) -> dict:
        """The report as JSON: the latencies as percentiles, the rest as it is."""
        figures = {f.name: getattr(self, f.name) for f in fields(self)
                   if f.name not in ("latencies", "codes", "kinds", "failures")}
        figures["latency_ms"] = {name: round(percentile(self.latencies, q) * 1000, 2) if self.latencies else None
                                 for name, q in (("p50", 50), ("p95", 95), ("max", 100))}
        figures["codes"] = {"result" if code == RESULT else str(code): n for code, n in sorted(self.codes.items())}
        figures["kinds"] = dict(sorted(self.kinds.items()))
        figures["failures"] = [asdict(f) for f in self.failures]
        return figures


def total(reports: list[Report]) -> Report:
    """The seeds' reports added up."""
    summed = Report(seed=-1, server=reports[0].server, on_crash=reports[0].on_crash,
                    latencies=[x for r in reports for x in r.latencies],
                    failures=[f for r in reports for f in r.failures],
                    codes=sum((r.codes for r in reports), Counter()), kinds=sum((r.kinds for r in reports), Counter()),
                    wrong_codes=[w for r in reports for w in r.wrong_codes], popups=[p for r in reports for p in r.popups],
                    closed=all(r.closed for r in reports),
                    exit_code=next((r.exit_code for r in reports if r.exit_code != 0), 0))
    for name in ("messages", "probes", "requests", "answered", "unanswered", "duplicates", "unexpected", "crashes",
                 "hangs", "restarts", "bad_output", "seconds"):
        setattr(summed, name, sum(getattr(r, name) for r in reports))
    return summed


def write_json(path: Path, args, target: Target, reports: list[Report]) -> None:
    document = {
        "server": target.name,
        "command": list(target.command or ("secgen-lsp", "--stdio", f"(model {target.model})" if target.model
                                           else "(fake model)")),
        "probes": [method for method, _ in target.probes],
        "label": args.label, "seeds": [r.seed for r in reports], "messages_per_seed": args.messages,
        "on_crash": args.on_crash, "probe_every": args.probe_every, "probe_timeout_s": args.probe_timeout,
        "max_missed": args.max_missed, "huge_mb": args.huge_mb,
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "total": total(reports).figures(), "seeds_reports": [r.figures() for r in reports]}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=1) + "\n")
