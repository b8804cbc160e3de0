"""Analyzers in worker processes: the same findings, deadlines that kill, crashes that stay contained.

The misbehaving analyzers are written into a module under ``tmp_path`` and put
on ``sys.path``, which the workers copy, so they are registered by import path
and run in the workers like any plugin.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from secgen.analyzers.base import Source
from secgen.analyzers.registry import BUILTIN, AnalyzerRegistry, default_registry
from secgen.analyzers.workers import WorkerPool
from secgen.bench.flows import load_corpus

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PYTHON_SET = ["syntax", "pyflakes", "bandit", "dataflow"]

FAULTY = '''
import os, signal, sys, time
from secgen.analyzers.finding import Finding, Position, Range, Severity

class _Base:
    languages = frozenset({"python"})
    speed = "fast"
    def available(self):
        return None

class Hangs(_Base):
    name = "hangs"
    def analyze(self, source):
        while True:  # a pure-Python endless loop
            pass

class Sleeps(_Base):
    name = "sleeps"
    def analyze(self, source):
        time.sleep(3600)

class Naps(_Base):
    name = "naps"
    def analyze(self, source):
        time.sleep(1.5)
        return []

class Raises(_Base):
    name = "raises"
    def analyze(self, source):
        raise ValueError("rule table is corrupt")

class Dies(_Base):
    name = "dies"
    def analyze(self, source):
        os.kill(os.getpid(), signal.SIGKILL)

class Prints(_Base):
    name = "prints"
    def analyze(self, source):
        print("STRAY OUTPUT FROM AN ANALYZER")
        sys.stdout.flush()
        return [Finding(analyzer="prints", rule_id="P1", message="found", severity=Severity.LOW,
                        range=Range(start=Position(line=0, column=0), end=Position(line=0, column=1)))]

class Pid(_Base):
    name = "pid"
    def analyze(self, source):
        return [Finding(analyzer="pid", rule_id=str(os.getpid()), message="pid", severity=Severity.INFO,
                        range=Range(start=Position(line=0, column=0), end=Position(line=0, column=1)))]
'''


@pytest.fixture
def faulty(tmp_path, monkeypatch):
    (tmp_path / "faulty_analyzers.py").write_text(FAULTY)
    monkeypatch.syspath_prepend(str(tmp_path))
    return {name: f"faulty_analyzers:{name.capitalize()}" for name in ("hangs", "sleeps", "naps", "raises", "dies", "prints", "pid")}


def _registry(extra: dict | None = None, *, workers: int = 2, timeout_s: float = 10.0) -> AnalyzerRegistry:
    registry = AnalyzerRegistry({**BUILTIN, **(extra or {})}, workers=WorkerPool(workers, timeout_s=timeout_s))
    return registry


def _key(report):
    return [(f.analyzer, f.rule_id, f.range, f.message) for f in report.findings]


def test_workers_find_what_the_analyzers_find_in_this_process():
    texts = [p.read_text() for p in sorted(EXAMPLES.glob("*.py"))] + [f.text for f in load_corpus()[:40]]
    here, there = AnalyzerRegistry(), _registry()
    try:
        for text in texts:
            source = Source(text=text, path="snippet.py")
            expected, got = here.analyze(source, PYTHON_SET), there.analyze(source, PYTHON_SET)
            assert _key(got) == _key(expected)
            assert got.failures == expected.failures == {}
            assert set(got.seconds) == set(PYTHON_SET)
    finally:
        there.workers.close()


def test_the_default_registry_runs_its_python_analyzers_in_two_processes(faulty):
    registry = default_registry()
    registry.register("pid", faulty["pid"])
    try:
        pids = set()
        for _ in range(5):  # "pid" shares a lane with some analyzers; with two lanes, each run uses both workers
            report = registry.analyze(Source(text="import pickle\n"), [*PYTHON_SET, "pid"])
            pids |= {int(f.rule_id) for f in report.findings if f.analyzer == "pid"}
            assert {f.rule_id for f in report.findings if f.analyzer == "bandit"} == {"B403"}
        assert os.getpid() not in pids
        assert registry.workers.size == min(2, os.cpu_count() or 1)
    finally:
        registry.workers.close()


def test_lanes_put_the_longest_first_on_the_least_loaded_worker():
    pool = WorkerPool(2)
    pool._estimates.update(syntax=0.0005, pyflakes=0.002, bandit=0.0045, dataflow=0.002)
    assert pool.lanes(PYTHON_SET, 2) == [["bandit"], ["pyflakes", "dataflow", "syntax"]]
    assert pool.lanes(PYTHON_SET, 1) == [["bandit", "pyflakes", "dataflow", "syntax"]]
    assert pool.lanes(["syntax"], 2) == [["syntax"]]


@pytest.mark.parametrize("hang", ["hangs", "sleeps"])
def test_a_hanging_analyzer_is_killed_at_its_deadline_and_the_others_still_report(faulty, hang):
    registry = _registry({hang: faulty[hang]}, workers=1, timeout_s=1.0)  # one lane: the others queue behind it
    try:
        started = time.monotonic()
        report = registry.analyze(Source(text="import pickle\n"), ["syntax", hang, "bandit", "dataflow"])
        elapsed = time.monotonic() - started
        assert report.failures == {hang: "timed out after 1 s and was killed"}
        assert {f.rule_id for f in report.findings if f.analyzer == "bandit"} == {"B403"}
        assert elapsed < 30  # one deadline and a worker start, not for ever
        # the next run works, and the hanging one is kept apart in a lane of its own
        report = registry.analyze(Source(text="import subprocess\n"), ["syntax", "bandit"])
        assert {f.rule_id for f in report.findings} == {"B404"} and not report.failures
    finally:
        registry.workers.close()


def test_the_deadline_grows_with_the_text(faulty):
    registry = _registry({"naps": faulty["naps"]}, workers=1, timeout_s=1.0)
    try:
        short = registry.analyze(Source(text="x = 1\n"), ["naps"])
        assert short.failures == {"naps": "timed out after 1 s and was killed"}
        long = registry.analyze(Source(text="x = 1\n" * 50_000), ["naps"])  # 300,000 characters: 3 s each
        assert long.failures == {} and long.seconds["naps"] >= 1.5
    finally:
        registry.workers.close()


def test_a_killed_worker_leaves_no_process_behind(faulty):
    registry = _registry({"sleeps": faulty["sleeps"]}, workers=1, timeout_s=1.0)
    try:
        registry.analyze(Source(text="x = 1\n"), ["syntax"])
        [worker] = registry.workers._free
        old = worker.process.pid
        registry.analyze(Source(text="x = 1\n"), ["sleeps"])
        assert not Path(f"/proc/{old}").exists()  # killed and reaped
    finally:
        registry.workers.close()


def test_an_analyzer_that_raises_in_a_worker_is_a_failure_with_its_reason(faulty):
    registry = _registry({"raises": faulty["raises"]})
    try:
        report = registry.analyze(Source(text="import pickle\n"), ["raises", "bandit"])
        assert report.failures == {"raises": "crashed: ValueError: rule table is corrupt"}
        assert [f.rule_id for f in report.findings] == ["B403"]
    finally:
        registry.workers.close()


def test_an_analyzer_that_kills_its_worker_fails_and_the_rest_of_its_lane_runs_on_a_fresh_one(faulty):
    registry = _registry({"dies": faulty["dies"]}, workers=1)
    try:
        report = registry.analyze(Source(text="import pickle\n"), ["dies", "bandit", "syntax"])
        assert report.failures == {"dies": "crashed its worker process (killed by SIGKILL)"}
        assert [f.rule_id for f in report.findings] == ["B403"]
        report = registry.analyze(Source(text="import pickle\n"), ["bandit"])
        assert [f.rule_id for f in report.findings] == ["B403"] and not report.failures
    finally:
        registry.workers.close()


def test_a_worker_killed_while_idle_is_replaced(faulty):
    registry = _registry(workers=1)
    try:
        registry.analyze(Source(text="x = 1\n"), ["syntax"])
        [worker] = registry.workers._free
        worker.process.kill()
        worker.process.wait()
        report = registry.analyze(Source(text="import pickle\n"), ["bandit"])
        assert [f.rule_id for f in report.findings] == ["B403"] and not report.failures
    finally:
        registry.workers.close()


def test_overlapping_runs_from_threads_each_get_their_own_answers():
    registry = _registry()
    texts = {"import pickle\n": {"B403"}, "import subprocess\n": {"B404"}, "import xml.sax\n": {"B406"}}
    errors: list[str] = []

    def check(text: str, expected: set[str]) -> None:
        for _ in range(10):
            got = {f.rule_id for f in registry.analyze(Source(text=text), ["syntax", "bandit"]).findings}
            if got != expected:
                errors.append(f"{text!r}: {got} != {expected}")

    try:
        threads = [threading.Thread(target=check, args=item) for item in texts.items()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert not errors
        assert registry.workers._started <= registry.workers.size
    finally:
        registry.workers.close()


def test_when_no_worker_can_start_the_analyzers_run_in_this_process(monkeypatch, caplog):
    registry = _registry()
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    report = registry.analyze(Source(text="import pickle\n"), ["syntax", "bandit"])
    assert [f.rule_id for f in report.findings] == ["B403"] and not report.failures
    assert "cannot start an analyzer worker" in registry.workers.broken
    assert sum("run in this process from now on" in r.getMessage() for r in caplog.records) == 1
    registry.analyze(Source(text="import pickle\n"), ["syntax", "bandit"])
    assert sum("run in this process from now on" in r.getMessage() for r in caplog.records) == 1


def test_analyzers_registered_as_objects_run_in_this_process(faulty):
    from faulty_analyzers import Pid

    registry = _registry()
    registry.register("pid", Pid)
    try:
        report = registry.analyze(Source(text="x = 1\n"), ["pid"])
        assert [f.rule_id for f in report.findings] == [str(os.getpid())]
    finally:
        registry.workers.close()


PARENT = '''
import json, os, sys
from secgen.analyzers.base import Source
from secgen.analyzers.registry import BUILTIN, AnalyzerRegistry
from secgen.analyzers.workers import WorkerPool
registry = AnalyzerRegistry({**BUILTIN, "prints": "faulty_analyzers:Prints"}, workers=WorkerPool(2))
report = registry.analyze(Source(text="x = 1\\n"), ["syntax", "prints", "bandit"])
print(json.dumps({"rules": [f.rule_id for f in report.findings], "failures": report.failures,
                  "workers": [w.process.pid for w in registry.workers._free]}))
sys.stdout.flush()
os._exit(0)  # no clean-up: the workers must notice on their own
'''


def test_workers_print_nowhere_and_exit_when_their_parent_dies(faulty, tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    done = subprocess.run([sys.executable, "-c", PARENT], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    assert "STRAY OUTPUT" not in done.stdout
    result = json.loads(done.stdout)
    assert result["rules"] == ["P1"] and not result["failures"]
    assert len(result["workers"]) == 2
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() for pid in result["workers"]):
        time.sleep(0.1)
    alive = [pid for pid in result["workers"] if Path(f"/proc/{pid}/status").exists()
             and "State:\tZ" not in Path(f"/proc/{pid}/status").read_text()]
    assert not alive


def test_changing_the_import_paths_retires_the_running_workers(faulty):
    registry = _registry(workers=1)
    try:
        registry.analyze(Source(text="x = 1\n"), ["syntax"])
        [old] = registry.workers._free
        registry.register("pid", faulty["pid"])
        report = registry.analyze(Source(text="x = 1\n"), ["pid"])
        [new] = registry.workers._free
        assert new is not old and old.process.poll() is not None
        assert [f.rule_id for f in report.findings] == [str(new.process.pid)]
    finally:
        registry.workers.close()


def test_a_dropped_registry_takes_its_workers_with_it():
    import gc

    registry = _registry()
    registry.analyze(Source(text="x = 1\n"), ["syntax", "pyflakes"])
    pids = [w.process.pid for w in registry.workers._free]
    assert len(pids) == 2
    del registry
    gc.collect()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() for pid in pids):
        time.sleep(0.05)
    assert not any(Path(f"/proc/{pid}").exists() for pid in pids)


def test_analyzers_whose_work_is_a_process_run_in_this_process(faulty):
    registry = _registry()
    try:
        registry.analyze(Source(text="int f(void) { return g(); }\n", language="c"), ["gcc"])
        assert registry.workers._started == 0  # gcc's own timeout bounds it; it holds no worker
        registry.analyze(Source(text="x = 1\n"), ["syntax"])
        assert registry.workers._started >= 1
    finally:
        registry.workers.close()
