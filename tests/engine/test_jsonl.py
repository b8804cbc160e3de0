"""JSON Lines: strict reads name the bad line, lenient reads count it, writes are atomic or appended and synced."""

from __future__ import annotations

import os

import pytest

from secgen.engine.jsonl import append_jsonl, read_jsonl, write_jsonl


class Bad(Exception):
    pass


def test_strict_reading_names_the_line_and_raises_the_callers_error(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"a": 1}\n\n[2]\n{"cut')
    with pytest.raises(Bad, match=r"x.jsonl:4: not JSON"):
        read_jsonl(path, error=Bad)
    lines, skipped = read_jsonl(path, strict=False)
    assert [(l.number, l.value) for l in lines] == [(1, {"a": 1}), (3, [2])] and skipped == 1
    with pytest.raises(Bad, match=r"cannot read tasks from .*missing.jsonl"):
        read_jsonl(tmp_path / "missing.jsonl", error=Bad, what="tasks")
    path.write_bytes(b"\xff\xfe\n")
    with pytest.raises(Bad, match="cannot read"):
        read_jsonl(path, error=Bad)


def test_writing_replaces_whole_and_appending_adds(tmp_path):
    path = tmp_path / "deep" / "y.jsonl"
    write_jsonl(path, [{"k": "é"}, 3])
    assert path.read_text(encoding="utf-8") == '{"k": "é"}\n3\n'
    assert append_jsonl(path, [{"n": 1}]) == 1 and path.read_text(encoding="utf-8").endswith('{"n": 1}\n')
    write_jsonl(path, [])
    assert path.read_text() == "" and os.listdir(path.parent) == ["y.jsonl"]  # no partial file left behind


def test_a_failed_write_keeps_the_old_file(tmp_path):
    path = write_jsonl(tmp_path / "z.jsonl", [1])

    def values():
        yield 2
        raise RuntimeError("disk gone")

    with pytest.raises(RuntimeError):
        write_jsonl(path, values())
    assert path.read_text() == "1\n" and os.listdir(tmp_path) == ["z.jsonl"]
