"""STAND-IN for ISP RAS Svace and Svacer, for tests only: the shared test hooks of ``svace`` and ``svacer`` here.

Neither stand-in analyzes anything. Through the environment a test can:

* ``SVACE_STANDIN_LOG``: name a file to which every call appends one JSON line
  (tool, argv, cwd, pid, and the files in cwd), so the test can check the
  command sequence and that it ran in the scratch project;
* ``SVACE_STANDIN_MODE``: ``hang:STEP`` makes that step sleep until it is
  killed (for timeout tests), ``fail:STEP`` makes it exit 3 with a message on
  stderr. STEP is ``init``, ``build``, ``analyze`` or ``sarif``;
* ``SVACE_STANDIN_DATA``: name the folder of recorded (hand-made) results,
  ``tests/analyzers/data/svace`` by default.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

DATA = Path(os.environ.get("SVACE_STANDIN_DATA") or Path(__file__).resolve().parent.parent / "data" / "svace")


def record(tool: str, step: str) -> None:
    """Log this call, then hang or fail if the test asked for it in this step."""
    log = os.environ.get("SVACE_STANDIN_LOG")
    if log:
        cwd = Path.cwd()
        files = sorted(str(p.relative_to(cwd)) for p in cwd.rglob("*")
                       if p.is_file() and ".svace-dir" not in p.parts)
        entry = {"tool": tool, "argv": sys.argv[1:], "cwd": str(cwd), "pid": os.getpid(), "files": files}
        with open(log, "a", encoding="utf-8") as stream:
            stream.write(json.dumps(entry) + "\n")
    mode, _, where = os.environ.get("SVACE_STANDIN_MODE", "").partition(":")
    if where != step:
        return
    if mode == "hang":
        while True:
            time.sleep(60)
    if mode == "fail":
        fail(f"{tool} {step}: error: stand-in asked to fail (SVACE_STANDIN_MODE={mode}:{step})", code=3)


def fail(message: str, *, code: int = 2) -> None:
    print("stand-in progress output on stdout")
    print(message, file=sys.stderr)
    sys.exit(code)


def recorded(name: str, project: Path) -> str:
    """A recorded result with ``${PROJECT}`` replaced by the project's absolute path."""
    return (DATA / name).read_text(encoding="utf-8").replace("${PROJECT}", str(project))
