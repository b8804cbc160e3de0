"""The ``Analyzer`` protocol, and the source text it is handed.

Two kinds of analyzer fit the same protocol:

* fast, in-process ones (``syntax``, ``pyflakes``, ``bandit``) that check one
  snippet in milliseconds and run on every suggestion;
* slow, external, whole-project ones (Svace, later) that declare
  ``speed = "slow"`` so callers run them only on save or in benchmarks. They
  receive the same :class:`Source`; ``path`` lets them lay the file out in a
  scratch project with its real name.

An analyzer raises :class:`AnalyzerError` (or anything else) when it cannot do
its job; the registry turns that into a reported failure, never a crash.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from secgen.analyzers.finding import Finding


class AnalyzerError(RuntimeError):
    """An analyzer could not run (not installed, crashed, timed out)."""


@dataclass(frozen=True, kw_only=True)
class Source:
    text: str
    language: str = "python"
    path: str | None = None  # a display name; analyzers never write to it


@runtime_checkable
class Analyzer(Protocol):
    name: str
    languages: frozenset[str]
    speed: Literal["fast", "slow"]

    def available(self) -> str | None:
        """``None`` when the analyzer can run, else a one-line reason it cannot."""
        ...

    def analyze(self, source: Source) -> list[Finding]:
        ...
