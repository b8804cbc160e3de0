"""The sandbox, run for real: every test starts a sandboxed interpreter.

Each refusal is checked twice where it can be: the program sees the
``PermissionError`` (so the status is ``failed`` with the hook's message), and
the world outside shows no trace of the attempt (the file is absent or intact,
the listening socket got no connection). Layers that depend on the machine
(network namespace, process limit) are tested where ``isolation()`` says they
are active, and skipped with the reason otherwise.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import textwrap
import time

import pytest

from secgen.bench.sandbox import SandboxLimits, SandboxResult, isolation, run_python

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


def test_infinite_loop_is_killed_at_the_timeout_with_its_process_group():
    started = time.monotonic()
    result = run("""
        import os
        print(os.getpid(), flush=True)
        while True:
            pass
    """, timeout_s=1.0)
    elapsed = time.monotonic() - started
    assert result.status == "timeout" and result.returncode is None
    assert result.detail == "timed out after 1.0 s"
    assert 1.0 <= elapsed < 5.0
    pid = int(result.stdout_tail.split()[0])
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    with pytest.raises(ProcessLookupError):
        os.killpg(pid, 0)


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
                    reason="RLIMIT_NPROC is not enforced here (root outside a user namespace ignores it)")
def test_process_limit_stops_threads_too():
    program = "import threading; t = threading.Thread(target=print); t.start(); t.join()"
    assert run(program).detail == "RuntimeError: can't start new thread"
    assert run(program, processes=1).status == "passed"


def test_ctypes_is_refused():
    result = run("import ctypes")
    assert result.status == "failed"
    assert result.detail.startswith("PermissionError: secgen sandbox: ctypes is disabled")


def test_signalling_the_parent_is_refused():
    assert run("import os; os.kill(os.getpid(), 0); os.killpg(0, 0)").status == "passed"
    result = run("import os; os.kill(os.getppid(), 0)")
    assert result.status == "failed"
    assert result.detail.startswith("PermissionError: secgen sandbox: signalling process")


def test_memory_limit():
    result = run("x = bytearray(4 * 1024**3)", memory_mb=256)
    assert result.status == "failed"
    assert "MemoryError" in result.detail


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
    assert set(layers) == {"network_namespace", "process_limit", "rlimits", "audit_hook"}
    assert all(isinstance(value, bool) for value in layers.values())
    assert layers["audit_hook"] and layers["rlimits"]


@pytest.mark.parametrize("bad", [{"timeout_s": 0}, {"memory_mb": 0}, {"processes": -1}, {"cpu_s": 0}])
def test_limits_reject_nonsense(bad):
    with pytest.raises(ValueError, match="SandboxLimits"):
        SandboxLimits(**bad)


def test_cpu_limit_defaults_from_the_timeout():
    assert SandboxLimits(timeout_s=2.5).cpu_seconds == 4
    assert SandboxLimits(timeout_s=2.5, cpu_s=9).cpu_seconds == 9
