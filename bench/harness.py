"""What the timing benchmarks' commands share: arguments, progress, load, figures and the results file.

The latency, LSP and soak benchmarks (``secgen bench latency|lsp|soak``) are
run the same way: a positive count on the command line, progress lines on
stderr, the CPU's load average before and after (another process on the CPU
slows every path measured), medians and ratios that may be missing, and at
the end a table on stdout and every figure in a JSON file. Those pieces live
here, once; what a run records about the machine is
:func:`secgen.engine.measure.machine_info`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path
from typing import Mapping, Sequence


def positive_int(text: str) -> int:
    """An ``argparse`` type: an integer of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def progress(message: str) -> None:
    """One progress line on stderr, so stdout keeps only the table."""
    print(message, file=sys.stderr, flush=True)


def load_average() -> list[float] | None:
    """The 1, 5 and 15 minute load averages, rounded; ``None`` where the system has none."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def format_number(value: float | None, fmt: str) -> str:
    """``value`` in ``fmt``, or ``-`` when it is missing."""
    return "-" if value is None else format(value, fmt)


def format_load(value: Sequence[float] | None) -> str:
    """The one-minute load average of :func:`load_average`, or ``?``."""
    return "?" if not value else f"{value[0]:.2f}"


def write_report(report: Mapping, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return path


def publish(report: Mapping, table: str, out: Path, *, prog: str) -> int:
    """Print the table, write the JSON report, and return the exit status (2 when it cannot be written)."""
    print(table)
    try:
        write_report(report, out)
    except OSError as exc:
        print(f"{prog}: error: cannot write {out}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print(f"wrote {out}")
    return 0
