"""Importers for preference pairs users bring: CodePreference and CVEfixes, as :class:`PreferencePair` s.

Mined pairs (:mod:`secgen.training.pairs`) only cover the tasks secgen ran;
these two public sets add breadth. Both importers return ``(pairs, stats)``
with ``stats = {"records", "pairs", "skipped"}`` (records that gave no pair),
and every problem with a file is a one-line :class:`PairError` naming the file
and the record (``path:line`` for JSON Lines, ``path: record N`` otherwise).

**CodePreference** (the seed paper's fine-tuning set; on the Hugging Face Hub
as e.g. ``Vezora/Code-Preference-Pairs``). A ``.jsonl`` file, a ``.json`` list
of objects, or ``.parquet`` (only with ``pyarrow`` installed). Each object:

* the prompt: ``prompt`` (a string, or a list of ``{role, content}`` messages
  used as is) | ``instruction``, followed by ``"\\n\\n"`` + ``input`` when both
  are there | ``input`` alone. With none of these and ``chosen`` a list of
  messages, the messages before its last assistant turn are the prompt
  (trl's "implicit prompt"). A string prompt becomes a system turn (``system``
  if the record has one, else "You are a helpful coding assistant.") and a
  user turn.
* ``chosen`` | ``accepted``, and ``rejected``: strings, kept as given (usually
  markdown around code), or lists of messages, whose last assistant message
  is the answer.
* optional: ``id`` | ``ID`` | ``task_id`` (the pair's task id; else
  ``codepreference/<hash of the prompt>``), ``language`` | ``lang`` (else
  guessed from the first fenced block of the chosen answer, else ``unknown``).

**CVEfixes** (Bhandari et al., vulnerability-fixing commits from the NVD). The
SQLite database ``CVEfixes.db``: tables ``method_change`` (``file_change_id``,
``name``, ``code``, ``before_change``; ``signature`` optional) and
``file_change`` (``file_change_id``, ``programming_language``; ``filename``
and ``hash`` optional) are needed; ``fixes`` (``hash`` -> ``cve_id``),
``cwe_classification`` (``cve_id`` -> ``cwe_id``) and ``cve`` (``cve_id`` ->
``description``) are used when present. A method's version before the fix
(``before_change = 'True'``) is the rejected answer and its version after the
fix, in the same file change with the same name and signature, the chosen
one; methods the fix left unchanged (after trailing whitespace) give no pair.
Also accepted: JSON Lines (or a JSON list) with ``code_before``,
``code_after``, ``programming_language`` and optional ``name``,
``signature``, ``filename``, ``cve_id``, ``hash``, ``cwe_id``,
``description``: one pair per record.

A CVEfixes pair is asked like a secgen task (:func:`generation_messages`, so
training sees the turn the server sends): "Write the C function
`int f(char *s)` from `parse.c`." and, when the CWE or the CVE's description
is known, "It must not have this weakness: CWE-787: <the description's first
sentence>". Answers are fenced code blocks. Languages are CVEfixes' spellings
(Python, C, C++, Java, JavaScript, PHP, C#, Rust) mapped to secgen's names;
others are skipped. ``meta``: ``task_id`` ``cvefixes/<cve id or commit>/<name>``,
``source`` ``cvefixes``, ``language``, ``cwe``, ``cve_id``, ``commit``,
``filename``.
"""

from __future__ import annotations

import ast
import hashlib
import itertools
import json
import re
import sqlite3
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

from secgen.engine.prompts import DISPLAY_NAMES, generation_messages
from secgen.training.pairs import PairError, PreferencePair, fenced, normalize

FORMATS = ("codepreference", "cvefixes")
DEFAULT_SYSTEM = "You are a helpful coding assistant."
CVEFIXES_LANGUAGES = {"Python": "python", "C": "c", "C++": "cpp", "Java": "java", "JavaScript": "javascript",
                      "PHP": "php", "C#": "csharp", "Rust": "rust"}
# A fenced block's tag, or a record's language field, in secgen's names
LANGUAGE_TAGS = {"python": "python", "py": "python", "python3": "python", "c": "c", "cpp": "cpp", "c++": "cpp",
                 "cc": "cpp", "java": "java", "javascript": "javascript", "js": "javascript", "php": "php",
                 "csharp": "csharp", "c#": "csharp", "cs": "csharp", "rust": "rust", "rs": "rust"}
SQLITE_MAGIC = b"SQLite format 3\x00"


def import_pairs(path: Path, fmt: str = "auto", *, languages: Sequence[str] = (),
                 limit: int | None = None) -> tuple[list[PreferencePair], dict[str, int]]:
    """The pairs in ``path``, read as ``fmt`` (``codepreference``, ``cvefixes`` or ``auto``: guessed)."""
    path = Path(path)
    if not path.is_file():
        raise PairError(f"{path}: no such file")
    if fmt == "auto":
        fmt = guess_format(path)
    if fmt == "codepreference":
        return read_codepreference(path, limit=limit)
    if fmt == "cvefixes":
        return read_cvefixes(path, languages=languages, limit=limit)
    raise PairError(f"unknown pair format {fmt!r}: use {', '.join(FORMATS)} or auto")


def guess_format(path: Path) -> str:
    """``cvefixes`` for a SQLite database or records with ``code_before``; else ``codepreference``."""
    path = Path(path)
    if path.suffix.lower() in (".db", ".sqlite", ".sqlite3") or _is_sqlite(path):
        return "cvefixes"
    first = next(_records(path), (None, None))[1] if path.suffix.lower() != ".parquet" else None
    return "cvefixes" if isinstance(first, Mapping) and "code_before" in first else "codepreference"


def _is_sqlite(path: Path) -> bool:
    try:
        with open(path, "rb") as stream:
            return stream.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC
    except OSError:
        return False


def _records(path: Path) -> Iterator[tuple[str, Any]]:
    """``(where, record)`` for each record of a ``.jsonl``, ``.json`` (a list) or ``.parquet`` file."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        try:
            import pyarrow.parquet as parquet
        except ImportError:
            raise PairError(f"{path}: reading Parquet needs pyarrow (pip install pyarrow), or convert the file "
                            "to JSON Lines first") from None
        yield from ((f"{path}: record {n}", row) for n, row in enumerate(parquet.read_table(path).to_pylist(), 1))
        return
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PairError(f"cannot read {path}: {exc}") from None
    if suffix == ".json":
        try:
            rows = json.loads(text)
        except ValueError as exc:
            raise PairError(f"{path}: not JSON ({exc})") from None
        if not isinstance(rows, list):
            raise PairError(f"{path}: expected a JSON list of records")
        yield from ((f"{path}: record {n}", row) for n, row in enumerate(rows, 1))
        return
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                yield f"{path}:{number}", json.loads(line)
            except ValueError:
                raise PairError(f"{path}:{number}: not JSON") from None


# ---- CodePreference


def read_codepreference(path: Path, *, limit: int | None = None) -> tuple[list[PreferencePair], dict[str, int]]:
    pairs, stats = [], {"records": 0, "pairs": 0, "skipped": 0}
    for where, record in _records(Path(path)):
        if limit is not None and len(pairs) >= limit:
            break
        stats["records"] += 1
        pairs.append(codepreference_pair(record, where))
    stats["pairs"] = len(pairs)
    return pairs, stats


def codepreference_pair(record: Any, where: str = "record") -> PreferencePair:
    """One CodePreference record (any of the layouts the module docstring lists) as a pair."""
    if not isinstance(record, Mapping):
        raise PairError(f"{where}: not an object")
    chosen = _answer(record.get("chosen", record.get("accepted")), "chosen (or accepted)", where)
    rejected = _answer(record.get("rejected"), "rejected", where)
    prompt = _prompt(record, where)
    prompt_text = "\n".join(m["content"] for m in prompt)
    given = next((record[k] for k in ("id", "ID", "task_id") if record.get(k) not in (None, "")), None)
    task_id = str(given) if given is not None else \
        f"codepreference/{hashlib.sha256(prompt_text.encode('utf-8')).hexdigest()[:12]}"
    named = record.get("language") or record.get("lang")
    tag = re.search(r"```[ \t]*([\w+#-]+)", chosen)
    language = LANGUAGE_TAGS.get(str(named or (tag.group(1) if tag else "")).lower(), "unknown")
    return PreferencePair(prompt=prompt, chosen=chosen, rejected=rejected,
                          meta={"task_id": task_id, "source": "codepreference", "language": language})


def _answer(value: Any, name: str, where: str) -> str:
    if isinstance(value, str) and value.strip():
        return value
    if isinstance(value, list):
        said = [m.get("content") for m in value if isinstance(m, Mapping) and m.get("role") == "assistant"]
        if said and isinstance(said[-1], str) and said[-1].strip():
            return said[-1]
        raise PairError(f"{where}: {name} has no assistant message")
    raise PairError(f"{where}: missing {name}")


def _messages(value: list, name: str, where: str) -> tuple[dict, ...]:
    if not value or not all(isinstance(m, Mapping) and isinstance(m.get("role"), str)
                            and isinstance(m.get("content"), str) for m in value):
        raise PairError(f"{where}: {name} is not a list of {{role, content}} messages")
    return tuple({"role": m["role"], "content": m["content"]} for m in value)


def _prompt(record: Mapping[str, Any], where: str) -> tuple[dict, ...]:
    prompt = record.get("prompt")
    if isinstance(prompt, list):
        return _messages(prompt, "prompt", where)
    if isinstance(prompt, str) and prompt.strip():
        text = prompt
    else:
        parts = [record.get(k) for k in ("instruction", "input")]
        parts = [p for p in parts if isinstance(p, str) and p.strip()]
        if not parts:
            chosen = record.get("chosen")
            turns = [i for i, m in enumerate(chosen or []) if isinstance(m, Mapping) and m.get("role") == "assistant"] \
                if isinstance(chosen, list) else []
            if turns and turns[-1] > 0:
                return _messages(chosen[:turns[-1]], "chosen's prompt", where)
            raise PairError(f"{where}: missing the prompt (prompt, instruction or input)")
        text = "\n\n".join(parts)
    system = record.get("system") if isinstance(record.get("system"), str) and record["system"].strip() \
        else DEFAULT_SYSTEM
    return ({"role": "system", "content": system}, {"role": "user", "content": text})


# ---- CVEfixes


def read_cvefixes(path: Path, *, languages: Sequence[str] = (),
                  limit: int | None = None) -> tuple[list[PreferencePair], dict[str, int]]:
    """Pairs from the CVEfixes database, or from a JSON Lines export (one record per pair)."""
    path = Path(path)
    unknown = sorted(set(languages) - set(CVEFIXES_LANGUAGES.values()))
    if unknown:
        raise PairError(f"unknown language(s) {', '.join(unknown)}: use {', '.join(CVEFIXES_LANGUAGES.values())}")
    wanted = set(languages or CVEFIXES_LANGUAGES.values())
    if path.suffix.lower() in (".db", ".sqlite", ".sqlite3") or _is_sqlite(path):
        return _read_cvefixes_db(path, wanted, limit)
    pairs, stats = [], {"records": 0, "pairs": 0, "skipped": 0}
    for where, record in _records(path):
        if limit is not None and len(pairs) >= limit:
            break
        stats["records"] += 1
        pair = _cvefixes_record(record, where, wanted)
        if pair is None:
            stats["skipped"] += 1
        else:
            pairs.append(pair)
    stats["pairs"] = len(pairs)
    return pairs, stats


def _cvefixes_record(record: Any, where: str, wanted: set[str]) -> PreferencePair | None:
    if not isinstance(record, Mapping):
        raise PairError(f"{where}: not an object")
    missing = [k for k in ("code_before", "code_after", "programming_language") if not isinstance(record.get(k), str)]
    if missing:
        raise PairError(f"{where}: missing {', '.join(missing)}")
    spelled = record["programming_language"]
    language = CVEFIXES_LANGUAGES.get(spelled) or LANGUAGE_TAGS.get(spelled.lower())
    if language not in wanted:
        return None
    text = {k: record.get(k) if isinstance(record.get(k), str) and record.get(k) else None
            for k in ("name", "signature", "filename", "cve_id", "hash", "cwe_id", "description")}
    return cvefixes_pair(language=language, before=record["code_before"], after=record["code_after"],
                         name=text["name"], signature=text["signature"], filename=text["filename"],
                         cve_id=text["cve_id"], commit=text["hash"], cwe=_cwe(text["cwe_id"]),
                         description=text["description"])


def cvefixes_pair(*, language: str, before: str, after: str, name: str | None = None, signature: str | None = None,
                  filename: str | None = None, cve_id: str | None = None, commit: str | None = None,
                  cwe: str | None = None, description: str | None = None) -> PreferencePair | None:
    """The pair of a fix: ``before`` rejected, ``after`` chosen; ``None`` when the fix left the code as it was."""
    if not normalize(before) or not normalize(after) or normalize(before) == normalize(after):
        return None
    subject = f"function `{signature or name}`" if (signature or name) else "code"
    request = f"Write the {DISPLAY_NAMES.get(language, language.capitalize())} {subject}"
    request += f" from `{filename}`." if filename else "."
    weakness = ": ".join(w for w in (cwe, first_sentence(description)) if w)
    if weakness:
        request += f"\n\nIt must not have this weakness: {weakness}" + ("" if weakness[-1] in ".!?" else ".")
    prompt = tuple({"role": m.role, "content": m.content} for m in generation_messages(request, language))
    where = cve_id or commit or hashlib.sha256(before.encode("utf-8")).hexdigest()[:12]
    meta = {"task_id": f"cvefixes/{where}/{name or filename or 'code'}", "source": "cvefixes",
            "language": language, "cwe": cwe, "cve_id": cve_id, "commit": commit, "filename": filename}
    return PreferencePair(prompt=prompt, chosen=fenced(after, language), rejected=fenced(before, language),
                          meta=meta)


def first_sentence(description: str | None) -> str | None:
    """The first sentence of a CVE description (CVEfixes may store NVD's ``[{'lang': 'en', 'value': ...}]``)."""
    if not description or not description.strip():
        return None
    text = description.strip()
    if text.startswith("["):
        try:
            entries = ast.literal_eval(text)
            text = next(e["value"] for e in entries if isinstance(e, dict) and e.get("lang", "en") == "en")
        except (ValueError, SyntaxError, StopIteration, KeyError, TypeError):
            pass
    text = " ".join(str(text).split())
    return re.split(r"(?<=[.!?])\s+(?=[A-Z])", text, maxsplit=1)[0] or None


def _cwe(value: Any) -> str | None:
    """``CWE-79`` from ``CWE-79`` or ``79``; ``None`` for NVD's ``NVD-CWE-Other``/``noinfo`` and the like."""
    match = re.fullmatch(r"(?:CWE-)?(\d+)", str(value or "").strip(), re.I)
    return f"CWE-{match.group(1)}" if match else None


def _read_cvefixes_db(path: Path, wanted: set[str], limit: int | None) -> tuple[list[PreferencePair], dict[str, int]]:
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise PairError(f"{path}: cannot open the database: {exc}") from None
    try:
        return _pairs_from_db(connection, path, wanted, limit)
    except sqlite3.DatabaseError as exc:
        raise PairError(f"{path}: not a CVEfixes database: {exc}") from None
    finally:
        connection.close()


def _columns(connection: sqlite3.Connection) -> dict[str, set[str]]:
    tables = [r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return {t: {r[1] for r in connection.execute(f'PRAGMA table_info("{t}")')} for t in tables}


def _lookups(connection: sqlite3.Connection, columns: dict[str, set[str]]) -> tuple[dict, dict, dict]:
    """CVE id by commit, CWE by CVE id, description by CVE id: from the optional tables, empty when missing."""
    def table(name: str, key: str, value: str) -> dict:
        if not {key, value} <= columns.get(name, set()):
            return {}
        found: dict = {}
        for k, v in connection.execute(f'SELECT "{key}", "{value}" FROM "{name}"'):
            if name == "cwe_classification":
                v = _cwe(v)
            if k is not None and v and k not in found:
                found[k] = v
        return found
    return (table("fixes", "hash", "cve_id"), table("cwe_classification", "cve_id", "cwe_id"),
            table("cve", "cve_id", "description"))


def _pairs_from_db(connection: sqlite3.Connection, path: Path, wanted: set[str],
                   limit: int | None) -> tuple[list[PreferencePair], dict[str, int]]:
    columns = _columns(connection)
    needed = {"method_change": {"file_change_id", "name", "code", "before_change"},
              "file_change": {"file_change_id", "programming_language"}}
    for table, names in needed.items():
        if not names <= columns.get(table, set()):
            raise PairError(f"{path}: not a CVEfixes database: table {table} with "
                            f"{', '.join(sorted(names))} is needed")
    cve_of, cwe_of, description_of = _lookups(connection, columns)
    signature = 'm."signature"' if "signature" in columns["method_change"] else "NULL"
    filename, commit = (f'f."{c}"' if c in columns["file_change"] else "NULL" for c in ("filename", "hash"))
    spelled = [k for k, v in CVEFIXES_LANGUAGES.items() if v in wanted]
    rows = connection.execute(
        f"SELECT m.file_change_id, m.name, {signature}, m.code, m.before_change, "
        f"f.programming_language, {filename}, {commit} "
        "FROM method_change AS m JOIN file_change AS f ON f.file_change_id = m.file_change_id "
        f"WHERE f.programming_language IN ({', '.join('?' * len(spelled))}) ORDER BY m.file_change_id", spelled)
    pairs, stats = [], {"records": 0, "pairs": 0, "skipped": 0}
    for _, group in itertools.groupby(rows, key=lambda row: row[0]):
        versions: dict[tuple, dict[bool, tuple]] = {}
        for row in group:
            stats["records"] += 1
            before = str(row[4]).strip().lower() in ("true", "1")
            versions.setdefault((row[1], row[2]), {}).setdefault(before, row)
        for (name, signature), halves in versions.items():
            if limit is not None and len(pairs) >= limit:
                break
            old, new = halves.get(True), halves.get(False)
            pair = None
            if old and new and isinstance(old[3], str) and isinstance(new[3], str):
                commit = old[7]
                cve_id = cve_of.get(commit)
                pair = cvefixes_pair(language=CVEFIXES_LANGUAGES[old[5]], before=old[3], after=new[3], name=name,
                                     signature=signature, filename=old[6], cve_id=cve_id, commit=commit,
                                     cwe=cwe_of.get(cve_id), description=description_of.get(cve_id))
            stats["skipped"] += len(halves) if pair is None else 0
            pairs += [pair] if pair else []
        if limit is not None and len(pairs) >= limit:
            break
    stats["pairs"] = len(pairs)
    return pairs, stats
