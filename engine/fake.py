"""A scripted fake backend, for fast and deterministic tests.

It answers from a script instead of a model, and records every prompt it was
given, so a test can check what the repair loop fed back. It ships with the
code (selected by the model spec ``fake:PATH``) so the language server and the
CLI can be driven end to end without a model.

Script file (JSON)::

    {"fim":  ["first answer", "answer to the first repair", ...],
     "chat": ["```python\\n...\\n```", ...],
     "rules": [{"kind": "chat", "match": "REGEX", "reply": "..."}],
     "chunk_delay_s": 0.0,
     "continues": false}

A prompt matching a rule's regex gets that rule's reply; otherwise answers are
taken in order per kind, and the last one repeats once the list runs out.
Replies stream in chunks of a few characters; ``chunk_delay_s`` slows them
down so cancellation can be tested.
"""

from __future__ import annotations

from collections import deque

import json
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Sequence

from secgen.engine.backend import BackendError, CancelToken, ChatMessage, GenerationParams
from secgen.engine.prompts import fim_prompt, render_messages


@dataclass(kw_only=True)
class ScriptedBackend:
    fim_replies: list[str] = field(default_factory=list)
    chat_replies: list[str] = field(default_factory=list)
    rules: list[dict] = field(default_factory=list)
    chunk_delay_s: float = 0.0
    name: str = "fake"
    # Continues a final assistant message (the guided tier, a cut answer): a script opts in with "continues": true,
    # and its replies are then continuations where the prompt ends with an assistant turn
    continues: bool = False
    # (kind, prompt) as received, the latest 256: a long-running server (the soak) must not keep them all
    prompts: deque[tuple[str, str]] = field(default_factory=lambda: deque(maxlen=256))

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._served = {"fim": 0, "chat": 0}

    @classmethod
    def from_file(cls, path: str | Path) -> "ScriptedBackend":
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise BackendError(f"cannot read fake backend script {path}: {exc}") from None
        if not isinstance(data, dict):
            raise BackendError(f"fake backend script {path} must be a JSON object")
        _check_script(path, data)
        return cls(fim_replies=list(data.get("fim", [])), chat_replies=list(data.get("chat", [])),
                   rules=list(data.get("rules", [])), chunk_delay_s=float(data.get("chunk_delay_s", 0.0)),
                   continues=bool(data.get("continues", False)), name=f"fake:{path}")

    def _reply(self, kind: str, prompt: str) -> str:
        with self._lock:
            self.prompts.append((kind, prompt))
            for rule in self.rules:
                if rule.get("kind", kind) == kind and re.search(rule["match"], prompt, re.S):
                    return rule["reply"]
            replies = self.fim_replies if kind == "fim" else self.chat_replies
            if not replies:
                return ""
            index = min(self._served[kind], len(replies) - 1)
            self._served[kind] += 1
            return replies[index]

    def _stream(self, text: str, params: GenerationParams, cancel: CancelToken | None) -> Iterator[str]:
        cut = min((i for i in (text.find(s) for s in params.stop) if i >= 0), default=len(text))
        text = text[:cut]
        for start in range(0, len(text), 4):
            if cancel is not None:
                cancel.raise_if_cancelled()
            if self.chunk_delay_s:
                time.sleep(self.chunk_delay_s)
            yield text[start:start + 4]

    def fim(self, prefix: str, suffix: str, params: GenerationParams,
            cancel: CancelToken | None = None) -> Iterator[str]:
        return self._stream(self._reply("fim", fim_prompt(prefix, suffix)), params, cancel)

    def chat(self, messages: Sequence[ChatMessage], params: GenerationParams,
             cancel: CancelToken | None = None) -> Iterator[str]:
        prompt = render_messages(messages)
        return self._stream(self._reply("chat", prompt), params, cancel)

    def close(self) -> None:
        pass


def _check_script(path: str | Path, data: dict) -> None:
    """Reject a malformed script at load time, not with a KeyError or ``re.error`` mid-request."""
    for kind in ("fim", "chat"):
        replies = data.get(kind, [])
        if not isinstance(replies, list) or not all(isinstance(r, str) for r in replies):
            raise BackendError(f"fake backend script {path}: {kind!r} must be a list of strings")
    rules = data.get("rules", [])
    if not isinstance(rules, list):
        raise BackendError(f"fake backend script {path}: 'rules' must be a list")
    for number, rule in enumerate(rules, 1):
        if not (isinstance(rule, dict) and isinstance(rule.get("match"), str) and isinstance(rule.get("reply"), str)):
            raise BackendError(f"fake backend script {path}: rule {number} needs string 'match' and 'reply'")
        try:
            re.compile(rule["match"])
        except re.error as exc:
            raise BackendError(f"fake backend script {path}: rule {number} has a bad regex: {exc}") from None
