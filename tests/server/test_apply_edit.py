"""Incremental edits applied by offsets: the same text as the obvious line-by-line way, on any document."""

from __future__ import annotations

import random
import re

import pytest
from lsprotocol import types
from pygls.workspace import PositionCodec, TextDocument

from secgen.server.app import _LSP_LINE, LspTextDocument
from secgen.server.convert import apply_edit, line_start, offset_at, units

PIECES = ["", "x = 1\n", "a\r\n", "\r", "tab\tand spaces   \n", "no newline", "é = 'ü'\n", "emoji 😀 here\n",
          "\n", "😀😀x😀\n", "\ud800 lone\n", "𝔘𝔫𝔦 😀 ü\r\n", "form\x0cfeed\u2028sep\n"]
ENCODINGS = ("utf-16", "utf-8", "utf-32")


def slow_offset(text: str, position: types.Position, encoding: str) -> int | None:
    """The reference: split into LSP lines, count code units one character at a time."""
    lines = re.split(r"(?<=\r\n)|(?<=\r)(?!\n)|(?<=\n)", text)
    if position.line >= len(lines):
        return None
    begin = sum(len(line) for line in lines[:position.line])
    line = lines[position.line].rstrip("\r\n")
    count = 0
    for column, char in enumerate(line):
        if count >= position.character:
            return begin + column
        count += units(char, encoding)
    return begin + len(line)


def random_text(rng: random.Random) -> str:
    return "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 6)))


def cases(seed: int, count: int):
    """``count`` random texts per encoding, with the generator for the positions."""
    rng = random.Random(seed)
    for encoding in ENCODINGS:
        for _ in range(count):
            yield rng, encoding, random_text(rng)


def test_positions_come_out_as_counting_one_character_at_a_time():
    for rng, encoding, text in cases(11, 3000):
        position = types.Position(line=rng.randint(0, 8), character=rng.randint(0, 30))
        assert offset_at(text, position, encoding) == slow_offset(text, position, encoding), (text, position)


def test_line_starts_past_many_lines_at_a_time():
    text = "".join(random.Random(3).choice(["a\n", "\r\n", "bb\r", "\n"]) for _ in range(70_000))
    starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]
    for line in (0, 1, 15, 16, 17, 255, 4096, 4097, 65535, 65536, 65537, len(starts) - 1):
        assert line_start(text, line) == starts[line]
    assert line_start(text, len(starts)) is None
    for size in (1_024, 65_536):  # a \r\n across the end of a block is one break
        text = "a" * (size - 1) + "\r\nb\rc\n"
        assert [line_start(text, n) for n in range(5)] == [0, size + 1, size + 3, size + 5, None]
    assert line_start(text, -1) is None


def test_edits_give_the_text_the_reference_offsets_give():
    for rng, encoding, text in cases(5, 2000):
        start = types.Position(line=rng.randint(0, 7), character=rng.randint(0, 20))
        end = types.Position(line=rng.randint(0, 8), character=rng.randint(0, 20))  # backwards too
        a, b = sorted(len(text) if found is None else found
                      for found in (slow_offset(text, start, encoding), slow_offset(text, end, encoding)))
        got = apply_edit(text, types.Range(start=start, end=end), "NEW", encoding)
        assert got == text[:a] + "NEW" + text[b:], (text, start, end)


def test_edits_inside_lines_agree_with_pygls():
    """Where pygls is right (positions inside a line that ends with a break), the text is the same as its."""
    rng = random.Random(9)
    for encoding in (types.PositionEncodingKind.Utf16, types.PositionEncodingKind.Utf8,
                     types.PositionEncodingKind.Utf32):
        for _ in range(1000):
            text = random_text(rng) + "end\n"
            lines = _LSP_LINE.findall(text)
            one, two = sorted((rng.randrange(len(lines)), rng.randrange(len(lines))))
            start = types.Position(line=one, character=rng.randint(0, units(lines[one].rstrip("\r\n"), encoding)))
            end = types.Position(line=two, character=rng.randint(0, units(lines[two].rstrip("\r\n"), encoding)))
            if (end.line, end.character) < (start.line, start.character):
                continue
            change = types.TextDocumentContentChangePartial(range=types.Range(start=start, end=end), text="Z")
            theirs = LspTextDocument("file:///a.py", text, position_codec=PositionCodec(encoding))
            TextDocument._apply_incremental_change(theirs, change)  # pygls' own way, with LSP's lines
            ours = LspTextDocument("file:///a.py", text, position_codec=PositionCodec(encoding))
            ours.apply_change(change)
            assert ours.source == theirs.source, (text, start, end)


def test_an_edit_past_the_end_of_the_last_line_goes_at_the_end():
    """pygls put it before the last character of a line without a break; LSP says the end of the line.

    A range given backwards (pygls copied the text between its ends twice) covers the text between them.
    """
    end = types.Position(line=0, character=99)
    assert apply_edit("abc", types.Range(start=end, end=end), "X") == "abcX"
    past = types.Position(line=5, character=0)
    assert apply_edit("abc\n", types.Range(start=past, end=past), "X") == "abc\nX"
    backwards = types.Range(start=types.Position(line=0, character=2), end=types.Position(line=0, character=1))
    assert apply_edit("abc", backwards, "X") == "aXc"  # the text between the two, as VS Code reads such a range


@pytest.mark.parametrize("document", ["one line", "many lines"])
def test_an_edit_on_a_huge_document_never_splits_it_into_lines(document, monkeypatch):
    """The cost of pygls' way: every edit built a tuple of every line (the fuzzer lost the server to it)."""
    text = "v😀" * 2_000_000 if document == "one line" else "x = 1\n" * 500_000
    ours = LspTextDocument("file:///a.py", text, position_codec=PositionCodec())

    def refuse(self):
        raise AssertionError("the edit split the document into lines")

    monkeypatch.setattr(LspTextDocument, "lines", property(refuse))
    at = types.Position(line=0, character=5_999_991) if document == "one line" else types.Position(line=499_998,
                                                                                                   character=4)
    ours.apply_change(types.TextDocumentContentChangePartial(range=types.Range(start=at, end=at), text="X"))
    expected = 3_999_994 if document == "one line" else 499_998 * 6 + 4
    assert ours.source[expected] == "X" and len(ours.source) == len(text) + 1
