"""Sandbox: run untrusted generated Python in a subprocess and say whether it passed.

A benchmark such as HumanEval executes what a model wrote, together with its
unit tests. ``run_python`` runs that program text in a child interpreter and
reports ``passed`` (exit code 0), ``failed`` (non-zero exit or killed by a
signal), ``timeout`` or ``error`` (the sandbox itself could not run; it never
raises for that). The layers, outermost first:

1. **A throwaway process.** A fresh scratch directory (``mkdtemp``) is the cwd,
   ``HOME`` and ``TMPDIR``, and is deleted afterwards. The interpreter runs as
   ``python -I -B`` (no user site, no ``PYTHON*`` variables, no ``.pyc``
   writes) with only ``PATH`` and ``LANG`` from the parent's environment, stdin
   from ``/dev/null``, in its own session and process group. stdout and stderr
   go to unnamed temporary files, so a chatty program cannot fill the parent's
   memory; the result keeps the last ~2000 characters of each. The bootstrap
   forks once: the first process (the sandbox's *init*) only waits for the
   program's process and reports how it ended on a pipe the program never
   holds, then exits.
2. **A wall clock.** At ``timeout_s`` the whole process group is killed with
   SIGKILL, and so is the group when the program ends (whatever it left
   running). The exit is watched through a pidfd, so the group is killed while
   its leader is still an unreaped zombie and its id cannot have been reused.
   A process that leaves the group (``setsid``) escapes this layer; layer 4's
   PID namespace catches it.
3. **Resource limits**, set by a small bootstrap in the program's process
   before the program is compiled: ``RLIMIT_AS`` (memory), ``RLIMIT_CPU``,
   ``RLIMIT_FSIZE`` (which also caps stdout and stderr), ``RLIMIT_CORE=0``,
   and ``RLIMIT_NPROC`` for ``processes`` (see 4). The bootstrap sets them
   rather than ``preexec_fn``, which is unsafe in a parent that runs threads,
   as the language server does.
4. **Namespaces**, made with ``unshare``, the strongest set that works here
   (probed once, then cached; ``isolation()`` reports it):

   * a **network namespace** (``-n``): the only interface is a loopback that
     is down, so nothing, C extensions included, can reach a network;
   * a **PID namespace** (``--pid --fork --kill-child``): the init is its
     PID 1, so when the init dies (the program ended, or the group was killed
     at the deadline, or ``unshare`` was killed: ``--kill-child``) the kernel
     kills every process left in the namespace, including ones that called
     ``setsid``, ignore SIGTERM, or were started behind the audit hook's back.
     The program is PID 2, not 1, because PID 1 ignores every signal it has
     no handler for (RLIMIT_CPU's SIGXCPU included); and it cannot see, so
     cannot signal, any process outside;
   * a **user namespace** (``-r``) where unprivileged namespaces are allowed
     (or needed: a non-root user cannot make the other two without it). It
     also gives ``RLIMIT_NPROC`` a count of the sandbox's own processes
     (threads included), so ``processes`` caps how many the program may add:
     the probe measures how many processes that count already holds where the
     program starts. The kernel does not apply the limit to root outside a
     user namespace, nor, on some kernels, inside one made by root: then the
     limit is inactive (``process_limit`` is False) and only the audit hook
     and the clock bound a fork bomb.

   With ``network=True`` everything but ``-n`` still applies. Where no
   namespace can be made, layers 1-3 and 5 remain.
5. **An audit hook** (PEP 578), always installed by the bootstrap before the
   program, which is compiled as ``"<solution>"`` and run as ``__main__``. It
   raises ``PermissionError("secgen sandbox: ...")`` for: opening a file for
   writing, and removing, renaming, linking, chmod-ing, truncating and the
   like, anywhere outside the scratch directory (paths, ``dir_fd`` and file
   descriptors are resolved with ``realpath`` first, so symlinks and ``..``
   do not escape); sockets connecting, binding, sending to an address or
   resolving names (unless ``network``); starting processes (``subprocess``,
   ``os.system``, ``os.exec*``, ``os.posix_spawn``, ``os.fork``), or more than
   ``processes`` of them (the count is per process: a forked child inherits
   what is left, so without ``RLIMIT_NPROC`` n allowed forks can become
   2**n - 1 processes); ``ctypes``; signalling processes outside its own
   process group (the parent, say). Reading files stays allowed, or the
   program could not import the standard library.

What this protects against: generated code that, by mistake or by a careless
imitation of its training data, loops forever, eats memory, deletes or
overwrites files, fills the disk, talks to the network, or starts programs.

What it does not: it is **not a security boundary** against a determined
attacker. Audit hooks are a Python-level tripwire: native code (a C extension
written into the scratch directory and imported, crafted bytecode) and
Python code that goes hunting for the hook's state (frames, ``gc``,
monkeypatching ``os`` or ``posixpath``) can get past it;
``_posixsubprocess.fork_exec`` starts processes unseen (without a process
limit nothing stops a fork bomb built on it before the deadline); with
``processes > 0`` the programs started run without the hook; files are
written with the parent's uid, and ``/tmp`` is not off limits to the kernel.
The real walls are the namespaces and the resource limits.
``isolation()`` says which layers are active on this machine; for untrusted
input at scale, run the whole benchmark in a container or VM as well.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import math
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

__all__ = ["SandboxLimits", "SandboxResult", "isolation", "run_python"]

TAIL_CHARS = 2000
DETAIL_CHARS = 300
PROGRAM_NAME = ".secgen-solution.py"


@dataclass(frozen=True, kw_only=True)
class SandboxLimits:
    """What the sandboxed program may use; the defaults suit a HumanEval problem."""

    timeout_s: float = 10.0  # wall clock; the whole process group is killed at the limit
    memory_mb: int = 1024  # RLIMIT_AS
    cpu_s: int | None = None  # RLIMIT_CPU; None: ceil(timeout_s) + 1
    file_size_mb: int = 16  # RLIMIT_FSIZE
    processes: int = 0  # extra processes/threads-by-fork allowed; 0: the program may not fork/exec/spawn
    network: bool = False

    def __post_init__(self) -> None:
        if not self.timeout_s > 0:
            raise ValueError(f"SandboxLimits.timeout_s must be positive, not {self.timeout_s!r}")
        for name in ("memory_mb", "file_size_mb"):
            if getattr(self, name) < 1:
                raise ValueError(f"SandboxLimits.{name} must be at least 1, not {getattr(self, name)!r}")
        if self.cpu_s is not None and self.cpu_s < 1:
            raise ValueError(f"SandboxLimits.cpu_s must be at least 1 or None, not {self.cpu_s!r}")
        if self.processes < 0:
            raise ValueError(f"SandboxLimits.processes must not be negative, not {self.processes!r}")

    @property
    def cpu_seconds(self) -> int:
        return self.cpu_s if self.cpu_s is not None else math.ceil(self.timeout_s) + 1


@dataclass(frozen=True, kw_only=True)
class SandboxResult:
    """How one run ended."""

    status: str  # "passed" | "failed" | "timeout" | "error" (sandbox itself could not run)
    returncode: int | None  # negative: killed by that signal; None: timed out or never ran
    seconds: float
    detail: str  # one line: the last line of the exception / "timed out after 10.0 s" / "killed by SIGKILL (memory?)"
    stdout_tail: str
    stderr_tail: str

    @property
    def passed(self) -> bool:
        return self.status == "passed"


# The child's first code: limits, then the audit hook, then the program. The
# tables are immutable and copied into the hook's closure; all its state lives in
# closure cells, not in globals the program could rebind through a frame.
_BOOTSTRAP = r'''
import sys

# event -> ((index of a path argument, index of its dir_fd argument or None), ...)
_PATH_EVENTS = (
    ("os.remove", ((0, 1),)), ("os.rmdir", ((0, 1),)), ("os.mkdir", ((0, 2),)),
    ("os.rename", ((0, 2), (1, 3))), ("os.link", ((0, 2), (1, 3))), ("os.symlink", ((1, 2),)),
    ("os.chmod", ((0, 2),)), ("os.lchmod", ((0, None),)), ("os.chown", ((0, 3),)),
    ("os.utime", ((0, 3),)), ("os.truncate", ((0, None),)), ("os.chflags", ((0, None),)),
    ("os.lchflags", ((0, None),)), ("os.setxattr", ((0, None),)), ("os.removexattr", ((0, None),)),
    ("shutil.rmtree", ((0, 1),)), ("shutil.copyfile", ((1, None),)), ("shutil.copymode", ((1, None),)),
    ("shutil.copystat", ((1, None),)), ("shutil.copytree", ((1, None),)), ("shutil.chown", ((0, None),)),
)
_NETWORK_EVENTS = frozenset((
    "socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg", "socket.getaddrinfo",
    "socket.gethostbyname", "socket.gethostbyaddr", "socket.getnameinfo",
))
_SPAWN_EVENTS = frozenset(("subprocess.Popen", "os.system", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty"))


def _set_limits(rlimits):
    import resource
    for name, soft, hard in rlimits:
        kind = getattr(resource, name)
        ceiling = resource.getrlimit(kind)[1]
        if ceiling != resource.RLIM_INFINITY:
            soft, hard = min(soft, ceiling), min(hard, ceiling)
        resource.setrlimit(kind, (soft, hard))


def _path_guard(scratch):
    # Returns outside(path, dir_fd): the resolved path when it is outside scratch, else None.
    import os
    realpath, join, isabs, fsdecode = os.path.realpath, os.path.join, os.path.isabs, os.fsdecode

    def outside(path, dir_fd=None):
        if isinstance(path, int):
            path = "/proc/self/fd/%d" % path
        else:
            path = fsdecode(path)
            if isinstance(dir_fd, int) and dir_fd >= 0 and not isabs(path):
                path = join("/proc/self/fd/%d" % dir_fd, path)
        resolved = realpath(path)
        return None if resolved == scratch or resolved.startswith(scratch + "/") else resolved
    return outside


def _own_group():
    # Returns own(event, target): whether os.kill/os.killpg aims at the sandbox's own process group.
    import os
    getpid, getpgid, getpgrp = os.getpid, os.getpgid, os.getpgrp

    def own(event, target):
        if event == "os.killpg" or target < 0:
            return abs(target) in (0, getpgrp())
        if target in (0, getpid()):
            return True
        try:
            return getpgid(target) == getpgrp()
        except OSError:
            return False
    return own


def _install(scratch, network, processes):
    import os
    outside, own, path_events = _path_guard(scratch), _own_group(), dict(_PATH_EVENTS)
    network_events, spawn_events, budget = _NETWORK_EVENTS, _SPAWN_EVENTS, [processes]
    write_flags = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND

    def refuse(what):
        raise PermissionError("secgen sandbox: " + what)

    def hook(event, args):
        if event == "open":
            path, mode, flags = args[0], args[1], args[2]
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or bool((flags or 0) & write_flags)
            escaped = writing and not isinstance(path, int) and outside(path)
            if escaped:
                refuse("writing %s outside the scratch directory" % escaped)
        elif event in path_events:
            for index, fd_index in path_events[event]:
                if index < len(args) and args[index] is not None:
                    dir_fd = args[fd_index] if fd_index is not None and fd_index < len(args) else None
                    escaped = outside(args[index], dir_fd)
                    if escaped:
                        refuse("%s of %s outside the scratch directory" % (event, escaped))
        elif event in network_events:
            if not network:
                refuse("network access (%s) is disabled" % event)
        elif event in spawn_events or event == "os.exec":
            if budget[0] <= 0:
                refuse("starting processes (%s) is disabled" % event)
            if event != "os.exec":
                budget[0] -= 1
        elif event.startswith("ctypes."):
            refuse("ctypes is disabled (%s)" % event)
        elif event in ("os.kill", "os.killpg") and not own(event, args[0]):
            refuse("signalling process %s outside the sandbox" % args[0])

    sys.addaudithook(hook)


def _excepthook(kind, value, tb):
    # Python's traceback printer (the C one cannot see linecache), from the program's first frame on.
    import traceback
    while tb is not None and tb.tb_frame.f_code.co_filename != "<solution>":
        tb = tb.tb_next
    traceback.print_exception(kind, value, tb)


def _init(status_fd):
    # Fork; the parent stays behind as the sandbox's init, reaps (as PID 1 of a PID namespace,
    # orphans are its children too), writes the program's wait status to status_fd and exits.
    import os
    program = os.fork()
    if program == 0:
        os.close(status_fd)
        return
    while True:
        pid, status = os.waitpid(-1, 0)
        if pid == program:
            os.write(status_fd, b"%d" % status)
            os._exit(0)


def _run(config):
    import linecache, os, types
    _init(config["status_fd"])
    _set_limits(config["rlimits"])
    with open(config["program"], encoding="utf-8") as file:
        source = file.read()
    _install(config["scratch"], config["network"], config["processes"])
    os.remove(config["program"])  # tells the parent that the sandbox is up
    linecache.cache["<solution>"] = (len(source), None, source.splitlines(True), "<solution>")
    sys.excepthook = _excepthook
    code = compile(source, "<solution>", "exec")
    main = types.ModuleType("__main__")
    sys.modules["__main__"] = main
    sys.argv = ["<solution>"]
    exec(code, main.__dict__)


_run(__import__("json").loads(sys.argv.pop()))
'''

# Run once under each candidate wrapping, strongest first; the first that answers is
# used. Like the bootstrap it forks once and works in the child, where a program
# would run, and prints the lowest RLIMIT_NPROC (1-8) that lets it fork, or 0: a
# limit of 1 that allows a fork is not enforced, and under a user namespace, where
# the count is the sandbox's own, one less is what the count holds at the start.
_PROBE = """
import os, resource
if os.fork():
    os._exit(os.waitstatus_to_exitcode(os.wait()[1]))
hard = resource.getrlimit(resource.RLIMIT_NPROC)[1]
for limit in range(1, 9):
    if hard != resource.RLIM_INFINITY and limit > hard:
        break
    resource.setrlimit(resource.RLIMIT_NPROC, (limit, hard))
    try:
        pid = os.fork()
    except OSError:
        continue
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    print(limit)
    break
else:
    print(0)
"""
_PID_NAMESPACE = ("--pid", "--fork", "--kill-child")
# unshare's flags, "-n" left out (it depends on SandboxLimits.network)
_WRAPPINGS = (("-r", *_PID_NAMESPACE), _PID_NAMESPACE, ("-r",))


@dataclass(frozen=True, kw_only=True)
class _Machine:
    namespaces: tuple[str, ...]  # the unshare command and its flags but "-n"; () when no namespace can be made
    process_limit: bool  # RLIMIT_NPROC refuses a fork where the program runs
    counted: int | None  # processes RLIMIT_NPROC counts when the program starts, where it counts only the sandbox's

    @property
    def pid_namespace(self) -> bool:
        return "--pid" in self.namespaces


def _probe(argv: list[str]) -> int | None:
    try:
        done = subprocess.run(argv, cwd="/", env=_base_env("/"), stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    answer = done.stdout.strip()
    return int(answer) if done.returncode == 0 and answer.isdigit() else None


@functools.cache
def _machine() -> _Machine:
    unshare = shutil.which("unshare")
    python = [sys.executable, "-I", "-c", _PROBE]
    for flags in _WRAPPINGS if unshare else ():
        first_allowed = _probe([unshare, *flags, "-n", *python])
        if first_allowed is not None:
            counted = first_allowed - 1 if "-r" in flags and first_allowed > 1 else None
            return _Machine(namespaces=(unshare, *flags), process_limit=first_allowed != 1, counted=counted)
    return _Machine(namespaces=(), process_limit=_probe(python) not in (1, None), counted=None)


def isolation() -> dict[str, bool]:
    """Which layers ``run_python`` uses on this machine (see the module docstring)."""
    machine = _machine()
    return {
        "network_namespace": bool(machine.namespaces),
        "pid_namespace": machine.pid_namespace,
        "process_limit": machine.process_limit,
        "rlimits": importlib.util.find_spec("resource") is not None,
        "audit_hook": hasattr(sys, "addaudithook"),
    }


def _base_env(scratch: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", os.defpath),
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        "HOME": scratch,
        "TMPDIR": scratch,
    }


def _rlimits(limits: SandboxLimits, machine: _Machine) -> list[tuple[str, int, int]]:
    cpu = limits.cpu_seconds
    rlimits = [
        ("RLIMIT_AS", limits.memory_mb * 2**20, limits.memory_mb * 2**20),
        ("RLIMIT_CPU", cpu, cpu + 1),  # SIGXCPU at the soft limit, SIGKILL a second later
        ("RLIMIT_FSIZE", limits.file_size_mb * 2**20, limits.file_size_mb * 2**20),
        ("RLIMIT_CORE", 0, 0),
    ]
    if machine.counted is not None:  # the namespace's own count: what it holds plus what the program may add
        nproc = machine.counted + limits.processes
        rlimits.append(("RLIMIT_NPROC", nproc, nproc))
    elif limits.processes == 0:  # the count is the whole uid's, so only "none" can be said
        rlimits.append(("RLIMIT_NPROC", 0, 0))
    return rlimits


def _command(python: str, scratch: str, program_path: str, status_fd: int, limits: SandboxLimits) -> list[str]:
    machine = _machine()
    config = {
        "scratch": scratch,
        "program": program_path,
        "status_fd": status_fd,
        "network": limits.network,
        "processes": limits.processes,
        "rlimits": _rlimits(limits, machine),
    }
    argv = [python, "-I", "-B", "-c", _BOOTSTRAP, json.dumps(config)]
    if machine.namespaces:
        return [*machine.namespaces, *(() if limits.network else ("-n",)), *argv]
    return argv


def _wait(proc: subprocess.Popen, timeout_s: float) -> bool:
    """Wait for the program, kill its process group, reap it; True when it ran out of time."""
    try:
        pidfd = os.pidfd_open(proc.pid)
    except (AttributeError, OSError):
        pidfd = None
    if pidfd is None:  # no pidfd: reap first, so the group id could in theory be reused
        try:
            proc.wait(timeout=timeout_s)
            timed_out = False
        except subprocess.TimeoutExpired:
            timed_out = True
        _kill_group(proc.pid)
        proc.wait()
        return timed_out
    try:
        poller = select.poll()
        poller.register(pidfd, select.POLLIN)
        timed_out = not poller.poll(timeout_s * 1000)
    finally:
        os.close(pidfd)
    _kill_group(proc.pid)  # the leader is at most a zombie here, so the group id is still ours
    proc.wait()
    return timed_out


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _tail(file) -> str:
    file.seek(max(0, os.fstat(file.fileno()).st_size - 4 * TAIL_CHARS))
    return file.read().decode("utf-8", errors="replace")[-TAIL_CHARS:]


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:DETAIL_CHARS] if lines else ""


_SIGNAL_HINTS = {
    signal.SIGKILL: "memory?",
    signal.SIGXCPU: "CPU time limit",
    signal.SIGXFSZ: "file size limit",
    signal.SIGSEGV: "crashed",
}


def _signal_detail(number: int) -> str:
    try:
        name = signal.Signals(number).name
    except ValueError:
        name = f"signal {number}"
    hint = _SIGNAL_HINTS.get(number)
    return f"killed by {name} ({hint})" if hint else f"killed by {name}"


def _remove_tree(path: str) -> None:
    for root, dirs, _ in os.walk(path):  # a program may have left directories it cannot list
        for name in dirs:
            try:
                os.chmod(os.path.join(root, name), 0o700, follow_symlinks=False)
            except OSError:
                pass
    shutil.rmtree(path, ignore_errors=True)


def _error(detail: str, started: float) -> SandboxResult:
    return SandboxResult(status="error", returncode=None, seconds=time.monotonic() - started,
                         detail=detail[:DETAIL_CHARS], stdout_tail="", stderr_tail="")


@dataclass(frozen=True, kw_only=True)
class _Ended:
    timed_out: bool
    code: int | None  # the program's exit code (negative: killed by that signal), or the leader's if none was reported
    stdout_tail: str
    stderr_tail: str


def _execute(interpreter: str, scratch: str, program_path: str, limits: SandboxLimits) -> _Ended:
    """Start the sandbox, wait for it, kill whatever is left, and read how the program ended."""
    status_read, status_write = os.pipe()
    try:
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            try:
                proc = subprocess.Popen(
                    _command(interpreter, scratch, program_path, status_write, limits),
                    cwd=scratch, env=_base_env(scratch), stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                    start_new_session=True, close_fds=True, pass_fds=(status_write,),
                )
            finally:
                os.close(status_write)
            timed_out = _wait(proc, limits.timeout_s)
            status = _reported_status(status_read)
            code = proc.returncode if status is None else os.waitstatus_to_exitcode(status)
            return _Ended(timed_out=timed_out, code=code, stdout_tail=_tail(out), stderr_tail=_tail(err))
    finally:
        os.close(status_read)


def _reported_status(fd: int) -> int | None:
    """The wait status the sandbox's init wrote, or None: it was killed first, or never started."""
    os.set_blocking(fd, False)
    try:
        data = os.read(fd, 32)
    except BlockingIOError:
        return None
    return int(data) if data.isdigit() else None


def run_python(program: str, *, limits: SandboxLimits = SandboxLimits(), python: str = sys.executable) -> SandboxResult:
    """Run ``program`` (Python source) in the sandbox; never raises for a program or sandbox failure."""
    started = time.monotonic()
    interpreter = shutil.which(python)
    if interpreter is None:
        return _error(f"interpreter not found or not executable: {python}", started)
    try:
        scratch = os.path.realpath(tempfile.mkdtemp(prefix="secgen-sandbox-"))
    except OSError as exc:
        return _error(f"cannot create a scratch directory: {exc}", started)
    try:
        program_path = os.path.join(scratch, PROGRAM_NAME)
        try:
            with open(program_path, "w", encoding="utf-8") as file:
                file.write(program)
        except (OSError, UnicodeError) as exc:
            return _error(f"cannot write the program to the scratch directory: {exc}", started)
        try:
            ended = _execute(os.path.abspath(interpreter), scratch, program_path, limits)
        except OSError as exc:
            return _error(f"cannot start {interpreter}: {exc}", started)
        seconds = time.monotonic() - started
        sandbox_up = not os.path.exists(program_path)
    finally:
        _remove_tree(scratch)
    code = ended.code
    if ended.timed_out:
        status, code, detail = "timeout", None, f"timed out after {limits.timeout_s} s"
    elif not sandbox_up:
        status, code = "error", None
        detail = _last_line(ended.stderr_tail) or f"the sandbox did not start (exit code {ended.code})"
    elif code == 0:
        status, detail = "passed", ""
    elif code < 0:
        status, detail = "failed", _signal_detail(-code)
    else:
        status, detail = "failed", _last_line(ended.stderr_tail) or f"exit code {code}"
    return SandboxResult(status=status, returncode=code, seconds=seconds, detail=detail,
                         stdout_tail=ended.stdout_tail, stderr_tail=ended.stderr_tail)
