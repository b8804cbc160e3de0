"""``secgen-lsp``: the language server's entry point.

    secgen-lsp --stdio                 # what editors run
    secgen-lsp --tcp 127.0.0.1:2087    # for debugging with a client that connects
    secgen-lsp --stdio --log-file /tmp/secgen-lsp.log

The server (pygls 2) offers inline and plain completions through the repair
loop, analyzer diagnostics, "Fix with analyzer" code actions, the
``secgen.generate`` command, the ``secgen/stats`` request and the ``secgen/status``
notification (model state, last latency, repairs: for status bars); see the modules
``completions``, ``diagnostics`` and ``actions`` beside this one. Settings come
from ``initializationOptions`` and ``workspace/configuration`` (section
``secgen``; schema in ``settings.schema.json``).

Over stdio the server's life is its client's: when stdin ends (the client
exited, crashed or closed the pipe) or after the ``exit`` notification, it
leaves at once (:func:`leave`). Nobody is left to answer, so it does not wait
for work in flight: a completion streaming from a stalled model server, an
analyzer waiting on a hung tool, would each hold a normal interpreter exit for
as long as their timeouts (Python joins worker threads at exit). It kills the
processes it started (analyzer tools and workers, each in its own process
group, go with their groups), flushes its log and ends with ``os._exit``.
Children are found in ``/proc``; where there is none, they are left to their
own timeouts.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path
from typing import NoReturn

from lsprotocol import types

from secgen import __version__


def make_server():
    from secgen.server import actions, completions, diagnostics
    from secgen.server.app import SecgenServer

    server = SecgenServer()

    @server.feature(types.INITIALIZE)
    def initialize(ls: SecgenServer, params: types.InitializeParams):
        ls.use_lsp_lines()
        ls.apply_settings(params.initialization_options, origin="initializationOptions")

    @server.feature(types.INITIALIZED)
    async def initialized(ls: SecgenServer, params: types.InitializedParams):
        await ls.fetch_configuration()
        diagnostics.reanalyze(ls)  # documents opened while the configuration was on its way
        await ls.load_backend()

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(ls: SecgenServer, params: types.DidChangeConfigurationParams):
        settings = params.settings
        reload = ls.apply_settings(settings, origin="didChangeConfiguration") if isinstance(settings, dict) \
            and settings else await ls.fetch_configuration()
        if reload:
            asyncio.get_running_loop().create_task(ls.load_backend())
        diagnostics.reanalyze(ls)  # the analyzers or the policy may have changed

    diagnostics.register(server)
    completions.register(server)
    actions.register(server)
    return server


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="secgen-lsp", description="secgen's language server (LSP over stdio or TCP).")
    parser.add_argument("--version", action="version", version=f"secgen-lsp {__version__}")
    transport = parser.add_mutually_exclusive_group()
    transport.add_argument("--stdio", action="store_true", help="speak LSP over stdin/stdout (the default)")
    transport.add_argument("--tcp", metavar="HOST:PORT", help="listen on a TCP socket, for debugging")
    parser.add_argument("--log-file", help="write the server's log here (default: warnings to stderr)")
    parser.add_argument("--log-level", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR"))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    if args.log_file:
        logging.basicConfig(filename=args.log_file, level=args.log_level,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    else:
        logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="secgen-lsp: %(levelname)s %(message)s")
    server = make_server()
    if args.tcp:
        host, _, port = args.tcp.rpartition(":")
        if not host or not port.isdigit():
            print(f"secgen-lsp: error: --tcp wants HOST:PORT, not {args.tcp!r}", file=sys.stderr)
            return 2
        server.start_tcp(host, int(port))
    else:
        server.start_io(ClientPipe(sys.stdin.buffer), protocol_stdout())
        leave()  # after the exit notification
    return 0


class ClientPipe:
    """The client's end of stdin: where it ends, the server leaves (read on the server's stdin thread)."""

    def __init__(self, stream) -> None:
        self._read = getattr(stream, "read1", stream.read)

    def read1(self, size: int = -1) -> bytes:
        try:
            data = self._read(size)
        except (OSError, ValueError) as exc:  # the stream was closed under the reader
            logging.getLogger(__name__).warning("stdin: %s", exc)
            data = b""
        if not data:
            leave("the client is gone (stdin closed); exiting")
        return data

    read = read1


def leave(reason: str | None = None) -> NoReturn:
    """End the process now, with the processes it started, without waiting for its threads."""
    try:
        if reason:
            logging.getLogger(__name__).info("%s", reason)
        for pid, group in child_processes():
            try:
                if group == pid:  # the leader of its own group: the group goes, with whatever it started
                    os.killpg(pid, signal.SIGKILL)
                else:
                    os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        logging.shutdown()
        sys.stderr.flush()
    finally:  # whatever failed above (stderr may be a closed pipe too), the process ends
        os._exit(0)


def child_processes() -> list[tuple[int, int]]:
    """(pid, process group) of this process's children, from ``/proc`` (empty where there is none)."""
    me, found = os.getpid(), []
    proc = Path("/proc")
    for entry in proc.iterdir() if proc.is_dir() else ():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # it ended meanwhile
            continue
        fields = stat.rpartition(")")[2].split()  # after "pid (command)": state, ppid, pgrp, ...
        if len(fields) >= 3 and int(fields[1]) == me:
            found.append((int(entry.name), int(fields[2])))
    return found


def protocol_stdout():
    """A private copy of stdout for LSP, with file descriptor 1 pointed at stderr.

    llama-cpp-python silences native output while it loads a model by pointing
    fd 1 at /dev/null for a moment; LSP messages written then were lost. And a
    stray print from any library would corrupt the stream. So the protocol
    writes to a duplicate of the original stdout, and fd 1 becomes stderr.
    """
    sys.stdout.flush()
    channel = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    return channel


if __name__ == "__main__":
    raise SystemExit(main())
