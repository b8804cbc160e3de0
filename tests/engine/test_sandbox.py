"""The sandbox, run for real: every test starts a sandboxed interpreter.

Each refusal is checked twice where it can be: the program sees the
``PermissionError`` (so the status is ``failed`` with the hook's message), and
the world outside shows no trace of the attempt (the file is absent or intact,
the listening socket got no connection). Layers that depend on the machine
(network and PID namespaces, process limit) are tested where ``isolation()``
says they are active, and skipped with the reason otherwise.

Containment tests start real processes (``/bin/sleep`` under a marker name as
``argv[0]``, or Python children that ignore SIGTERM) and afterwards look for
the marker in every ``/proc/*/cmdline``: a process of the run that survived is
found there. Which layer contains what: processes that stay in the sandbox's
process group die with the group on every machine; one that calls ``setsid``
is caught only by the PID namespace; a fork bomb that goes around the audit
hook is bounded only by ``RLIMIT_NPROC``, which the kernel does not enforce
for root, so that test drops to an unprivileged user first.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from secgen.engine.sandbox import SandboxLimits, SandboxResult, isolation, run_python

FAST = SandboxLimits(timeout_s=5.0)


def run(program: str, **limits) -> SandboxResult:
    return run_python(textwrap.dedent(program), limits=SandboxLimits(**{"timeout_s": 5.0, **limits}))


def test_passing_program():
    result = run("""
        def add(a, b):
            return a + b
        assert add(2, 3) == 5
        print("ok")
    """)
    assert result.status == "passed", result
    assert result.passed and result.returncode == 0 and result.detail == ""
    assert result.stdout_tail == "ok\n"


def test_failing_assertion_reports_the_exception_line():
    result = run("assert 1 + 1 == 3")
    assert result.status == "failed" and not result.passed
    assert result.returncode == 1
    assert result.detail == "AssertionError"
    assert 'File "<solution>", line 1' in result.stderr_tail


def test_syntax_error_is_a_failure_of_the_program():
    result = run("def broken(:\n    pass")
    assert result.status == "failed"
    assert result.detail.startswith("SyntaxError")
    assert 'File "<solution>", line 1' in result.stderr_tail


def test_program_runs_as_main_with_its_source_in_tracebacks():
    result = run("""
        def check():
            raise ValueError("bad " + __name__)
        check()
    """)
    assert result.detail == "ValueError: bad __main__"
    assert 'raise ValueError("bad " + __name__)' in result.stderr_tail
    assert result.stderr_tail.startswith('Traceback (most recent call last):\n  File "<solution>"')


def test_infinite_loop_is_killed_at_the_timeout():
    started = time.monotonic()
    result = run("""
        import os
        print(os.getcwd(), flush=True)
        while True:
            pass
    """, timeout_s=1.0)
    elapsed = time.monotonic() - started
    assert result.status == "timeout" and result.returncode is None
    assert result.detail == "timed out after 1.0 s"
    assert 1.0 <= elapsed < 5.0
    assert_none_left(result.stdout_tail.strip())  # the bootstrap's command line names the scratch directory


def test_writing_outside_the_scratch_directory_is_refused(tmp_path):
    target = tmp_path / "escaped.txt"
    result = run(f"open({str(target)!r}, 'w').write('x')")
    assert result.status == "failed"
    assert result.detail == f"PermissionError: secgen sandbox: writing {target} outside the scratch directory"
    assert not target.exists()


def test_a_symlink_does_not_lead_writes_out_of_the_scratch_directory(tmp_path):
    target = tmp_path / "victim.txt"
    target.write_text("original")
    result = run(f"""
        import os
        os.symlink({str(target)!r}, "link")
        open("link", "w").write("overwritten")
    """)
    assert result.status == "failed"
    assert "secgen sandbox: writing" in result.detail and str(target) in result.detail
    assert target.read_text() == "original"


def test_writing_inside_the_scratch_directory_works():
    result = run("""
        import os, tempfile
        with open("notes.txt", "w") as f:
            f.write("hello")
        os.mkdir("sub")
        os.rename("notes.txt", "sub/notes.txt")
        with open(os.path.join(os.getcwd(), "sub", "notes.txt")) as f:
            assert f.read() == "hello"
        with tempfile.NamedTemporaryFile("w") as f:
            f.write("tmp")
        os.remove("sub/notes.txt")
    """)
    assert result.status == "passed", result


def test_deleting_outside_the_scratch_directory_is_refused(tmp_path):
    target = tmp_path / "keep.txt"
    target.write_text("keep")
    result = run(f"import os; os.remove({str(target)!r})")
    assert result.status == "failed"
    assert result.detail == f"PermissionError: secgen sandbox: os.remove of {target} outside the scratch directory"
    assert target.read_text() == "keep"


def test_socket_connect_is_refused_and_nothing_arrives():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.setblocking(False)
        port = listener.getsockname()[1]
        result = run(f"""
            import socket
            socket.socket().connect(("127.0.0.1", {port}))
        """)
        assert result.status == "failed"
        assert result.detail == "PermissionError: secgen sandbox: network access (socket.connect) is disabled"
        by_name = run(f"import socket; socket.create_connection(('localhost', {port}), timeout=2)")
        assert by_name.detail == "PermissionError: secgen sandbox: network access (socket.getaddrinfo) is disabled"
        with pytest.raises(BlockingIOError):
            listener.accept()


@pytest.mark.skipif(not isolation()["network_namespace"], reason="`unshare -rn` does not work on this machine")
def test_network_namespace_has_only_the_loopback_interface():
    result = run("""
        import socket
        names = [name for _, name in socket.if_nameindex()]
        assert names == ["lo"], names
    """)
    assert result.status == "passed", result


@pytest.mark.parametrize("call", [
    "import subprocess; subprocess.run(['true'])",
    "import os; os.system('true')",
    "import os; os.fork()",
    "import os; os.execv('/bin/true', ['true'])",
])
def test_starting_processes_is_refused(call):
    result = run(call)
    assert result.status == "failed"
    assert result.detail.startswith("PermissionError: secgen sandbox: starting processes (")


def test_processes_allows_that_many():
    result = run("""
        import subprocess
        subprocess.run(["true"], check=True)
        try:
            subprocess.run(["true"])
        except PermissionError:
            print("second refused")
    """, processes=1)
    assert result.status == "passed", result
    assert result.stdout_tail == "second refused\n"


@pytest.mark.skipif(not isolation()["process_limit"],
                    reason="RLIMIT_NPROC is not enforced where the program runs (root ignores it); "
                           "test_rlimit_nproc_stops_a_fork_bomb_that_goes_around_the_hook checks it as user nobody")
def test_process_limit_stops_threads_too():
    program = "import threading; t = threading.Thread(target=print); t.start(); t.join()"
    assert run(program).detail == "RuntimeError: can't start new thread"
    assert run(program, processes=1).status == "passed"


def test_ctypes_is_refused():
    result = run("import ctypes")
    assert result.status == "failed"
    assert result.detail.startswith("PermissionError: secgen sandbox: ctypes is disabled")


def test_signalling_a_process_outside_is_refused():
    assert run("import os; os.kill(os.getpid(), 0); os.killpg(0, 0)").status == "passed"
    victim = subprocess.Popen(["sleep", "60"])
    try:
        result = run(f"import os, signal; os.kill({victim.pid}, signal.SIGTERM)")
        assert result.status == "failed"
        assert result.detail == f"PermissionError: secgen sandbox: signalling process {victim.pid} outside the sandbox"
        assert victim.poll() is None
    finally:
        victim.kill()
        victim.wait()


def test_memory_limit():
    result = run("x = bytearray(4 * 1024**3)", memory_mb=256)
    assert result.status == "failed"
    assert "MemoryError" in result.detail
    # the cap is where it was set, not somewhere below: 64 MiB fits under 256, 320 does not
    fits = "x = bytearray(64 * 2**20); x[::4096] = b'1' * len(x[::4096])"
    assert run(fits, memory_mb=256).status == "passed"
    assert run(fits.replace("64", "320"), memory_mb=256).detail == "MemoryError"


def test_file_size_limit():
    result = run("open('big.bin', 'wb').write(b'x' * 2 * 2**20)", file_size_mb=1)
    assert result.status == "failed"
    assert result.detail == "OSError: [Errno 27] File too large"


def test_cpu_limit_kills_before_the_wall_clock():
    result = run("while True: pass", cpu_s=1, timeout_s=4.0)
    assert result.status == "failed" and result.returncode == -signal.SIGXCPU
    assert result.detail == "killed by SIGXCPU (CPU time limit)"
    assert result.seconds < 3.5


def test_scratch_directory_is_the_cwd_and_is_removed_afterwards():
    result = run("""
        import os
        open("left-behind.txt", "w").write("x")
        print(os.getcwd())
    """)
    assert result.status == "passed", result
    scratch = result.stdout_tail.strip()
    assert os.path.basename(scratch).startswith("secgen-sandbox-")
    assert not os.path.exists(scratch)


def test_parent_environment_is_not_visible(monkeypatch):
    monkeypatch.setenv("SECGEN_SANDBOX_MARKER", "leaked")
    result = run("""
        import os
        assert "SECGEN_SANDBOX_MARKER" not in os.environ
        assert os.environ["HOME"] == os.environ["TMPDIR"] == os.getcwd()
        print(sorted(os.environ))
    """)
    assert result.status == "passed", result
    assert set(eval(result.stdout_tail)) <= {"PATH", "LANG", "HOME", "TMPDIR", "LC_CTYPE"}


def test_output_is_kept_to_its_tail():
    result = run("print('x' * 10_000 + 'END')")
    assert result.status == "passed"
    assert len(result.stdout_tail) == 2000 and result.stdout_tail.endswith("xEND\n")


def test_missing_interpreter_is_an_error_not_an_exception():
    result = run_python("print(1)", limits=FAST, python="/nonexistent/python3")
    assert result.status == "error" and result.returncode is None
    assert "/nonexistent/python3" in result.detail


def test_an_interpreter_that_never_starts_the_sandbox_is_an_error():
    result = run_python("print(1)", limits=FAST, python=shutil.which("true"))
    assert result.status == "error" and result.returncode is None
    assert result.detail == "the sandbox did not start (exit code 0)"


def test_isolation_reports_each_layer():
    layers = isolation()
    assert set(layers) == {"network_namespace", "pid_namespace", "process_limit", "rlimits", "audit_hook"}
    assert all(isinstance(value, bool) for value in layers.values())
    assert layers["audit_hook"] and layers["rlimits"]


@pytest.mark.parametrize("bad", [{"timeout_s": 0}, {"memory_mb": 0}, {"processes": -1}, {"cpu_s": 0}])
def test_limits_reject_nonsense(bad):
    with pytest.raises(ValueError, match="SandboxLimits"):
        SandboxLimits(**bad)


def test_cpu_limit_defaults_from_the_timeout():
    assert SandboxLimits(timeout_s=2.5).cpu_seconds == 4
    assert SandboxLimits(timeout_s=2.5, cpu_s=9).cpu_seconds == 9


# --- containment: what a run starts does not outlive it ---------------------------------------

NO_PID_NAMESPACE = "no PID namespace here (`unshare --pid --fork` fails): a process that calls setsid " \
                   "leaves the process group the deadline kills, and nothing else catches it"


def _processes_named(marker: str) -> list[int]:
    """Live processes whose command line holds ``marker`` (a zombie's is empty: it is dead)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    if marker.encode() in f.read():
                        found.append(int(entry))
            except OSError:
                pass
    return found


def _kill_named(marker: str) -> None:
    for pid in _processes_named(marker):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def assert_none_left(marker: str, within_s: float = 10.0) -> None:
    """No process of the run is left; the kernel's SIGKILLs may take a moment to land, so poll up to a deadline."""
    deadline = time.monotonic() + within_s
    while (left := _processes_named(marker)) and time.monotonic() < deadline:
        time.sleep(0.05)
    _kill_named(marker)  # never leak them into the rest of the session
    assert left == [], f"processes of the sandboxed run survived it: {left}"


@pytest.fixture
def marker():
    """A name for the processes a test starts; whatever still carries it is killed at teardown, pass or fail."""
    name = f"secgen-test-{uuid.uuid4().hex}"
    yield name
    _kill_named(name)


# A Python 3.11/3.12 program's way around the audit hook: _posixsubprocess.fork_exec raises no audit
# event. spawn() starts sleep named `name` (its argv[0], so /proc/PID/cmdline shows it) with SIGTERM
# ignored, optionally in a new session, and returns once it has exec'd.
SPAWN_UNSEEN = r'''
import _posixsubprocess, os, shutil, signal, sys

def spawn(name, new_session):
    errpipe_read, errpipe_write = os.pipe()
    ignore_term = lambda: signal.signal(signal.SIGTERM, signal.SIG_IGN)
    pid = _posixsubprocess.fork_exec(
        [name, "60"], [os.fsencode(shutil.which("sleep"))], True, (), None, None, -1, -1, -1, -1, -1, -1,
        errpipe_read, errpipe_write, False, new_session, -1, None, None, None, -1, ignore_term, True)
    os.close(errpipe_write)
    failed = os.read(errpipe_read, 100)
    os.close(errpipe_read)
    if failed:
        raise OSError(failed.decode(errors="replace"))
    return pid
'''


def test_a_fork_bomb_is_stopped_by_the_audit_hook_and_leaves_nothing():
    result = run("""
        import os
        while True:
            os.fork()
    """, timeout_s=10.0)
    assert result.status == "failed" and result.seconds < 10.0
    assert result.detail == "PermissionError: secgen sandbox: starting processes (os.fork) is disabled"
    # With a budget of 3, each process forks until the budget it inherited is spent (2**3 processes at
    # most), then lingers; the deadline ends them all. Their command line is the bootstrap's, which
    # names the scratch directory: that is the marker.
    started = run("""
        import os, time
        print(os.getcwd(), flush=True)
        try:
            while True:
                if os.fork() == 0:
                    print("forked", flush=True)
        except PermissionError:
            time.sleep(60)
    """, processes=3, timeout_s=2.0)
    scratch, *forks = started.stdout_tail.split()
    assert_none_left(scratch)
    assert started.status == "timeout" and started.seconds < 5.0
    assert 1 <= len(forks) <= 2**3 - 1 and set(forks) == {"forked"}


@pytest.mark.parametrize("new_session", [
    False,
    pytest.param(True, marks=pytest.mark.skipif(not isolation()["pid_namespace"], reason=NO_PID_NAMESPACE)),
])
def test_processes_started_behind_the_hooks_back_die_at_the_deadline(new_session, marker):
    result = run(SPAWN_UNSEEN + f"""
for i in range(20):
    spawn({marker!r}, {new_session})
print("spawned 20", flush=True)
while True:
    pass
""", timeout_s=2.0)
    assert result.stdout_tail == "spawned 20\n", result
    assert result.status == "timeout" and result.seconds < 5.0
    assert_none_left(marker)


# A child that ignores SIGTERM, starts a grandchild that ignores it too, and says so once both run.
STUBBORN = r'''
import signal, subprocess, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
marker, role, new_session = sys.argv[1], sys.argv[2], sys.argv[3] == "True"
if role == "child":
    grandchild = subprocess.Popen([sys.executable, "-c", sys.argv[4], marker, "grandchild", "False"],
                                  stdout=subprocess.PIPE, start_new_session=new_session)
    assert grandchild.stdout.readline() == b"running\n"
print("running", flush=True)
time.sleep(60)
'''


@pytest.mark.parametrize("new_session", [
    False,
    pytest.param(True, marks=pytest.mark.skipif(not isolation()["pid_namespace"], reason=NO_PID_NAMESPACE)),
])
@pytest.mark.parametrize("ending", ["deadline", "exit"])
def test_children_that_ignore_sigterm_do_not_outlive_the_run(new_session, ending, marker):
    result = run(f"""
        import subprocess, sys
        stubborn = {STUBBORN!r}
        child = subprocess.Popen([sys.executable, "-c", stubborn, {marker!r}, "child", "{new_session}", stubborn],
                                 stdout=subprocess.PIPE, start_new_session={new_session})
        assert child.stdout.readline() == b"running\\n"
        print("both running", flush=True)
        while {ending == "deadline"}:
            pass
    """, processes=2, timeout_s=4.0)
    assert result.stdout_tail == "both running\n", result
    assert result.status == ("timeout" if ending == "deadline" else "passed"), result
    assert result.seconds < 8.0
    assert_none_left(marker)


SANDBOX_SOURCE = Path(__file__).parents[2] / "engine" / "sandbox.py"


def _python_for_nobody() -> str | None:
    """A system Python >= 3.10 that user nobody can run on this checkout's sandbox module, if there is one."""
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        return None
    others_may_read = os.stat(SANDBOX_SOURCE).st_mode & 0o004
    if not others_may_read or not all(os.stat(folder).st_mode & 0o001 for folder in SANDBOX_SOURCE.parents):
        return None
    for candidate in ("/usr/bin/python3", "/usr/local/bin/python3"):
        if os.access(candidate, os.X_OK):
            done = subprocess.run([candidate, "-c", "import sys; print(sys.version_info >= (3, 10))"],
                                  capture_output=True, text=True)
            if done.stdout.strip() == "True":
                return candidate
    return None


@pytest.mark.skipif(not _python_for_nobody(),
                    reason="needs root, setpriv, a system Python >= 3.10 and a world-readable checkout to run "
                           "the sandbox as user nobody (RLIMIT_NPROC, the only layer that bounds this bomb, "
                           "never binds root)")
def test_rlimit_nproc_stops_a_fork_bomb_that_goes_around_the_hook(marker):
    bomb = SPAWN_UNSEEN + f"""
refused = 0
for i in range(200):
    try:
        spawn({marker!r}, True)
    except OSError:
        refused += 1
print("refused", refused, flush=True)
"""
    # the sandbox module loaded by path: the project's venv may live where nobody cannot read
    driver = textwrap.dedent(f"""
        import importlib.util, json, sys
        spec = importlib.util.spec_from_file_location("sandbox", {str(SANDBOX_SOURCE)!r})
        sandbox = importlib.util.module_from_spec(spec)
        sys.modules["sandbox"] = sandbox
        spec.loader.exec_module(sandbox)
        result = sandbox.run_python(sys.stdin.read(), limits=sandbox.SandboxLimits(timeout_s=10.0))
        threads = ("import threading, time; "
                   "ts = [threading.Thread(target=time.sleep, args=(0.5,)) for _ in range(%d)]; "
                   "[t.start() for t in ts]; [t.join() for t in ts]")
        budget = sandbox.SandboxLimits(timeout_s=10.0, processes=2)
        print(json.dumps({{"isolation": sandbox.isolation(), "status": result.status, "stdout": result.stdout_tail,
                          "two_threads": sandbox.run_python(threads % 2, limits=budget).status,
                          "three_threads": sandbox.run_python(threads % 3, limits=budget).detail}}))
    """)
    done = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", _python_for_nobody(),
                           "-c", driver], input=bomb, capture_output=True, text=True, cwd="/",
                          env={"PATH": os.environ["PATH"], "HOME": "/"}, timeout=60)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    if not report["isolation"]["process_limit"]:
        assert_none_left(marker)
        pytest.skip(f"RLIMIT_NPROC is not enforced even for an unprivileged user here: {report['isolation']}")
    assert report["status"] == "passed" and report["stdout"] == "refused 200\n", report
    assert_none_left(marker)
    # and the cap is exact: processes=2 allows two threads at once, not three
    assert report["two_threads"] == "passed", report
    assert report["three_threads"] == "RuntimeError: can't start new thread", report
