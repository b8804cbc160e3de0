"""The strict GGUF header reader: what it reads back, and every way a hand-made file is refused before allocation.

Files are made here: well-formed ones with ``write_gguf``, malformed ones by
packing the header by hand (``header``, ``kv``) or by cutting and flipping the
bytes of a good one.
"""

from __future__ import annotations

import ctypes
import random
import struct
import tracemalloc
from pathlib import Path

import pytest

from secgen.engine.gguf import (
    GGML_TYPES,
    KEEP_ITEMS,
    LIMITS,
    NOT_GGUF,
    GGUFArray,
    GGUFError,
    ValueType,
    read_gguf,
    write_gguf,
)

MAGIC_BYTES = b"GGUF"  # a cut shorter than this is "not a GGUF file"
METADATA = {
    "general.architecture": "llama",
    "general.name": "tiny ünïcode",
    "general.alignment": 64,
    "llama.block_count": 2,
    "llama.rope.freq_base": 10000.0,
    "tokenizer.ggml.add_bos_token": True,
    "big.signed": -(1 << 40),
    "tokenizer.ggml.tokens": ["<s>", "</s>", "a", "b"],
    "tokenizer.ggml.scores": [0.5, 1.5],
    "tokenizer.ggml.token_type": list(range(KEEP_ITEMS + 1)),
}
TENSORS = [("token_embd.weight", (8, 4)), ("output_norm.weight", (8,)), ("blk.0.attn_q.weight", (16, 2, 2))]


def header(*, version: int = 3, n_tensors: int = 0, n_kv: int = 1) -> bytes:
    return b"GGUF" + struct.pack("<IQQ", version, n_tensors, n_kv)


def string(text: str | bytes, length: int | None = None) -> bytes:
    raw = text.encode() if isinstance(text, str) else text
    return struct.pack("<Q", len(raw) if length is None else length) + raw


def kv(key: str | bytes, kind: int, payload: bytes) -> bytes:
    return string(key) + struct.pack("<I", kind) + payload


def refused(tmp_path: Path, data: bytes) -> str:
    path = tmp_path / "bad.gguf"
    path.write_bytes(data)
    with pytest.raises(GGUFError) as caught:
        read_gguf(path)
    return str(caught.value)


def test_what_is_written_is_read_back(tmp_path: Path) -> None:
    path = write_gguf(tmp_path / "m.gguf", METADATA, TENSORS)
    gguf = read_gguf(path)
    assert gguf.version == 3 and gguf.alignment == 64
    meta = gguf.metadata
    assert {k: meta[k] for k in ("general.architecture", "general.name", "llama.block_count",
                                 "tokenizer.ggml.add_bos_token", "big.signed")} == {
        "general.architecture": "llama", "general.name": "tiny ünïcode", "llama.block_count": 2,
        "tokenizer.ggml.add_bos_token": True, "big.signed": -(1 << 40)}
    assert meta["llama.rope.freq_base"] == pytest.approx(10000.0)
    assert meta["tokenizer.ggml.tokens"] == GGUFArray(item_type=ValueType.STRING, count=4,
                                                      items=("<s>", "</s>", "a", "b"))
    assert meta["tokenizer.ggml.scores"].items == pytest.approx((0.5, 1.5))
    long = meta["tokenizer.ggml.token_type"]
    assert (long.item_type, long.count, long.items) == (ValueType.INT32, KEEP_ITEMS + 1, None)
    assert [(t.name, t.shape, t.nbytes) for t in gguf.tensors] == [
        ("token_embd.weight", (8, 4), 128), ("output_norm.weight", (8,), 32), ("blk.0.attn_q.weight", (16, 2, 2), 256)]
    assert gguf.data_offset % 64 == 0 and all(t.offset % 64 == 0 for t in gguf.tensors)
    last = gguf.tensors[-1]
    assert gguf.data_offset + last.offset + last.nbytes <= gguf.file_size == path.stat().st_size


def test_a_file_that_is_not_gguf_says_so(tmp_path: Path) -> None:
    assert refused(tmp_path, b"PK\x03\x04 a zip file, say" * 10) == NOT_GGUF
    assert refused(tmp_path, b"") == NOT_GGUF
    assert "truncated" in refused(tmp_path, b"GGUF\x03\x00")


def test_every_cut_of_a_good_file_is_refused_as_truncated(tmp_path: Path) -> None:
    data = write_gguf(tmp_path / "m.gguf", METADATA, TENSORS).read_bytes()
    for cut in range(len(MAGIC_BYTES), len(data)):
        assert "truncated" in refused(tmp_path, data[:cut]), cut


def test_flipped_bytes_give_a_gguf_error_or_a_sound_header_never_a_crash(tmp_path: Path) -> None:
    data = write_gguf(tmp_path / "m.gguf", METADATA, TENSORS).read_bytes()
    rng = random.Random(20240601)
    path = tmp_path / "flipped.gguf"
    for _ in range(400):
        mutated = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            mutated[rng.randrange(len(data))] = rng.randrange(256)
        path.write_bytes(bytes(mutated))
        try:
            gguf = read_gguf(path)
        except GGUFError:
            continue
        assert all(gguf.data_offset + t.offset + t.nbytes <= gguf.file_size for t in gguf.tensors)


@pytest.mark.parametrize(("data", "message"), [
    (b"GGUF" + struct.pack("<IQQ", 3, 0, 1 << 62), "the key/value count is 4,611,686,018,427,387,904, over the limit"),
    (header(n_kv=1000), "the key/value count is 1,000, more than the 0 bytes left in the file can hold"),
    (header(n_tensors=1 << 40), "the tensor count is 1,099,511,627,776, over the limit"),
    (header(n_tensors=3, n_kv=0) + bytes(40), "the tensor count is 3, more than the 48 bytes left"),
    (header() + kv("k", ValueType.STRING, string(b"x", length=60 << 20)), "the length of the value of 'k' is 62,914,560, "
                                                                          "more than the 1 bytes left"),
    (header() + kv("k", ValueType.STRING, string(b"x", length=LIMITS.string_bytes + 1)), "over the limit of 67,108,864"),
    (header() + string(b"x", length=1 << 20) + bytes(100), "the length of key #0 is 1,048,576, over the limit of 65,535"),
    (header() + kv("k", ValueType.ARRAY, struct.pack("<IQ", ValueType.STRING, 1 << 30)), "over the limit of 16,777,216"),
    (header() + kv("k", ValueType.ARRAY, struct.pack("<IQ", ValueType.UINT64, 100) + bytes(16)),
     "the item count of 'k' is 100, more than the 16 bytes left"),
    (header() + kv("k", ValueType.ARRAY, struct.pack("<IQ", ValueType.STRING, 2) + string("a") + struct.pack("<Q", 99)
                   + b"b"), "item #1 of 'k' claims 99 bytes"),
])
def test_counts_and_lengths_are_checked_against_the_file_and_the_limits(tmp_path: Path, data, message) -> None:
    assert message in refused(tmp_path, data)


def test_a_huge_declared_string_is_refused_before_anything_is_allocated(tmp_path: Path) -> None:
    path = tmp_path / "liar.gguf"
    path.write_bytes(header() + kv("k", ValueType.STRING, string(b"x", length=60 << 20)) + bytes(1 << 16))
    tracemalloc.start()
    try:
        with pytest.raises(GGUFError):
            read_gguf(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20


@pytest.mark.parametrize(("data", "message"), [
    (header() + kv("k", ValueType.ARRAY, struct.pack("<IQ", ValueType.ARRAY, 1) + struct.pack("<IQ", 4, 0)),
     "'k' is an array of arrays"),
    (header() + kv("k", 13, bytes(8)), "'k' has an unknown value type 13"),
    (header(n_kv=2) + kv("k", ValueType.UINT8, b"\x01") + kv("k", ValueType.UINT8, b"\x02"), "the key 'k' appears twice"),
    (header() + kv(b"\xff\xfe", ValueType.UINT8, b"\x01"), "key #0 is not UTF-8 text"),
    (header() + kv("general.alignment", ValueType.UINT32, struct.pack("<I", 48)), "general.alignment is 48"),
    (header() + kv("general.alignment", ValueType.STRING, string("32")), "general.alignment is '32'"),
    (b"GGUF" + struct.pack("<IQQ", 1, 0, 0), "version 1; versions 2 and 3 are supported"),
    (b"GGUF" + struct.pack(">IQQ", 3, 0, 0), "big-endian"),
])
def test_malformed_metadata_is_refused(tmp_path: Path, data, message) -> None:
    assert message in refused(tmp_path, data)


def tensor(name: str | bytes, shape, ggml_type: int = 0, offset: int = 0) -> bytes:
    return string(name) + struct.pack(f"<I{len(shape)}qIQ", len(shape), *shape, ggml_type, offset)


@pytest.mark.parametrize(("infos", "message"), [
    ([tensor("w", (4,), ggml_type=4)], "ggml type 4, which this version does not know"),
    ([tensor("w", (4,), ggml_type=1000)], "ggml type 1000"),
    ([tensor("w", (1, 1, 1, 1, 1))], "5 dimensions; ggml supports up to 4"),
    ([tensor("w", (4,), offset=8)], "offset 8, not a multiple of the alignment 32"),
    ([tensor("w", (33,), ggml_type=2)], "rows (33) are not whole blocks of 32"),
    ([tensor("w", (-4,))], "negative dimension -4"),
    ([tensor("w", (1 << 40, 1 << 40))], "impossible shape"),
    ([tensor("w", (4,)), tensor("w", (4,), offset=32)], "the tensor name 'w' appears twice"),
    ([tensor("x" * 64, (4,))], "the length of the name of tensor #0 is 64, over the limit of 63"),
    ([tensor("w", (1024,))], "the data of tensor 'w' runs past the end of the file: it is truncated"),
])
def test_malformed_tensor_infos_are_refused(tmp_path: Path, infos, message) -> None:
    data = header(n_tensors=len(infos), n_kv=0) + b"".join(infos)
    data += bytes(-len(data) % 32) + bytes(64)
    assert message in refused(tmp_path, data)


def test_the_ggml_type_table_matches_the_ggml_that_llama_cpp_python_ships() -> None:
    llama_cpp = pytest.importorskip("llama_cpp")
    lib_dir = Path(llama_cpp.__file__).parent / "lib"
    ggml = ctypes.CDLL(str(next(lib_dir.glob("libggml-base.*"))))
    ggml.ggml_blck_size.restype = ctypes.c_int64
    ggml.ggml_type_size.restype = ctypes.c_size_t
    shipped = {t: (ggml.ggml_blck_size(t), ggml.ggml_type_size(t)) for t in range(llama_cpp.GGML_TYPE_COUNT)}
    assert GGML_TYPES == {t: size for t, size in shipped.items() if size != (0, 0)}


@pytest.mark.model
def test_the_default_model_reads_exactly(default_model_path: Path) -> None:
    gguf = read_gguf(default_model_path)
    assert gguf.metadata["general.architecture"] == "qwen2"
    assert gguf.metadata["tokenizer.ggml.tokens"].count == 151_936
    assert "<|im_start|>" in gguf.metadata["tokenizer.chat_template"]
    assert len(gguf.tensors) == 291
    end = max(gguf.data_offset + t.offset + t.nbytes for t in gguf.tensors)
    assert end == gguf.file_size  # every byte of the file is accounted for
