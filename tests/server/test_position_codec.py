"""The server's position codec gives pygls' answers, without walking the line in Python."""

from __future__ import annotations

import random

from lsprotocol import types
from pygls.workspace import PositionCodec, TextDocument

from secgen.server.protocol import FastCodec

LINES = ["", "x = 1\n", "a\r\n", "tab\tand spaces   \n", "no newline", "é = 'ü'\n", "emoji 😀 here\n", "\n",
         "😀😀x😀\n", "\ud800 lone\n", "𝔘𝔫𝔦 😀 ü\r\n"]


def test_it_converts_every_position_as_pygls_does():
    rng = random.Random(7)
    for encoding in (types.PositionEncodingKind.Utf16, types.PositionEncodingKind.Utf8,
                     types.PositionEncodingKind.Utf32):
        ours, theirs = FastCodec(encoding), PositionCodec(encoding)
        for _ in range(2000):
            lines = [rng.choice(LINES) for _ in range(rng.randint(0, 4))]
            position = types.Position(line=rng.randint(0, 5), character=rng.randint(0, 24))  # lines past the end too
            expected = theirs.position_from_client_units(lines, types.Position(line=position.line,
                                                                                character=position.character))
            assert ours.position_from_client_units(lines, position) == expected, (lines, position)


def test_a_documents_edits_on_a_very_long_line_come_out_the_same():
    line = "v😀" * 100_000
    expected = TextDocument("file:///a.py", line, position_codec=PositionCodec())
    ours = TextDocument("file:///a.py", line, position_codec=FastCodec())
    at = types.Position(line=0, character=299_991)  # UTF-16 units: 3 per "v😀"
    for document in (expected, ours):
        document.apply_change(types.TextDocumentContentChangePartial(range=types.Range(start=at, end=at), text="X"))
    assert ours.source == expected.source and ours.source[199_994] == "X"


def test_the_server_workspace_uses_it():
    from pygls.workspace import Workspace

    assert isinstance(Workspace(None)._position_codec, FastCodec)


def test_it_counts_client_units_as_pygls_does():
    for encoding in (types.PositionEncodingKind.Utf16, types.PositionEncodingKind.Utf8,
                     types.PositionEncodingKind.Utf32):
        ours, theirs = FastCodec(encoding), PositionCodec(encoding)
        for line in LINES:
            assert ours.client_num_units(line) == theirs.client_num_units(line), (encoding, line)
