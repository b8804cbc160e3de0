"""ServerStats: the figures behind `secgen/stats` and `secgen/status`."""

from __future__ import annotations

import pytest

from secgen.server.stats import ServerStats


def test_brief_agrees_with_the_snapshot():
    stats = ServerStats()
    assert stats.brief() == (None, {"suggestions": 0, "repaired": 0, "residual": 0, "hidden": 0, "accepted": 0,
                                    "cancelled": 0})
    for seconds in (0.5, 0.25, 1.0):
        stats.time("completion", seconds)
    stats.count("suggestions")
    stats.count("pairs")
    last, counts = stats.brief()
    snapshot = stats.snapshot()
    assert last == snapshot["latency"]["completion"]["last_ms"] == 1000.0
    assert counts == snapshot["counts"] and counts["suggestions"] == 1 and counts["pairs"] == 1
    assert snapshot["latency"]["completion"]["p95_ms"] == pytest.approx(950.0)
