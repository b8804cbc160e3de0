"""The opt-in collector of preference pairs: what you accept in the editor, kept for training.

**What.** When the repair loop silently repairs a suggestion, its history holds
a flawed attempt (blocking analyzer findings) and the clean code that replaced
it: the pair DPO learns from (see :mod:`secgen.training.pairs`). When you
accept such code, that pair is worth keeping: one
:class:`~secgen.training.pairs.PreferencePair` per distinct flawed attempt (at
most :data:`MAX_PAIRS`), chosen = the clean code you accepted, rejected = the
flawed attempt, with its findings (analyzer, rule, CWE) in ``meta``.

**When.** Only on an explicit acceptance, and only when the accepted code is
clean and some attempt before it was flagged: the ``secgen.accepted`` command
of a completion item, and ``secgen.generate`` once the client has applied its
edit. A suggestion accepted twice (by edit, then by its command) is kept once.

**Prompts.** A generated answer's prompt is the chat the model was asked
(:func:`~secgen.engine.prompts.generation_messages` of the comment's text). A
completion was a fill-in-the-middle request, so it is rewritten in the same
chat shape ("Complete the python code at <CURSOR>: ..." with the last
:data:`PREFIX_CHARS` characters before the cursor and the first
:data:`SUFFIX_CHARS` after it), and ``meta["fim"]`` keeps those two pieces for a
trainer that prompts with FIM. ``meta`` names the file (its name, never its
path), the language and a UTC time.

**Cost when off.** Nothing of this runs, and :mod:`secgen.training` is not
imported, unless ``collectPairs`` is on: a suggestion keeps its compacted
record for the collector only then (:mod:`secgen.server.completions`), and
the pair builder (:func:`secgen.training.pairs.pairs_from_attempts`, the same
one mining uses) is imported on the first acceptance that collects.

**Where.** Appended (and fsynced) to ``collectPairsPath``, by default
``pairs/editor-pairs.jsonl`` in the user data folder
(``platformdirs.user_data_dir("secgen")``); ``secgen train dpo`` reads it as
any other pairs file. The write is a few lines, done in the handler.

**Privacy.** It is off by default (``collectPairs``); while off nothing is
written and no folder is made. Nothing leaves the machine: the collector only
appends to a local file. A write that fails (disk full, no permission) is
logged and shown once per session; the acceptance itself always goes through.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Callable, Sequence
from urllib.parse import unquote, urlparse

import platformdirs

from secgen.engine.backend import ChatMessage
from secgen.engine.prompts import generation_messages, render_messages
from secgen.engine.record import LoopResult
from secgen.server.settings import Settings

if TYPE_CHECKING:
    from secgen.training.pairs import PreferencePair

log = logging.getLogger(__name__)

SOURCE = "editor"
MAX_PAIRS = 2  # per acceptance: a long repair history must not dominate the set
PREFIX_CHARS, SUFFIX_CHARS = 1500, 500  # the context a completion pair keeps around the cursor
CURSOR = "<CURSOR>"
REMEMBERED = 1000  # acceptance keys kept to drop a second collection of the same suggestion


def default_path() -> Path:
    return Path(platformdirs.user_data_dir("secgen")) / "pairs" / "editor-pairs.jsonl"


def pairs_path(settings: Settings) -> Path:
    return Path(settings.collect_pairs_path).expanduser() if settings.collect_pairs_path else default_path()


def fim_context(prefix: str, suffix: str) -> tuple[str, str]:
    """The part of a completion's prefix and suffix that a pair keeps: the prefix's tail, the suffix's head."""
    return prefix[-PREFIX_CHARS:], suffix[:SUFFIX_CHARS]


def completion_messages(prefix: str, suffix: str, language: str) -> list[ChatMessage]:
    """A fill-in-the-middle request as the chat turns training uses (``prefix``/``suffix`` already cut)."""
    task = f"Complete the {language} code at {CURSOR}:\n```{language}\n{prefix}{CURSOR}{suffix}\n```"
    return generation_messages(task, language)


def file_name(uri: str) -> str:
    """The file name of ``uri``, without its folders (a pair must not record where the user keeps code)."""
    return PurePosixPath(unquote(urlparse(uri).path).replace("\\", "/")).name


def editor_pairs(result: LoopResult, *, messages: Sequence[ChatMessage], language: str, uri: str,
                 fim: dict | None = None, now: datetime | None = None) -> list[PreferencePair]:
    """The pairs an accepted loop result gives: each distinct flagged attempt against the clean best one.

    Empty when the best attempt still has blocking findings or no attempt was flagged. The most flagged
    attempts come first, at most :data:`MAX_PAIRS` (:func:`secgen.training.pairs.pairs_from_attempts`).
    """
    from secgen.training.pairs import pairs_from_attempts

    chosen = result.best
    if chosen is None or chosen.blocking or not chosen.text.strip():
        return []
    # the loop stops at its first clean attempt, so the best is the one good attempt; the flawed ones came before
    task_id = "editor/" + hashlib.sha256(render_messages(messages).encode("utf-8")).hexdigest()[:16]
    stamp = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).isoformat(timespec="seconds")
    meta = {"task_id": task_id, "source": SOURCE, "language": language, "file": file_name(uri), "collected_at": stamp}
    if fim is not None:
        meta["fim"] = dict(fim)
    return pairs_from_attempts([a for a in result.attempts if a.blocking or a is chosen],
                               prompt=[{"role": m.role, "content": m.content} for m in messages],
                               language=language, meta=meta, max_pairs=MAX_PAIRS)


class PairCollector:
    """Writes the pairs of accepted code when ``collectPairs`` is on; one per server, so warnings come once."""

    def __init__(self, warn: Callable[[str], None]) -> None:
        self._warn = warn  # shows a message to the user (window/showMessage)
        self._warned = False
        self._kept: dict[str, None] = {}  # keys of acceptances already collected, oldest first

    def collect(self, settings: Settings, result: LoopResult | None, *, messages: Sequence[ChatMessage],
                language: str, uri: str, fim: dict | None = None, key: str | None = None) -> int:
        """Append the pairs of ``result`` (see :func:`editor_pairs`) and return how many; never raises.

        ``key`` names the acceptance (a suggestion's id): a key seen before collects nothing.
        """
        if not settings.collect_pairs or result is None or (key is not None and key in self._kept):
            return 0
        if key is not None:
            self._kept[key] = None
            while len(self._kept) > REMEMBERED:
                self._kept.pop(next(iter(self._kept)))
        path = pairs_path(settings)
        try:
            from secgen.training.pairs import append_pairs

            pairs = editor_pairs(result, messages=messages, language=language, uri=uri, fim=fim)
            return append_pairs(path, pairs) if pairs else 0
        except Exception as exc:  # disk full, no permission, a bad path: the acceptance still goes through
            log.warning("could not save preference pairs to %s: %s", path, exc, exc_info=not isinstance(exc, OSError))
            if not self._warned:
                self._warned = True
                self._warn(f"could not save preference pairs to {path}: {exc} (later failures are only logged)")
            return 0
