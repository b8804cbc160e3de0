"""What the ``secgen/stats`` request reports: per-stage latencies and counts.

Stages: ``completion`` (a whole completion request), ``generation`` and
``analysis`` (inside every attempt), ``round0``, ``round1``, ... (each attempt
by its round), ``diagnostics`` (one document analysis). Counts: suggestions
offered, repaired (clean after at least one repair round), residual (offered
with blocking findings), hidden (withheld by the residual policy), accepted,
cancelled, and pairs (kept by the opt-in collector, once there are any). Thread-safe: the model runs in worker threads.
The p95s are :func:`secgen.engine.measure.percentile`, as in the benchmarks.
"""

from __future__ import annotations

import statistics
import threading
from collections import defaultdict, deque

from secgen.engine.measure import percentile
from secgen.engine.record import FIRST, LoopResult

WINDOW = 1000  # latencies kept per stage


class ServerStats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._latency: dict[str, deque[float]] = defaultdict(lambda: deque(maxlen=WINDOW))
        self._counts: dict[str, int] = defaultdict(int)

    def time(self, stage: str, seconds: float) -> None:
        with self._lock:
            self._latency[stage].append(seconds)

    def count(self, name: str, n: int = 1) -> None:
        with self._lock:
            self._counts[name] += n

    def record_loop(self, result: LoopResult) -> None:
        for attempt in result.attempts:
            self.time("generation", attempt.generation_s)
            self.time("analysis", attempt.analysis_s)
            self.time(f"round{attempt.round}", attempt.seconds)
        if result.clean and result.best.origin != FIRST and result.attempts[0].blocking:
            self.count("repaired")  # by any tier: a mechanical fix, a guided re-decode or a repair round
            self.count(f"repaired_by_{result.best.origin}")

    def brief(self) -> tuple[float | None, dict[str, int]]:
        """The last completion's milliseconds and the counts: what every ``secgen/status`` carries, without
        sorting the latency windows as :meth:`snapshot` does."""
        with self._lock:
            completions = self._latency.get("completion")
            last = round(completions[-1] * 1000, 2) if completions else None
            counts = {name: self._counts.get(name, 0)
                      for name in ("suggestions", "repaired", "residual", "hidden", "accepted", "cancelled")}
            return last, counts | dict(self._counts)

    def snapshot(self) -> dict:
        with self._lock:
            latencies = {}
            for stage, values in sorted(self._latency.items()):
                ordered = sorted(values)
                latencies[stage] = {
                    "count": len(ordered),
                    "p50_ms": round(statistics.median(ordered) * 1000, 2),
                    "p95_ms": round(percentile(ordered, 95) * 1000, 2),
                    "last_ms": round(values[-1] * 1000, 2),
                }
            counts = {name: self._counts.get(name, 0)
                      for name in ("suggestions", "repaired", "residual", "hidden", "accepted", "cancelled")}
            return {"latency": latencies, "counts": counts | dict(self._counts)}
