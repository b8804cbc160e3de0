"""A strict reader for GGUF headers: metadata and tensor table, checked before llama.cpp sees the file.

A GGUF file named by a path (``--model ./x.gguf``, a registered model, an
``hf:`` download) is untrusted: anyone could have made it. llama.cpp parses
it in C, so before we hand it over, :func:`read_gguf` parses the same header
in pure Python and refuses anything malformed, with a reason a user can act on.

The layout (GGUF v2 and v3, little-endian): the magic ``GGUF``, a u32 version,
u64 tensor and key/value counts, the key/value pairs (a string key, a u32
value type, the value), the tensor infos (name, u32 dimension count, u64
dimensions, u32 ggml type, u64 offset), padding to ``general.alignment``
(default 32), then the tensor data. A string is a u64 byte length and the
bytes; an array is a u32 item type, a u64 count and the items.

Every count and length is checked before anything is allocated or read for
it: against what is left of the file (a count of N strings needs at least
8*N more bytes), and against caps no real model comes near (:data:`LIMITS`).
Arrays inside arrays, unknown value or tensor types, duplicate keys or tensor
names, misaligned tensor offsets and tensor data that would run past the end
of the file (a truncated download) are refused too. The file is read through
``mmap``, so a large header costs page faults, not copies; the 0.5B model's
5.9 MB of metadata (300k token strings) parses in a fraction of a second.

Large arrays (the vocabulary) are checked item by item but not kept: a
:class:`GGUFArray` holds its items only when it has at most ``KEEP_ITEMS``.
The reader never decodes the tensor data.

:func:`write_gguf` makes small well-formed files (metadata, zero-filled
tensors) for tests and tools; the reader reads everything it writes.
"""

from __future__ import annotations

import enum
import mmap
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

MAGIC = b"GGUF"
NOT_GGUF = "does not start with the GGUF magic b'GGUF': it is not a GGUF file"
VERSIONS = (2, 3)
DEFAULT_ALIGNMENT = 32
KEEP_ITEMS = 256  # arrays up to this many items keep them
MAX_NAME_BYTES = 63  # llama.cpp's GGML_MAX_NAME is 64, with the terminating NUL
MAX_DIMS = 4  # GGML_MAX_DIMS


@dataclass(frozen=True, kw_only=True)
class Limits:
    """Caps on what a header may declare; real models stay far below them."""

    kv_count: int = 65_536  # real models: ~30-60 pairs
    tensor_count: int = 1 << 20  # the largest mixture-of-experts models: tens of thousands
    key_bytes: int = 65_535  # the GGUF specification's own bound
    string_bytes: int = 64 << 20  # a whole tokenizer.json stored as one string is ~10 MB
    array_items: int = 1 << 24  # vocabularies and merges: ~300k
    alignment: int = 1 << 16


LIMITS = Limits()


class GGUFError(ValueError):
    """The file is not a GGUF file, or its header is malformed; the message says where."""


class ValueType(enum.IntEnum):
    UINT8 = 0
    INT8 = 1
    UINT16 = 2
    INT16 = 3
    UINT32 = 4
    INT32 = 5
    FLOAT32 = 6
    BOOL = 7
    STRING = 8
    ARRAY = 9
    UINT64 = 10
    INT64 = 11
    FLOAT64 = 12


_SCALAR_FORMATS = {
    ValueType.UINT8: "B", ValueType.INT8: "b", ValueType.UINT16: "H", ValueType.INT16: "h",
    ValueType.UINT32: "I", ValueType.INT32: "i", ValueType.FLOAT32: "f", ValueType.BOOL: "?",
    ValueType.UINT64: "Q", ValueType.INT64: "q", ValueType.FLOAT64: "d",
}

# ggml type id -> (elements per block, bytes per block), as ggml_blck_size / ggml_type_size report them for
# the ggml that llama-cpp-python 0.3.36 ships (tests/engine/test_gguf.py compares the two). Ids ggml removed
# (4, 5, 31-33, 36-38) are absent: no current file holds them, and llama.cpp refuses them too.
GGML_TYPES: dict[int, tuple[int, int]] = {
    0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24), 8: (32, 34), 9: (32, 36),
    10: (256, 84), 11: (256, 110), 12: (256, 144), 13: (256, 176), 14: (256, 210), 15: (256, 292),
    16: (256, 66), 17: (256, 74), 18: (256, 98), 19: (256, 50), 20: (32, 18), 21: (256, 110), 22: (256, 82),
    23: (256, 136), 24: (1, 1), 25: (1, 2), 26: (1, 4), 27: (1, 8), 28: (1, 8), 29: (256, 56), 30: (1, 2),
    34: (256, 54), 35: (256, 66), 39: (32, 17), 40: (64, 36), 41: (128, 18), 42: (64, 18),
}
GGML_F32 = 0
_U64 = struct.Struct("<Q")


@dataclass(frozen=True, kw_only=True)
class GGUFArray:
    """An array value: its item type and count; ``items`` only when ``count <= KEEP_ITEMS``."""

    item_type: ValueType
    count: int
    items: tuple | None = None


@dataclass(frozen=True, kw_only=True)
class TensorInfo:
    name: str
    shape: tuple[int, ...]
    ggml_type: int
    offset: int  # from the start of the data section
    nbytes: int


@dataclass(frozen=True, kw_only=True)
class GGUFHeader:
    """What :func:`read_gguf` found: everything before the tensor data, checked."""

    version: int
    metadata: dict[str, Any]
    tensors: tuple[TensorInfo, ...]
    alignment: int
    data_offset: int  # where the tensor data starts in the file
    file_size: int


class _Cursor:
    """Reads little-endian values from a buffer, checking every length against what is left."""

    def __init__(self, data, size: int) -> None:
        self.data, self.size, self.pos = data, size, 0

    @property
    def left(self) -> int:
        return self.size - self.pos

    def take(self, n: int, what: str) -> int:
        """Claim ``n`` bytes for ``what``; return where they start."""
        if n > self.left:
            raise GGUFError(f"the file ends inside {what} (byte {self.pos:,} of {self.size:,}): it is truncated")
        start = self.pos
        self.pos += n
        return start

    def scalar(self, kind: ValueType, what: str):
        fmt = _SCALAR_FORMATS[kind]
        return struct.unpack_from("<" + fmt, self.data, self.take(struct.calcsize(fmt), what))[0]

    def count(self, what: str, cap: int, min_item_bytes: int) -> int:
        """A u64 count of things that take at least ``min_item_bytes`` each, checked before use."""
        n = self.scalar(ValueType.UINT64, what)
        if n > cap:
            raise GGUFError(f"{what} is {n:,}, over the limit of {cap:,}")
        if n * min_item_bytes > self.left:
            raise GGUFError(f"{what} is {n:,}, more than the {self.left:,} bytes left in the file can hold: "
                            "it is truncated or damaged")
        return n

    def raw_string(self, what: str, cap: int) -> bytes:
        n = self.count(f"the length of {what}", cap, 1)
        start = self.take(n, what)
        return bytes(self.data[start:start + n])

    def text(self, what: str, cap: int) -> str:
        raw = self.raw_string(what, cap)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise GGUFError(f"{what} is not UTF-8 text") from None


def read_gguf(path: str | Path, limits: Limits = LIMITS) -> GGUFHeader:
    """Parse and check the header of the GGUF file at ``path``; raise :class:`GGUFError` if it is not sound."""
    with open(path, "rb") as stream:
        if stream.read(len(MAGIC)) != MAGIC:
            raise GGUFError(NOT_GGUF)
        size = stream.seek(0, 2)
        if size < len(MAGIC) + 4 + 16:
            raise GGUFError(f"it is only {size} bytes long: it is truncated")
        with mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ) as data:
            return _parse(_Cursor(data, size), limits)


def _parse(cursor: _Cursor, limits: Limits) -> GGUFHeader:
    cursor.take(len(MAGIC), "the magic")
    version = cursor.scalar(ValueType.UINT32, "the version")
    if version not in VERSIONS:
        swapped = int.from_bytes(version.to_bytes(4, "little"), "big")
        if swapped in VERSIONS:
            raise GGUFError("it is a big-endian GGUF file; llama.cpp here reads little-endian ones")
        raise GGUFError(f"it is GGUF version {version}; versions {VERSIONS[0]} and {VERSIONS[-1]} are supported")
    # a tensor info takes at least 8 (name length) + 1 + 4 + 8 + 4 + 8 bytes; a key/value pair 8 + 1 + 4 + 1
    n_tensors = cursor.count("the tensor count", limits.tensor_count, 33)
    n_kv = cursor.count("the key/value count", limits.kv_count, 14)
    metadata: dict[str, Any] = {}
    for index in range(n_kv):
        key = cursor.text(f"key #{index}", limits.key_bytes)
        if key in metadata:
            raise GGUFError(f"the key {key!r} appears twice")
        kind = _value_type(cursor.scalar(ValueType.UINT32, f"the type of {key!r}"), key)
        metadata[key] = _value(cursor, kind, key, limits)
    alignment = _alignment(metadata, limits)
    tensors = _tensor_infos(cursor, n_tensors, alignment)
    data_offset = -(-cursor.pos // alignment) * alignment
    data_size = cursor.size - data_offset
    for tensor in tensors:
        if tensor.offset + tensor.nbytes > data_size:
            raise GGUFError(f"the data of tensor {tensor.name!r} runs past the end of the file: it is truncated")
    return GGUFHeader(version=version, metadata=metadata, tensors=tuple(tensors), alignment=alignment,
                      data_offset=data_offset, file_size=cursor.size)


def _value_type(raw: int, key: str) -> ValueType:
    try:
        return ValueType(raw)
    except ValueError:
        raise GGUFError(f"{key!r} has an unknown value type {raw}") from None


def _value(cursor: _Cursor, kind: ValueType, key: str, limits: Limits):
    if kind == ValueType.STRING:
        return cursor.text(f"the value of {key!r}", limits.string_bytes)
    if kind != ValueType.ARRAY:
        return cursor.scalar(kind, f"the value of {key!r}")
    item_type = _value_type(cursor.scalar(ValueType.UINT32, f"the item type of {key!r}"), key)
    if item_type == ValueType.ARRAY:
        raise GGUFError(f"{key!r} is an array of arrays, which GGUF readers do not support")
    if item_type == ValueType.STRING:
        count = cursor.count(f"the item count of {key!r}", limits.array_items, 8)
        return GGUFArray(item_type=item_type, count=count, items=_strings(cursor, count, key, limits))
    fmt = _SCALAR_FORMATS[item_type]
    width = struct.calcsize(fmt)
    count = cursor.count(f"the item count of {key!r}", limits.array_items, width)
    start = cursor.take(count * width, f"the items of {key!r}")
    items = struct.unpack_from(f"<{count}{fmt}", cursor.data, start) if count <= KEEP_ITEMS else None
    return GGUFArray(item_type=item_type, count=count, items=items)


def _strings(cursor: _Cursor, count: int, key: str, limits: Limits) -> tuple | None:
    """Step over ``count`` strings, checking each length; keep them only for a short array.

    The loop is written out (no :class:`_Cursor` calls) because a vocabulary has ~150k items.
    """
    data, pos, end, cap = cursor.data, cursor.pos, cursor.size, limits.string_bytes
    unpack = _U64.unpack_from
    items: list[str] | None = [] if count <= KEEP_ITEMS else None
    for index in range(count):
        if end - pos < 8:
            raise GGUFError(f"the file ends inside item #{index} of {key!r}: it is truncated")
        (n,) = unpack(data, pos)
        pos += 8
        if n > cap or n > end - pos:
            raise GGUFError(f"item #{index} of {key!r} claims {n:,} bytes, more than the limit or the file holds: "
                            "it is truncated or damaged")
        if items is not None:
            items.append(bytes(data[pos:pos + n]).decode("utf-8", errors="replace"))
        pos += n
    cursor.pos = pos
    return None if items is None else tuple(items)


def _alignment(metadata: Mapping[str, Any], limits: Limits) -> int:
    value = metadata.get("general.alignment", DEFAULT_ALIGNMENT)
    if type(value) is not int or value <= 0 or value & (value - 1) or value > limits.alignment:
        raise GGUFError(f"general.alignment is {value!r}; it must be a power of two up to {limits.alignment:,}")
    return value


def _tensor_infos(cursor: _Cursor, count: int, alignment: int) -> list[TensorInfo]:
    tensors: list[TensorInfo] = []
    names: set[str] = set()
    for index in range(count):
        name = cursor.text(f"the name of tensor #{index}", MAX_NAME_BYTES)
        if name in names:
            raise GGUFError(f"the tensor name {name!r} appears twice")
        names.add(name)
        n_dims = cursor.scalar(ValueType.UINT32, f"the dimension count of tensor {name!r}")
        if n_dims > MAX_DIMS:
            raise GGUFError(f"tensor {name!r} has {n_dims} dimensions; ggml supports up to {MAX_DIMS}")
        shape = tuple(cursor.scalar(ValueType.INT64, f"the shape of tensor {name!r}") for _ in range(n_dims))
        ggml_type = cursor.scalar(ValueType.UINT32, f"the type of tensor {name!r}")
        offset = cursor.scalar(ValueType.UINT64, f"the offset of tensor {name!r}")
        tensors.append(TensorInfo(name=name, shape=shape, ggml_type=ggml_type, offset=offset,
                                  nbytes=_nbytes(name, shape, ggml_type)))
        if offset % alignment:
            raise GGUFError(f"tensor {name!r} starts at offset {offset:,}, not a multiple of the alignment {alignment}")
    return tensors


def _nbytes(name: str, shape: tuple[int, ...], ggml_type: int) -> int:
    if ggml_type not in GGML_TYPES:
        raise GGUFError(f"tensor {name!r} has ggml type {ggml_type}, which this version does not know")
    block, type_size = GGML_TYPES[ggml_type]
    elements = 1
    for dim in shape:
        if dim < 0:
            raise GGUFError(f"tensor {name!r} has a negative dimension {dim}")
        elements *= dim
        if elements >= 1 << 62:
            raise GGUFError(f"tensor {name!r} has an impossible shape {shape}")
    if shape and shape[0] % block:
        raise GGUFError(f"tensor {name!r}'s rows ({shape[0]}) are not whole blocks of {block}")
    return elements // block * type_size


# -- writing (tests and tools) -----------------------------------------------------------------------------


def _pack_string(text: str | bytes) -> bytes:
    raw = text.encode("utf-8") if isinstance(text, str) else text
    return struct.pack("<Q", len(raw)) + raw


def _kind_of(value) -> ValueType:
    if isinstance(value, bool):
        return ValueType.BOOL
    if isinstance(value, int):
        return ValueType.UINT32 if 0 <= value < 1 << 32 else ValueType.INT64
    if isinstance(value, float):
        return ValueType.FLOAT32
    if isinstance(value, (str, bytes)):
        return ValueType.STRING
    if isinstance(value, (list, tuple)):
        return ValueType.ARRAY
    raise TypeError(f"no GGUF type for {type(value).__name__}")


def _pack_value(kind: ValueType, value) -> bytes:
    if kind == ValueType.STRING:
        return _pack_string(value)
    if kind != ValueType.ARRAY:
        return struct.pack("<" + _SCALAR_FORMATS[kind], value)
    item_type = _kind_of(value[0]) if value else ValueType.INT32
    if item_type == ValueType.UINT32:
        item_type = ValueType.INT32
    body = b"".join(_pack_value(item_type, item) for item in value)
    return struct.pack("<IQ", item_type, len(value)) + body


def write_gguf(path: str | Path, metadata: Mapping[str, Any],
               tensors: Sequence[tuple[str, tuple[int, ...]]] = (), *, version: int = 3) -> Path:
    """Write a little GGUF file: ``metadata`` (types from Python's: str, bool, int as u32 or i64, float as f32,
    lists as arrays) and f32 ``tensors`` given as (name, shape), filled with zeros."""
    alignment = metadata.get("general.alignment", DEFAULT_ALIGNMENT)
    header = [MAGIC, struct.pack("<IQQ", version, len(tensors), len(metadata))]
    for key, value in metadata.items():
        kind = _kind_of(value)
        header += [_pack_string(key), struct.pack("<I", kind), _pack_value(kind, value)]
    offset, sizes = 0, []
    for name, shape in tensors:
        nbytes = _nbytes(name, tuple(shape), GGML_F32)
        header += [_pack_string(name), struct.pack(f"<I{len(shape)}qIQ", len(shape), *shape, GGML_F32, offset)]
        sizes.append(nbytes)
        offset += -(-nbytes // alignment) * alignment
    head = b"".join(header)
    path = Path(path)
    with open(path, "wb") as out:
        out.write(head + bytes(-len(head) % alignment))
        for nbytes in sizes:
            out.write(bytes(nbytes + (-nbytes % alignment)))
    return path
