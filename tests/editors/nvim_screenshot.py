"""Screenshots of secgen in a real Neovim, for docs/editors.md (run by hand; not a test).

    .venv/bin/python tests/editors/nvim_screenshot.py docs/editors

Neovim's own terminal UI runs in xterm on a virtual screen (Xvfb), and the
steps of ``test_nvim.py`` are driven over its RPC socket, with the real server
and the default model; ImageMagick's ``import`` grabs the screen. Needs
Debian's xvfb, xterm, imagemagick and fonts-dejavu-core.

1. ``nvim-suggestion.png``: ``insecure.py`` above, with secgen's diagnostics
   (virtual text); ``complete_me.py`` below, with the ghost text of the
   repaired suggestion where the raw model wrote ``shell=True``.
2. ``nvim-fix.png``: after accepting it (its remaining low-severity findings
   show as "AI suggestion" diagnostics) and "Fix with analyzer: B301" on
   ``pickle.loads``: the repaired function, and the findings left.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pynvim

from nvim_driver import ROOT, Editor, find_nvim, write_init

from secgen.engine.catalog import DEFAULT_MODEL, model_path

DISPLAY = ":93"
SIZE = (1280, 800)


def shoot(path: Path) -> None:
    subprocess.run(["import", "-display", DISPLAY, "-window", "root", str(path)], check=True)
    print(f"wrote {path}")


def main(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="secgen-nvim-shot-"))
    for name in ("insecure.py", "complete_me.py"):
        shutil.copy(ROOT / "examples" / name, work / name)
    init = write_init(work / "init.lua", model=str(model_path(DEFAULT_MODEL)), log_file=work / "lsp.log",
                      options="")
    with init.open("a") as f:
        f.write('vim.o.termguicolors = true\nvim.o.number = true\nvim.o.signcolumn = "yes"\n'
                'vim.o.laststatus = 2\nvim.o.cmdheight = 1\n')
    socket = str(work / "nvim.sock")
    processes = []
    try:
        processes.append(subprocess.Popen(["Xvfb", DISPLAY, "-screen", "0", f"{SIZE[0]}x{SIZE[1]}x24", "-nolisten", "tcp"]))
        time.sleep(1)
        env = dict(os.environ, DISPLAY=DISPLAY, TERM="xterm-256color", COLORTERM="truecolor")
        processes.append(subprocess.Popen(
            ["xterm", "-geometry", "140x44+0+0", "-fa", "DejaVu Sans Mono", "-fs", "10.5", "-bg", "#14161b",
             "-fg", "#e0e2ea", "-b", "0", "-e", find_nvim(), "-i", "NONE", "-u", str(init), "--listen", socket],
            env=env, cwd=work))
        deadline = time.monotonic() + 30
        while not Path(socket).exists():
            if time.monotonic() > deadline:
                raise SystemExit("nvim did not start")
            time.sleep(0.2)
        ed = Editor(pynvim.attach("socket", path=socket))
        ed.nvim.command("wincmd o")
        first = ed.open(work / "insecure.py")
        ed.attached()
        ed.wait("diagnostics", lambda: any(d["code"] == "B301" for d in ed.diagnostics()), 60)
        ed.wait("model ready", lambda: ed.statusline().startswith("secgen: ready"), 120)
        ed.nvim.command(f"belowright split {work / 'complete_me.py'}")
        ed.attached()
        lines = (work / "complete_me.py").read_text().split("\n")
        ed.cursor(next(i for i, l in enumerate(lines) if l == "    ") + 1, 0)
        ed.keys("A")
        ghost = ed.wait("ghost text", ed.ghost_text, 600)
        print("ghost text:\n" + ghost)
        time.sleep(1)
        shoot(out / "nvim-suggestion.png")
        ed.keys("<Tab>")
        ed.wait("accepted", lambda: "def ping" in ed.text() and ghost.strip().splitlines()[0].strip() in ed.text(), 20)
        ed.keys("<Esc>")
        ed.nvim.command("wincmd k")
        assert ed.nvim.current.buffer.number == first
        ed.cursor(14, 4)
        ed.code_action("Fix with analyzer: B301")
        ed.wait("the fix", lambda: "pickle.loads" not in ed.text(), 600)
        ed.wait("fresh diagnostics", lambda: not any(d["code"] == "B301" for d in ed.diagnostics()), 30)
        time.sleep(2)
        shoot(out / "nvim-fix.png")
        try:
            ed.nvim.command("qa!")
        except (EOFError, OSError):  # the editor is gone before it could answer
            pass
    finally:
        for process in reversed(processes):
            process.terminate()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "editors"))
