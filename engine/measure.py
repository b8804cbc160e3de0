"""What a run file records about how fast and where: :func:`percentile` and :func:`machine_info`.

Every timing figure secgen writes (the ``secgen/stats`` request, the latency,
LSP and soak benchmarks, the quality benchmarks' run summaries) is a p50/p95
of the same kind and names the machine it was measured on, so both live here,
once, below everything that reports them: the server and the benchmarks
import this module, and it imports nothing of ours.

``machine_info`` is what makes two run files comparable: the secgen commit,
the CPU (its model name, the vector extensions llama.cpp's speed depends on:
AVX2, AVX-512, AMX), the core count and memory, Python, the platform, the
llama-cpp-python version and, given a model file, its name, size and sha256.
The sha256 of a model (hundreds of MiB) is remembered per file, size and
modification time, so a process that asks twice hashes once.
"""

from __future__ import annotations

import hashlib
import math
import os
import platform
import re
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Iterable, Mapping

HASH_BLOCK_BYTES = 1 << 20
CPU_FLAGS = {"avx2": ("avx2",), "avx512": ("avx512f",), "amx": ("amx_tile", "amx_bf16", "amx_int8")}

# (resolved path, size, mtime in ns) -> sha256 hex digest
_digests: dict[tuple[str, int, int], str] = {}


def percentile(values: Iterable[float], q: float) -> float | None:
    """The ``q``-th percentile, interpolated between the closest ranks (numpy's default); ``None`` when empty.

    The one definition every p50/p95 in secgen uses: the ``secgen/stats`` request and the benchmarks.
    """
    ordered = sorted(values)
    if not ordered:
        return None
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def rate(values: Iterable[bool]) -> float | None:
    """The share of true values; ``None`` when there are none."""
    values = list(values)
    return sum(values) / len(values) if values else None


def percent(value: float | None, missing: str = "\u2013") -> str:
    """A fraction as every table and summary line writes it: ``0.24 -> "24.0%"``; ``missing`` when None."""
    return missing if value is None else f"{100 * value:.1f}%"


def mean(values: Iterable[float | None]) -> float | None:
    """The mean of the values that are not ``None``; ``None`` when there are none."""
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None


# The packages whose version decides what the analyzers find: the loop's (Bandit, pyflakes, tree-sitter) and the
# scorer's (the Insecure Code Detector ships in codeshield and runs its rules through Semgrep)
ANALYZER_PACKAGES = ("bandit", "pyflakes", "tree-sitter", "codeshield", "semgrep")


def machine_info(model_path: str | Path | None = None) -> dict:
    """The machine a run measured, and the model file it loaded when ``model_path`` names one.

    Keys: ``secgen_commit`` (short hash, ``None`` outside a git checkout), ``cpu`` (the model name),
    ``cpu_flags`` (``avx2``, ``avx512``, ``amx``: booleans, all false where ``/proc/cpuinfo`` is not
    readable), ``cpu_count``, ``memory_total_bytes``, ``python``, ``platform``, ``machine`` (the
    architecture), ``llama_cpp_python`` (its version, ``None`` when not installed), ``analyzers`` (the
    version of each analyzer's package, :data:`ANALYZER_PACKAGES`; ``None`` where not installed), and
    ``model_file``, ``model_file_bytes``, ``model_sha256`` (all ``None`` unless ``model_path`` is a file).
    """
    cpuinfo = _read("/proc/cpuinfo")
    info = {
        "secgen_commit": secgen_commit(),
        "cpu": _cpu_name(cpuinfo),
        "cpu_flags": cpu_flags(cpuinfo),
        "cpu_count": os.cpu_count(),
        "memory_total_bytes": _memory_total(_read("/proc/meminfo")),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "llama_cpp_python": _installed_version("llama-cpp-python"),
        "analyzers": {name: _installed_version(name) for name in ANALYZER_PACKAGES},
        "model_file": None, "model_file_bytes": None, "model_sha256": None,
    }
    path = Path(model_path) if model_path is not None else None
    if path is not None and path.is_file():
        info |= {"model_file": path.name, "model_file_bytes": path.stat().st_size, "model_sha256": file_sha256(path)}
    return info


def secgen_commit(folder: Path | None = None) -> str | None:
    """``git rev-parse --short HEAD`` in this package's folder (or ``folder``), with ``+dirty`` when tracked files
    differ from it (the run did not use that commit's code as committed); ``None`` outside a git checkout."""
    def git(*args: str) -> str | None:
        try:
            out = subprocess.run(["git", *args], capture_output=True, text=True, timeout=10,
                                 cwd=folder or Path(__file__).resolve().parent)
        except (OSError, subprocess.SubprocessError):
            return None
        return out.stdout.strip() if out.returncode == 0 else None

    head = git("rev-parse", "--short", "HEAD")
    if not head:
        return None
    changed = git("status", "--porcelain", "--untracked-files=no", "--", ":/")
    return head + ("+dirty" if changed else "")


def cpu_flags(cpuinfo: str) -> dict[str, bool]:
    """Which of AVX2, AVX-512 (``avx512f``) and AMX (any of its tile, bf16, int8 parts) the CPU reports."""
    match = re.search(r"^flags\s*:(.*)$", cpuinfo, re.M)
    flags = set(match.group(1).split()) if match else set()
    return {name: any(flag in flags for flag in names) for name, names in CPU_FLAGS.items()}


def file_sha256(path: str | Path) -> str:
    """The sha256 of a file, read in 1 MiB blocks; remembered while its path, size and mtime stay the same."""
    resolved = Path(path).resolve()
    stat = resolved.stat()
    key = (str(resolved), stat.st_size, stat.st_mtime_ns)
    if key not in _digests:
        digest = hashlib.sha256()
        with resolved.open("rb") as f:
            while block := f.read(HASH_BLOCK_BYTES):
                digest.update(block)
        _digests[key] = digest.hexdigest()
    return _digests[key]


def _read(path: str) -> str:
    try:
        return Path(path).read_text(errors="replace")
    except OSError:
        return ""


def _cpu_name(cpuinfo: str) -> str:
    match = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)
    return match.group(1).strip() if match else platform.processor() or platform.machine()


def _memory_total(meminfo: str) -> int | None:
    match = re.search(r"^MemTotal:\s+(\d+) kB", meminfo, re.M)
    return int(match.group(1)) * 1024 if match else None


def _installed_version(distribution: str) -> str | None:
    try:
        return version(distribution)
    except PackageNotFoundError:
        return None


def cpu_kind(flags: Any) -> str:
    """``AVX-512+AMX``, ``AVX-512``, ``AVX2`` or ``no AVX2`` from :func:`cpu_flags`' dict; ``not recorded`` without one.

    The kinds llama.cpp's kernels differ by: the same model's greedy answers fork between them.
    """
    if not isinstance(flags, dict):
        return "not recorded"
    if flags.get("amx"):
        return "AVX-512+AMX"
    return "AVX-512" if flags.get("avx512") else "AVX2" if flags.get("avx2") else "no AVX2"


def machines_differ(*groups: Iterable[Mapping]) -> str | None:
    """What differs between the machines of runs compared with each other (CPU kind, commit), in words; ``None``
    when nothing recorded differs. A machine that did not record a field does not count as different."""
    machines = [m for group in groups for m in group]
    kinds = list(dict.fromkeys(cpu_kind(m.get("cpu_flags")) for m in machines if isinstance(m.get("cpu_flags"), dict)))
    commits = list(dict.fromkeys(str(m["secgen_commit"]) for m in machines if m.get("secgen_commit")))
    parts = []
    if len(kinds) > 1:
        parts.append(f"CPU kinds ({', '.join(kinds)}: llama.cpp's greedy answers fork between them)")
    if len(commits) > 1:
        parts.append(f"commits ({', '.join(commits)})")
    return "from different " + " and ".join(parts) if parts else None
