"""In-process analyzers, run in worker processes: a hang is killed at its deadline, and the set uses the cores.

The fast analyzers (syntax, pyflakes, Bandit, dataflow, and any plugin) are
Python code that checks a snippet in milliseconds. Run in the caller's
process they have two problems: one that hangs (a plugin's endless loop, a
regex that backtracks for ever) cannot be stopped, since a thread cannot be
killed; and they take turns on one core while the machine has more (Bandit
alone is about half of the set's time).

So :class:`WorkerPool` keeps a few child processes, each a plain
``python -m secgen.analyzers.workers`` with its own
:class:`~secgen.analyzers.registry.AnalyzerRegistry` built from the same
import paths, and splits each run into *lanes*, one per free worker:

* **Lanes.** Analyzers go longest first onto the lane with the least work,
  by each one's recent time (an exponential average of what the workers
  report, :data:`FIRST_GUESS_S` until one is known). With two workers and the
  default set this puts Bandit on one lane and syntax, pyflakes and dataflow
  on the other; each worker parses the text once for its lane.
* **Messages.** The caller sends ``(names, source)`` over a pipe; the worker
  answers one message per analyzer as it finishes (its findings, or the
  one-line reason it failed, and its time); the lane is done when each of
  its analyzers has answered. Messages are
  pickled: both ends are this package.
* **Deadlines.** Each analyzer has ``timeout_s`` from the previous message on
  its lane (per :data:`DEADLINE_CHARS` of text: a long file legitimately takes
  longer). A lane that misses it is killed (SIGKILL to the worker's process
  group, so whatever it started goes too): its finished analyzers keep their
  findings, the one running and those after it fail with "timed out after
  N s and was killed", and a fresh worker is started on the next run. A worker
  that dies (a crash, the OOM killer) is handled the same way.
* **Concurrency.** Runs from several threads take whole workers from a free
  list under a condition variable; a run waits for one free worker and uses
  as many as are free then (so two overlapping runs get a lane each).
* **Falling back.** A worker that cannot start (no ``fork``/``exec``, a
  broken interpreter) is logged once with its reason, and the pool turns
  itself off: the registry runs everything in the caller's process, as
  before, without deadlines.
* **Clean exit.** The pool kills its workers on :meth:`close`, when it is
  garbage-collected and at interpreter exit; a worker also exits by itself within a second of its
  parent's death (a watchdog thread), so a server whose client vanished
  leaves nothing behind.

Only fast analyzers registered by import path run in workers (a factory
object cannot be sent to another process). Slow ones (Svace, Semgrep, the
GCC analyzer), those that declare ``external = True`` (gcc, g++ and cppcheck:
their work is a process's) and those registered as Python objects, such as the
settings-built SARIF-command analyzers, run in the caller, where the
subprocess timeouts of :mod:`secgen.analyzers.process` bound them. The worker's stdout is
``/dev/null``, so nothing an analyzer prints can reach the language server's
protocol stream; its stderr is the caller's, for logs.
"""

from __future__ import annotations

import logging
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
import weakref
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Mapping, Sequence

from secgen.analyzers.base import Source
from secgen.analyzers.finding import Finding

log = logging.getLogger(__name__)

TIMEOUT_S = 10.0  # per analyzer, from the previous message on its lane, per DEADLINE_CHARS of text
DEADLINE_CHARS = 100_000  # a 2 MB document (the server's limit) gives each analyzer 20 times as long
START_TIMEOUT_S = 60.0  # a worker's interpreter start and imports
FIRST_GUESS_S = 0.002  # an analyzer's time before a worker has reported one
SMOOTHING = 0.2  # weight of the newest time in each analyzer's running average
_WORKER_MAIN = "import sys; from secgen.analyzers.workers import main; main(sys.argv[1:])"


@dataclass
class LaneResult:
    """What came back for the analyzers of one lane: findings or a failure, and seconds, by name."""

    findings: dict[str, list[Finding]] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


class WorkerError(RuntimeError):
    """A worker could not be started."""


class _Worker:
    """One child process and the two pipe ends the caller holds; :meth:`ready` waits for its start."""

    def __init__(self, factories: Mapping[str, str]) -> None:
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        try:
            # -P: the working directory (the user's project) is not on the worker's import path
            self.process = subprocess.Popen(  # nosec B603: our own interpreter and module, no shell
                [sys.executable, "-P", "-c", _WORKER_MAIN, str(to_child_r), str(from_child_w)],
                pass_fds=(to_child_r, from_child_w), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                start_new_session=True)
        except OSError as exc:
            for fd in (to_child_r, to_child_w, from_child_r, from_child_w):
                os.close(fd)
            raise WorkerError(f"cannot start an analyzer worker: {exc.strerror or exc}") from None
        os.close(to_child_r)
        os.close(from_child_w)
        self.send_end = Connection(to_child_w, readable=False)
        self.recv_end = Connection(from_child_r, writable=False)
        try:
            self.send_end.send(("init", [p for p in sys.path if p], dict(factories)))
        except OSError:
            pass  # it died at once: ready() says how

    def ready(self) -> None:
        """Wait until the worker has imported the registry; kill it and raise :class:`WorkerError` if it cannot."""
        try:
            if not self.recv_end.poll(START_TIMEOUT_S):
                raise WorkerError(f"an analyzer worker did not start within {START_TIMEOUT_S:g} s")
            message = self.recv_end.recv()
            if message != ("ready",):
                raise WorkerError(f"an analyzer worker answered {message!r} instead of ready")
        except (EOFError, OSError):
            self.process.wait(timeout=5)
            self.kill()
            raise WorkerError(f"an analyzer worker died while starting ({self.exit_reason()})") from None
        except WorkerError:
            self.kill()
            raise

    def alive(self) -> bool:
        return self.process.poll() is None

    def exit_reason(self) -> str:
        code = self.process.poll()
        if code is None:
            return "still running"
        if code < 0:
            try:
                return f"killed by {signal.Signals(-code).name}"
            except ValueError:
                return f"killed by signal {-code}"
        return f"exit status {code}"

    def kill(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.process.wait()
        self.send_end.close()
        self.recv_end.close()


class WorkerPool:
    """Worker processes that run named analyzers with a deadline each (see the module docstring)."""

    def __init__(self, workers: int | None = None, *, timeout_s: float = TIMEOUT_S) -> None:
        self.size = max(1, workers if workers is not None else min(2, os.cpu_count() or 1))
        self.timeout_s = timeout_s
        self.broken: str | None = None  # why the pool turned itself off
        self._factories: dict[str, str] = {}
        self._free: list[_Worker] = []
        self._started = 0  # workers alive, free or busy
        self._cond = threading.Condition()
        self._estimates: dict[str, float] = {}
        # the workers go when the pool does (a registry dropped) or at interpreter exit, whichever is first
        weakref.finalize(self, _kill_all, self._free)

    def set_factories(self, factories: Mapping[str, str]) -> None:
        """The import paths workers build analyzers from; workers built from older ones are retired."""
        with self._cond:
            if dict(factories) == self._factories:
                return
            self._factories = dict(factories)
            for worker in self._free:
                worker.kill()
            self._started -= len(self._free)
            self._free.clear()

    def lanes(self, names: Sequence[str], count: int) -> list[list[str]]:
        """``names`` split into at most ``count`` lanes of about equal expected time, longest first."""
        count = max(1, min(count, len(names)))
        order = sorted(names, key=lambda n: -self._estimates.get(n, FIRST_GUESS_S))
        lanes: list[list[str]] = [[] for _ in range(count)]
        loads = [0.0] * count
        for name in order:
            i = loads.index(min(loads))
            lanes[i].append(name)
            loads[i] += self._estimates.get(name, FIRST_GUESS_S)
        return [lane for lane in lanes if lane]

    def run(self, names: Sequence[str], source: Source, *, everywhere: bool = False) -> LaneResult:
        """Run ``names`` on ``source`` in the workers; raises :class:`WorkerError` when none can start.

        ``everywhere``: every worker the pool may have runs all of ``names`` (a warm-up: each worker
        builds each analyzer once); the times are not learnt from.
        """
        result = LaneResult()
        if not names:
            return result
        workers = self._take(self.size if everywhere else len(names))
        try:
            lanes = [list(names)] * len(workers) if everywhere else self.lanes(names, len(workers))
            self._collect(workers, lanes, source, result)
        finally:
            self._give_back(workers)
        if everywhere:
            return result
        for name, seconds in result.seconds.items():
            old = self._estimates.get(name)
            self._estimates[name] = seconds if old is None else old + SMOOTHING * (seconds - old)
        return result

    def close(self) -> None:
        with self._cond:
            for worker in self._free:
                worker.kill()
            self._started -= len(self._free)
            self._free.clear()

    # -- internals -----------------------------------------------------------------

    def _take(self, wanted: int) -> list[_Worker]:
        """At least one worker, as many free ones as ``wanted`` allows, starting new ones up to the size."""
        with self._cond:
            while not self._free and self._started >= self.size:
                self._cond.wait()
            dead = [w for w in self._free if not w.alive()]  # killed while idle (the OOM killer, a user)
            for worker in dead:
                self._free.remove(worker)
                worker.kill()
            self._started -= len(dead)
            taken = [self._free.pop() for _ in range(min(wanted, len(self._free)))]
            starting = min(wanted - len(taken), self.size - self._started)
            self._started += starting
            factories = dict(self._factories)
        fresh: list[_Worker] = []
        problem = None
        for _ in range(starting):  # they start side by side, then each is waited for
            try:
                fresh.append(_Worker(factories))
            except WorkerError as exc:
                problem = str(exc)
                break
        for worker in list(fresh):
            try:
                worker.ready()
            except WorkerError as exc:
                fresh.remove(worker)
                problem = str(exc)
        if len(fresh) < starting:
            with self._cond:
                self._started -= starting - len(fresh)
                self._cond.notify_all()
            if not taken and not fresh:
                raise WorkerError(problem or "no analyzer worker could start")
            log.warning("analyzer workers: %d of %d started: %s", len(fresh), starting, problem)
        return taken + fresh

    def _give_back(self, workers: Sequence[_Worker]) -> None:
        with self._cond:
            for worker in workers:
                if worker.alive():
                    self._free.append(worker)
                else:
                    self._started -= 1
            self._cond.notify_all()

    def _spawn(self) -> _Worker:
        """One more worker, started and ready (a replacement for one that was killed)."""
        with self._cond:
            self._started += 1
            factories = dict(self._factories)
        try:
            worker = _Worker(factories)
            worker.ready()
            return worker
        except WorkerError:
            with self._cond:
                self._started -= 1
                self._cond.notify_all()
            raise

    def _retire(self, worker: _Worker, workers: list[_Worker]) -> None:
        worker.kill()
        workers.remove(worker)
        with self._cond:
            self._started -= 1
            self._cond.notify_all()

    def _collect(self, workers: list[_Worker], lanes: list[list[str]], source: Source, result: LaneResult) -> None:
        """Send each lane to its worker and gather the answers, enforcing the deadlines (module docstring)."""
        pending: dict[Connection, tuple[_Worker, list[str], float]] = {}
        limit = self.timeout_s * max(1.0, len(source.text) / DEADLINE_CHARS)

        def start(worker: _Worker, names: list[str], *, retry: bool) -> None:
            try:
                worker.send_end.send(("analyze", names, source))
            except OSError:  # it died while idle: a fresh one gets the whole lane, once
                reason = f"analyzer worker died ({worker.exit_reason()})"
                self._retire(worker, workers)
                if retry:
                    replace(names, reason)
                else:
                    result.failures.update(dict.fromkeys(names, reason))
                return
            pending[worker.recv_end] = (worker, names, time.monotonic() + limit)

        def replace(names: list[str], reason: str) -> None:
            try:
                fresh = self._spawn()
            except WorkerError as exc:
                result.failures.update(dict.fromkeys(names, f"not run: {reason}, and {exc}"))
                return
            workers.append(fresh)
            start(fresh, names, retry=False)

        def lost(worker: _Worker, names: list[str], reason: str) -> None:
            """The analyzer ``worker`` was running fails with ``reason``; the rest of its lane goes to a fresh one."""
            self._retire(worker, workers)
            if names:
                log.warning("analyzer %s: %s", names[0], reason)
                result.failures[names[0]] = reason
                if names[1:]:
                    replace(names[1:], f"{names[0]} {reason}")

        for worker, names in zip(list(workers), lanes):
            start(worker, list(names), retry=True)
        while pending:
            first_deadline = min(deadline for _, _, deadline in pending.values())
            ready = wait(list(pending), timeout=max(0.0, first_deadline - time.monotonic()))
            for conn in ready:
                worker, names, _ = pending.pop(conn)
                try:
                    message = conn.recv()
                except (EOFError, OSError, pickle.UnpicklingError):
                    try:
                        worker.process.wait(timeout=5)
                    except subprocess.TimeoutExpired:
                        pass
                    lost(worker, names, f"crashed its worker process ({worker.exit_reason()})")
                    continue
                _, name, ok, payload, seconds = message
                result.seconds[name] = seconds
                (result.findings if ok else result.failures)[name] = payload
                names.remove(name)
                if names:
                    pending[conn] = (worker, names, time.monotonic() + limit)
            now = time.monotonic()
            for conn, (worker, names, deadline) in list(pending.items()):
                if now >= deadline:
                    del pending[conn]
                    result.seconds[names[0]] = limit  # so the lanes keep it apart from now on
                    lost(worker, names, f"timed out after {limit:.3g} s and was killed")


def _kill_all(workers: list[_Worker]) -> None:
    for worker in workers:
        worker.kill()
    workers.clear()


# -- the worker's side ---------------------------------------------------------------


def _watch_parent() -> None:
    """Exit when the parent is gone (its pid changes to a reaper's): a worker never outlives the server."""
    parent = os.getppid()
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(0)


def serve(recv_end: Connection, send_end: Connection) -> None:
    """The worker's loop: build the registry, then answer each ``analyze`` message, one message per analyzer."""
    from secgen.analyzers.registry import AnalyzerRegistry
    from secgen.analyzers.syntax import forget_trees

    _, path, factories = recv_end.recv()
    sys.path[:] = path  # the parent's: plugins and test analyzers import as they did there
    registry = AnalyzerRegistry(factories)
    send_end.send(("ready",))
    while True:
        try:
            message = recv_end.recv()
        except (EOFError, OSError):
            return
        _, names, source = message
        forget_trees()  # each message is a new suggestion: the lane's first analyzer parses, the others share it
        for name in names:
            started = time.perf_counter()
            try:
                report = registry.analyze(source, [name], include_slow=True)
            except Exception as exc:  # the registry catches analyzers' errors; this is its own bug
                ok, payload = False, f"crashed: {type(exc).__name__}: {exc}"
            else:
                failure = report.failures.get(name)
                ok, payload = (False, failure) if failure else (True, report.findings)
            send_end.send(("result", name, ok, payload, time.perf_counter() - started))


def main(argv: Sequence[str]) -> None:
    logging.basicConfig(level=logging.WARNING, format="analyzer worker %(process)d: %(levelname)s %(message)s")
    threading.Thread(target=_watch_parent, daemon=True, name="parent-watch").start()
    recv_end = Connection(int(argv[0]), writable=False)
    send_end = Connection(int(argv[1]), readable=False)
    serve(recv_end, send_end)


