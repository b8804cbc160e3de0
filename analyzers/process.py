"""Running an external analyzer: bounded in time, killed when it hangs, never fatal.

Every analyzer that starts a process (Svace, a SARIF-writing command, a
compiler) goes through :func:`run_tool`. The process runs in its own process
group so that a timeout kills it and everything it started; a missing
executable, a timeout and a crash by signal each become an
:class:`AnalyzerError` with a one-line reason, which the registry reports
while the other analyzers keep running.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

from secgen.analyzers.base import AnalyzerError

OUTPUT_LIMIT = 200_000  # characters of stdout/stderr kept


@dataclass(frozen=True, kw_only=True)
class ToolRun:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    def tail(self, chars: int = 300) -> str:
        text = (self.stderr or self.stdout).strip()
        return text[-chars:].replace("\n", " | ")


def run_tool(argv: Sequence[str], *, cwd: str | Path | None = None, timeout_s: float = 60.0,
             env: Mapping[str, str] | None = None, stdin: str | None = None) -> ToolRun:
    """Run ``argv``; raise :class:`AnalyzerError` if it cannot start, times out, or dies by a signal."""
    started = time.monotonic()
    try:
        process = subprocess.Popen(  # nosec B603: argv comes from the user's analyzer settings, not from code text
            list(argv), cwd=cwd, env=None if env is None else {**os.environ, **env},
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace", start_new_session=True)
    except FileNotFoundError:
        raise AnalyzerError(f"{argv[0]} not found") from None
    except OSError as exc:
        raise AnalyzerError(f"cannot start {argv[0]}: {exc.strerror or exc}") from None
    try:
        stdout, stderr = process.communicate(stdin, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        raise AnalyzerError(f"{Path(argv[0]).name} timed out after {timeout_s:g} s and was killed") from None
    except BaseException:
        _kill_group(process)
        raise
    run = ToolRun(argv=tuple(argv), returncode=process.returncode, stdout=stdout[-OUTPUT_LIMIT:],
                  stderr=stderr[-OUTPUT_LIMIT:], seconds=time.monotonic() - started)
    if run.returncode < 0:
        name = signal.Signals(-run.returncode).name if -run.returncode in signal.Signals._value2member_map_ else run.returncode
        detail = f": {run.tail()}" if run.tail() else ""
        raise AnalyzerError(f"{Path(argv[0]).name} crashed ({name}){detail}")
    return run


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.communicate()
