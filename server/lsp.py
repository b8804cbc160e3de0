"""``secgen-lsp``: the language server's entry point.

The server itself (analyzer-gated completions, diagnostics, "fix with
analyzer") is the language-server issue's work; this entry point exists so
editors and packaging can be wired now. ``--help`` documents the transport
options it will take; starting it today reports that it is not built yet.
"""

from __future__ import annotations

import argparse
import sys

from secgen import __version__


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="secgen-lsp", description="secgen's language server (LSP over stdio or TCP).")
    parser.add_argument("--version", action="version", version=f"secgen-lsp {__version__}")
    parser.add_argument("--stdio", action="store_true", help="speak LSP over stdin/stdout (what editors use)")
    parser.add_argument("--tcp", metavar="HOST:PORT", help="listen on a TCP socket, for debugging")
    parser.add_argument("--log-file", help="write the server's log here")
    return parser


def main(argv: list[str] | None = None) -> int:
    make_parser().parse_args(argv)
    print("secgen-lsp: the language server is not built yet (see the language-server issue); "
          "use the `secgen` command meanwhile", file=sys.stderr)
    return 2
