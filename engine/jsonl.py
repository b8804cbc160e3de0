"""JSON Lines files: the one reader and the two writers every secgen file of records uses.

Benchmark results, mining runs, task files and preference pairs are all JSON
Lines. Two ways of reading them, because two kinds of file exist:

* :func:`read_jsonl` (strict): a file a person wrote or a tool exported
  (task files, pairs): any line that is not JSON is an error naming
  ``path:line``, raised as the caller's own exception type.
* :func:`read_jsonl` with ``strict=False`` (lenient): a file secgen appends
  to as work finishes (``results.jsonl``): an interrupted run can leave its
  last line cut short, and a reader skips what it cannot parse and counts it.

Writing: :func:`append_jsonl` adds lines and fsyncs (a run's records, the
editor's pairs: a crash loses at most the line being written);
:func:`write_jsonl` replaces a file atomically (a reader sees the old file or
the new one, never half of one).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable


@dataclass(frozen=True, kw_only=True)
class Line:
    number: int  # 1-based
    value: Any


def read_jsonl(path: Path, *, error: type[Exception] = ValueError, strict: bool = True,
               what: str = "records") -> tuple[list[Line], int]:
    """The JSON values of ``path``'s non-blank lines, and how many lines were skipped as unreadable.

    ``strict``: a line that is not JSON raises ``error("PATH:LINE: not JSON")`` (the count is then always 0).
    Not ``strict``: such lines are skipped and counted. A file that cannot be read or decoded raises
    ``error("cannot read WHAT from PATH: why")`` either way.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"cannot read {what} from {path}: {getattr(exc, 'strerror', None) or exc}") from None
    lines, skipped = [], 0
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            lines.append(Line(number=number, value=json.loads(raw)))
        except ValueError:
            if strict:
                raise error(f"{path}:{number}: not JSON") from None
            skipped += 1
    return lines, skipped


def dumps(value: Any) -> str:
    """One line of JSON (UTF-8 kept as is, so code in other scripts stays readable)."""
    return json.dumps(value, ensure_ascii=False) + "\n"


def append_jsonl(path: Path, values: Iterable[Any]) -> int:
    """Append ``values`` to ``path`` (made, with its folder, if missing) and fsync; return how many."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = [dumps(v) for v in values]
    with open(path, "a", encoding="utf-8") as stream:
        stream.write("".join(text))
        stream.flush()
        os.fsync(stream.fileno())
    return len(text)


def write_jsonl(path: Path, values: Iterable[Any]) -> Path:
    """Replace ``path`` with ``values`` as JSON Lines, atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(dumps(v) for v in values)
    handle, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return path
