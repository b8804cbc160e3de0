"""A process tree, read from ``/proc``: resident memory, threads and children, for the soak command.

Linux only, and on purpose read from outside: the soak measures the language
server and every process below it (the analyzers' worker pool) the way ``ps``
would, without asking the server. A process is named by ``(pid, start time)``,
so a pid the kernel reused for another process is not mistaken for the one
seen before.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence


def _stat(pid: int) -> tuple[int, str, int] | None:
    """(parent pid, state, start time in clock ticks) from ``/proc/PID/stat``; None when gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw.rsplit(")", 1)[1].split()  # the command name may hold spaces and parentheses
    return int(fields[1]), fields[0], int(fields[19])


def process_tree(pid: int) -> list[int]:
    """``pid`` and every process below it."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            children.setdefault(stat[0], []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, ()))
    return tree


def rss_bytes(pid: int, field: str = "VmRSS") -> int:
    """The resident set of one process, or its peak with ``field="VmHWM"``; 0 when it is gone or a zombie."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    found = re.search(rf"^{field}:\s+(\d+) kB", status, re.M)
    return int(found.group(1)) * 1024 if found else 0


def thread_count(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/task"))
    except OSError:
        return 0


def running(identities: Sequence[tuple[int, int]]) -> list[int]:
    """The pids of ``(pid, start time)`` pairs still running (a reused pid has another start time)."""
    alive = []
    for pid, started in identities:
        stat = _stat(pid)
        if stat is not None and stat[2] == started and stat[1] not in "ZX":
            alive.append(pid)
    return alive


@dataclass(frozen=True, kw_only=True)
class Sample:
    request: int
    rss_bytes: int  # the server and every process below it
    server_rss_bytes: int
    server_peak_bytes: int  # the server's peak resident set so far (VmHWM)
    threads: int  # the server's
    children: int  # processes below the server


def take_sample(pid: int, request: int, seen: set[tuple[int, int]]) -> Sample:
    """Measure the tree under ``pid``; add its processes to ``seen`` as (pid, start time)."""
    tree = process_tree(pid)
    for member in tree[1:]:
        if (stat := _stat(member)) is not None:
            seen.add((member, stat[2]))
    return Sample(request=request, rss_bytes=sum(rss_bytes(p) for p in tree), server_rss_bytes=rss_bytes(pid),
                  server_peak_bytes=rss_bytes(pid, "VmHWM"), threads=thread_count(pid), children=len(tree) - 1)
