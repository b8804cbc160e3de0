"""Load analyzers by name and run them so that one failure never stops the rest.

Built-in analyzers are registered by module path and imported lazily, so a
missing optional dependency only disables its own analyzer. Third-party
analyzers plug in through the ``secgen.analyzers`` entry-point group: each
entry point names a zero-argument factory returning an :class:`Analyzer`.

An analyzer that fails to load, is unavailable, raises, or returns something
that is not a list of findings is recorded in the report's ``failures`` with
its name and a one-line reason, and the others' findings still come back.

With a :class:`~secgen.analyzers.workers.WorkerPool` (what
:func:`default_registry` gives), the fast analyzers registered by import path
run in worker processes, side by side, each with a deadline (an analyzer that
hangs is killed and reported as timed out); slow ones, those whose work is an
external program's (``external = True``: gcc, cppcheck, bounded by
:func:`~secgen.analyzers.process.run_tool`'s timeouts, so a slow compile does
not hold a worker) and those registered as Python objects run here. The caller's copy of each analyzer still answers
``available()``, ``languages`` and ``speed``. Without a pool, or when no
worker can start (logged once), everything runs here, one after another.
"""

from __future__ import annotations

import importlib
import logging
import time
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Callable, Iterable

from secgen.analyzers.base import Analyzer, Source
from secgen.analyzers.finding import Finding
from secgen.analyzers.workers import WorkerError, WorkerPool

log = logging.getLogger(__name__)

AnalyzerFactory = Callable[[], Analyzer]

BUILTIN = {
    "syntax": "secgen.analyzers.syntax:SyntaxAnalyzer",
    "pyflakes": "secgen.analyzers.pyflakes:PyflakesAnalyzer",
    "bandit": "secgen.analyzers.bandit:BanditAnalyzer",
    "tree-sitter": "secgen.analyzers.treesitter:TreeSitterSyntaxAnalyzer",
    "svace": "secgen.analyzers.svace:SvaceAnalyzer",
    "icd-regex": "secgen.analyzers.icd:IcdRegexAnalyzer",
    "icd-semgrep": "secgen.analyzers.icd:IcdSemgrepAnalyzer",
    "gcc": "secgen.analyzers.cc:GccAnalyzer",
    "g++": "secgen.analyzers.cc:GxxAnalyzer",
    "gcc-analyzer": "secgen.analyzers.cc:GccStaticAnalyzer",
    "cppcheck": "secgen.analyzers.cc:CppcheckAnalyzer",
    "dataflow": "secgen.analyzers.dataflow:DataflowAnalyzer",
}
DEFAULT_ANALYZERS = ("syntax", "pyflakes", "bandit", "dataflow", "tree-sitter", "gcc")


@dataclass(frozen=True, kw_only=True)
class AnalysisReport:
    findings: list[Finding]
    failures: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def _import_factory(target: str) -> AnalyzerFactory:
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


class AnalyzerRegistry:
    """Named analyzer factories, instantiated once on first use."""

    def __init__(self, factories: dict[str, AnalyzerFactory | str] | None = None, *,
                 workers: WorkerPool | None = None) -> None:
        self._factories: dict[str, AnalyzerFactory | str] = dict(BUILTIN if factories is None else factories)
        self._loaded: dict[str, Analyzer] = {}
        self._broken: dict[str, str] = {}
        self.workers = workers

    def register(self, name: str, factory: AnalyzerFactory | str) -> None:
        self._factories[name] = factory
        self._loaded.pop(name, None)
        self._broken.pop(name, None)

    def names(self) -> list[str]:
        return sorted(self._factories)

    def get(self, name: str) -> Analyzer | None:
        """The analyzer, or ``None`` when it is unknown, failed to load or is unavailable."""
        if name in self._loaded:
            return self._loaded[name]
        if name in self._broken:
            return None
        factory = self._factories.get(name)
        if factory is None:
            self._broken[name] = f"unknown analyzer {name!r} (known: {', '.join(self.names())})"
            return None
        try:
            if isinstance(factory, str):
                factory = _import_factory(factory)
            analyzer = factory()
            reason = analyzer.available()
        except Exception as exc:  # a plugin's bug must not take the host down
            reason = f"failed to load: {type(exc).__name__}: {exc}"
        if reason:
            log.warning("analyzer %s disabled: %s", name, reason)
            self._broken[name] = reason
            return None
        self._loaded[name] = analyzer
        return analyzer

    def problem(self, name: str) -> str | None:
        return self._broken.get(name)

    def analyze(
        self,
        source: Source,
        names: Iterable[str] = DEFAULT_ANALYZERS,
        *,
        include_slow: bool = False,
        warm: bool = False,
    ) -> AnalysisReport:
        runnable: list[str] = []
        failures: dict[str, str] = {}
        for name in names:
            analyzer = self.get(name)
            if analyzer is None:
                failures[name] = self._broken[name]
            elif source.language in analyzer.languages and (analyzer.speed != "slow" or include_slow):
                runnable.append(name)
        findings: list[Finding] = []
        seconds: dict[str, float] = {}
        remote = [n for n in runnable if isinstance(self._factories[n], str) and self._loaded[n].speed == "fast"
                  and not getattr(self._loaded[n], "external", False)] if self._pool_usable() else []
        if remote:
            try:
                findings, failures_there, seconds = self._run_in_workers(remote, source, warm)
            except WorkerError as exc:
                log.warning("analyzers run in this process from now on: %s", exc)
                self.workers.broken = str(exc)
                remote = []
            else:
                failures.update(failures_there)
        for name in runnable:
            if name in remote:
                continue
            started = time.perf_counter()
            try:
                result = self._loaded[name].analyze(source)
                if not isinstance(result, list) or not all(isinstance(f, Finding) for f in result):
                    raise TypeError(f"returned {type(result).__name__}, not a list of Finding")
            except Exception as exc:
                log.warning("analyzer %s crashed: %s: %s", name, type(exc).__name__, exc)
                failures[name] = f"crashed: {type(exc).__name__}: {exc}"
                continue
            finally:
                seconds[name] = time.perf_counter() - started
            findings.extend(result)
        # a total order: an analyzer's own order may follow set iteration, which differs between processes
        findings.sort(key=lambda f: (f.range.start, f.analyzer, f.rule_id, f.range.end, f.message))
        seconds = {name: seconds[name] for name in runnable if name in seconds}
        return AnalysisReport(findings=findings, failures=failures, seconds=seconds)

    def warm(self, names: Iterable[str] = DEFAULT_ANALYZERS) -> None:
        """Start the workers and build the Python analyzers in each (imports, rules, Bandit's test set) ahead of use."""
        self.analyze(Source(text="x = 1\n", path="warm.py"), names, warm=True)

    def _pool_usable(self) -> bool:
        return self.workers is not None and self.workers.broken is None

    def _run_in_workers(self, names: list[str], source: Source, everywhere: bool):
        self.workers.set_factories({n: f for n, f in self._factories.items() if isinstance(f, str)})
        lanes = self.workers.run(names, source, everywhere=everywhere)
        findings = [f for name in names for f in lanes.findings.get(name, [])]
        return findings, lanes.failures, lanes.seconds


def default_registry() -> AnalyzerRegistry:
    """Built-ins plus whatever the ``secgen.analyzers`` entry-point group adds, run in worker processes."""
    registry = AnalyzerRegistry(workers=WorkerPool())
    for ep in entry_points(group="secgen.analyzers"):
        registry.register(ep.name, ep.value)
    return registry
