"""Which language server the fuzzer drives: secgen with its fake model, or any other stdio server.

The message stream (``tests.fuzz.messages``) is the same for every server; what
differs is how a session starts, which request probes that the server still
answers, and which rules apply:

* :data:`SECGEN` is ``secgen-lsp --stdio`` with the scripted fake model
  (``secgen.engine.fake``). Its probes are ``secgen/stats`` and a code action
  on a document the stream never touches, and its own rules are checked too
  (``strict``): the response codes ``secgen.server.protocol`` promises, and no
  ``window/showMessage`` popup over a malformed message.
* :func:`other` is any command that speaks LSP on stdin and stdout
  (``pylsp``, ``jedi-language-server``, ``ruff server``). It is initialized as
  a plain client would (no initialization options, a scratch workspace as its
  root and working directory), and probed with requests every Python server
  answers on an open document: ``textDocument/hover`` and
  ``textDocument/documentSymbol``. A probe's answer may be a result or an
  error: either shows the server is still reading and answering. Only the
  rules that hold for every server apply (one response per request, no crash,
  no hang, exit code 0 after ``shutdown`` and ``exit``).

With ``--probes common`` every server, secgen included, is probed with the one request all
four serve: ``textDocument/codeAction`` on the probe document, so the probes do the same
work everywhere (:data:`COMMON_PROBES`). ``--model`` runs secgen with a real model instead of the
fake (a catalog name or a path), so the model's loading and completions are part of the run.

:func:`start` launches a target and brings it to the point where the stream
begins: initialized, with the probe document open. A server that cannot get
there raises :class:`ServerStartError`, whose message is one sentence.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from pathlib import Path

from tests.fuzz.driver import RawServer

PROBE_URI = "file:///fuzz-probe/probe.py"
PROBE_TEXT = "import os\n\n\ndef run(cmd):\n    os.system(cmd)\n"
PROBE_RANGE = {"start": {"line": 4, "character": 0}, "end": {"line": 4, "character": 9}}
SECGEN_PROBES = (("secgen/stats", None),
                 ("textDocument/codeAction", {"textDocument": {"uri": PROBE_URI}, "range": PROBE_RANGE,
                                              "context": {"diagnostics": []}}))
COMMON_PROBES = (("textDocument/codeAction", {"textDocument": {"uri": PROBE_URI}, "range": PROBE_RANGE,
                                              "context": {"diagnostics": []}}),)
OTHER_PROBES = (("textDocument/hover", {"textDocument": {"uri": PROBE_URI}, "position": {"line": 4, "character": 8}}),
                ("textDocument/documentSymbol", {"textDocument": {"uri": PROBE_URI}}))


class ServerStartError(Exception):
    """The server did not start, or did not answer ``initialize``."""


@dataclass(frozen=True, kw_only=True)
class Target:
    name: str
    command: tuple[str, ...] | None  # None: secgen-lsp with the fake model
    probes: tuple[tuple[str, dict | None], ...]
    strict: bool  # secgen's own rules: response codes, no popups
    model: str | None = None  # secgen only: a real model spec instead of the scripted fake


SECGEN = Target(name="secgen", command=None, probes=SECGEN_PROBES, strict=True)


def other(command: str, name: str | None = None) -> Target:
    """Any stdio language server, from its command line as a shell would split it."""
    words = tuple(shlex.split(command))
    if not words:
        raise ValueError("the server command is empty")
    return Target(name=name or Path(words[0]).name, command=words, probes=OTHER_PROBES, strict=False)


def start(target: Target, workdir: Path, *, timeout: float = 60.0) -> RawServer:
    """The target, running in ``workdir``, initialized, with the probe document open."""
    workdir.mkdir(parents=True, exist_ok=True)
    if target.command is None:
        server = RawServer(workdir)
    else:
        workspace = workdir / "workspace"
        workspace.mkdir(exist_ok=True)
        try:
            server = RawServer(workdir, command=list(target.command), cwd=workspace)
        except OSError as error:
            raise ServerStartError(f"could not start {target.name} ({' '.join(target.command)}): "
                                   f"{error.strerror or error}") from None
    try:
        if target.command is None:
            server.initialize(settings={"model": target.model} if target.model else None, timeout=timeout)
        else:
            _initialize_plain(server, workspace, timeout)
    except AssertionError as error:
        server.close(timeout=5.0)
        tail = server.stderr_tail(300).strip().replace("\n", " | ")
        raise ServerStartError(f"{target.name} did not initialize ({error}){'; stderr: ' + tail if tail else ''}") \
            from None
    server.notify("textDocument/didOpen", {"textDocument": {"uri": PROBE_URI, "languageId": "python",
                                                            "version": 1, "text": PROBE_TEXT}})
    return server


def _initialize_plain(server: RawServer, workspace: Path, timeout: float) -> None:
    root = workspace.resolve().as_uri()
    response = server.call("initialize", {
        "processId": os.getpid(), "rootUri": root, "rootPath": str(workspace.resolve()),
        "workspaceFolders": [{"uri": root, "name": workspace.name}], "capabilities": {}}, timeout=timeout)
    assert "result" in response, f"initialize failed: {response.get('error')}"
    server.notify("initialized", {})
