"""SALLM's test harness, without Docker: a task's module and its unittest file, run in secgen's sandbox.

SALLM (s2e-lab/SALLM) scores generated code with one Docker image per task:
the image copies the generated module, the task's ``test_<module>.py`` and the
files its Dockerfile names (``assets/``, ``static/``, ``templates/``, a
database), installs the task's requirements and runs the test module. Here the
requirements are the ``bench`` extra, installed once (nothing is downloaded at
run time), and each run is a program for :func:`secgen.engine.sandbox.run_python`
that writes those files into its scratch directory, imports the test module
from there and runs one test method (unittest's ``buffer`` keeps the tests'
output apart), then prints its outcome as the last line of stdout.

**One sandbox run per test method.** Each method starts from fresh files and
gets the whole timeout, so a test that hangs (a ReDoS, a million passwords)
costs only its own verdict, and one test's leftovers (a deleted image, a
written CSV) cannot decide another's. SALLM's image runs both methods in one
process; every SALLM test file sets up what it needs in ``setUp``, so the
verdicts are the same where nothing hangs.

**Classification.** Every SALLM test file has one ``unittest.TestCase`` with
``test_correctness`` (the functional test) and ``test_vulnerability`` (the
security test). The rule, by method name: ``test_correctness*`` is functional,
``test_vulnerability*`` or ``test_security*`` is security, any other
``test*`` method is left unclassified (and listed; none in the 93 files).

**Assembling the module** (:func:`assemble`). A prompt is a module whose
function(s) have only a docstring; the model is asked for the whole module.
The module written as ``<module>.py`` is the prompt's module with every
top-level definition the answer also makes (a function, a class, an assigned
name) taken out and the answer put where the first of them stood, so an answer
that is the whole module replaces the prompt, and an answer that is only the
function keeps the prompt's imports, ``app`` and helpers around it. Imports and
statements that define nothing (``app.config[...] = ...``) are kept from the
prompt: repeating them is harmless. An answer that does not parse is written
as it is, and fails both kinds of test.

**Processes.** Command-injection tasks run ``ls``, ``echo`` or ``ping`` through
``os.system`` and ``subprocess``, so a run may start a few processes
(:attr:`SandboxLimits.processes`); the network stays off.
"""

from __future__ import annotations

import ast
import base64
import glob
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

from secgen.engine.sandbox import SandboxLimits, run_python

FUNCTIONAL, SECURITY = "functional", "security"
MARK = "@@secgen-sallm-outcome@@"
DETAIL_CHARS = 200
# A task's requirement -> the module its tests import
IMPORT_NAMES = {"flask": "flask", "flask-sqlalchemy": "flask_sqlalchemy", "pycryptodome": "Crypto", "lxml": "lxml",
                "pyjwt": "jwt", "requests": "requests", "paramiko": "paramiko", "django": "django"}


def limits(timeout_s: float) -> SandboxLimits:
    """A SALLM test run's limits: Flask, SQLAlchemy and lxml want more memory than a HumanEval problem."""
    return SandboxLimits(timeout_s=timeout_s, memory_mb=2048, processes=8)


def classify(method: str) -> str | None:
    """``functional``, ``security``, or ``None`` for a test method the rule does not cover."""
    name = method.rpartition(".")[2]
    if name.startswith("test_correctness"):
        return FUNCTIONAL
    if name.startswith(("test_vulnerability", "test_security")):
        return SECURITY
    return None


def test_methods(source: str) -> list[str]:
    """``Class.method`` for each ``test*`` method of each class in a unittest file, in file order."""
    return [f"{node.name}.{item.name}" for node in ast.parse(source).body if isinstance(node, ast.ClassDef)
            for item in node.body if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
            and item.name.startswith("test")]


def requirements(text: str) -> list[str]:
    """The distribution names of a requirements file (versions dropped)."""
    names = (re.split(r"[<>=!~\[;\s]", line.strip(), maxsplit=1)[0] for line in text.splitlines())
    return [n for n in names if n and not n.startswith("#")]


# ---- the module


def _defined(node: ast.stmt) -> set[str]:
    """The names a top-level statement defines (imports excluded: they are kept from the prompt)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
    return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}


def _statements(code: str) -> list[tuple[ast.stmt, str]] | None:
    """Each top-level statement and its source text (decorators and leading comments included)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return None
    lines = code.splitlines(keepends=True)
    spans, start = [], 0
    for node, after in zip(tree.body, [*tree.body[1:], None]):
        end = (min([after.lineno, *(d.lineno for d in getattr(after, "decorator_list", []))]) - 1
               if after is not None else len(lines))
        spans.append((node, "".join(lines[start:end])))
        start = end
    return spans


def assemble(prompt: str, answer: str) -> str:
    """``<module>.py``: the prompt's module with the answer in place of the definitions it makes (see above)."""
    answer = answer.rstrip("\n") + "\n" if answer.strip() else ""
    parsed = _statements(answer)
    pieces = _statements(prompt)
    if parsed is None or pieces is None:
        return answer
    redefined = set().union(*(_defined(node) for node, _ in parsed))
    out, placed = [], False
    for node, text in pieces:
        if _defined(node) & redefined:
            if not placed:
                out.append(answer if answer.endswith("\n\n") else answer + "\n")
                placed = True
            continue
        out.append(text)
    if not placed:
        out.append("\n\n" + answer)
    return "".join(out).rstrip("\n") + "\n"


# ---- the files beside it


@dataclass(frozen=True, kw_only=True)
class Layout:
    """What a task's Dockerfile puts beside the module: folders to make and files to copy, by relative path."""

    dirs: tuple[str, ...] = ()
    files: Mapping[str, bytes] | None = None


def layout(folder: Path, module: str) -> Layout:
    """The ``RUN mkdir -p`` folders and ``COPY`` files of ``<module>_Dockerfile`` (the module, its test and
    requirements aside); a ``COPY`` source that names nothing is skipped, as Docker would refuse it."""
    dockerfile = folder / f"{module}_Dockerfile"
    text = dockerfile.read_text(encoding="utf-8") if dockerfile.exists() else ""
    dirs, files = [], {}
    for line in text.splitlines():
        words = line.split()
        if words[:3] == ["RUN", "mkdir", "-p"]:
            dirs += words[3:]
        elif words[:1] == ["COPY"] and len(words) == 3 and not words[1].startswith("$"):
            source, target = words[1], words[2]
            if source in (f"test_{module}.py", f"{module}_requirements.txt"):
                continue
            for path in sorted(glob.glob(str(folder / source))):
                if Path(path).is_file():
                    name = Path(path).name
                    relative = str(Path(target.removeprefix("./")) / name) if target.endswith("/") else \
                        target.removeprefix("./")
                    files[relative] = Path(path).read_bytes()
    return Layout(dirs=tuple(d.removeprefix("./") for d in dirs), files=files)


# ---- a run


_PROGRAM = r'''
import base64, importlib, json, os, sys, traceback, unittest

spec = json.loads(base64.b64decode(SPEC))
for folder in spec["dirs"]:
    os.makedirs(folder, exist_ok=True)
for name, data in spec["files"].items():
    if os.path.dirname(name):
        os.makedirs(os.path.dirname(name), exist_ok=True)
    with open(name, "wb") as file:
        file.write(base64.b64decode(data))
sys.path.insert(0, os.getcwd())


def brief(kind, value):
    return " ".join(" ".join(traceback.format_exception_only(kind, value)).split())[:DETAIL]


def report(status, detail=""):
    sys.stdout.flush()
    os.write(1, ("\n" + MARK + json.dumps({"status": status, "detail": detail}) + "\n").encode())
    os._exit(0)


class Result(unittest.TestResult):
    # The first failure or error, told in one line; the test's own output is buffered away.
    def __init__(self):
        super().__init__()
        self.buffer, self.outcome = True, None

    def note(self, test, err):
        if err is not None and self.outcome is None:
            failed = issubclass(err[0], test.failureException)
            self.outcome = ("failed" if failed else "error", brief(err[0], err[1]))

    def addError(self, test, err):
        super().addError(test, err)
        self.note(test, err)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self.note(test, err)

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        self.note(test, err)


try:
    importlib.import_module(spec["test_module"])
    suite = unittest.defaultTestLoader.loadTestsFromName(spec["test_module"] + "." + spec["method"])
except BaseException as exc:
    report("error", "import: " + brief(type(exc), exc))
result = Result()
suite.run(result)
if result.outcome:
    report(*result.outcome)
if result.unexpectedSuccesses or result.skipped or result.testsRun != 1:
    report("failed", "skipped or not run")
report("passed")
'''


@dataclass(frozen=True, kw_only=True)
class Outcome:
    status: str  # "passed" | "failed" (an assertion) | "error" (an exception, an import) | "timeout" | "crashed"
    detail: str = ""

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def __str__(self) -> str:
        return self.status + (f": {self.detail}" if self.detail else "")


def program(module: str, code: str, tests: str, where: Layout, method: str) -> str:
    """The sandbox program that lays out the task's files and runs one test method."""
    files = {**dict(where.files or {}), f"{module}.py": code.encode("utf-8"),
             f"test_{module}.py": tests.encode("utf-8")}
    spec = {"dirs": list(where.dirs), "files": {k: base64.b64encode(v).decode() for k, v in files.items()},
            "test_module": f"test_{module}", "method": method}
    encoded = base64.b64encode(json.dumps(spec).encode()).decode()
    return (f"SPEC = {encoded!r}\nMARK = {MARK!r}\nDETAIL = {DETAIL_CHARS}\n" + _PROGRAM)


def run_method(module: str, code: str, tests: str, where: Layout, method: str, limits: SandboxLimits) -> Outcome:
    """Run one test method of ``tests`` against ``code`` as ``<module>.py`` in the sandbox."""
    result = run_python(program(module, code, tests, where, method), limits=limits)
    reported = [line for line in result.stdout_tail.splitlines() if line.startswith(MARK)]
    if reported:
        try:
            value = json.loads(reported[-1][len(MARK):])
            return Outcome(status=str(value["status"]), detail=str(value.get("detail", ""))[:DETAIL_CHARS])
        except (ValueError, KeyError, TypeError):
            pass
    if result.status == "timeout":
        return Outcome(status="timeout", detail=result.detail)
    return Outcome(status="crashed", detail=(result.detail or result.status)[:DETAIL_CHARS])


def run_tests(module: str, code: str, tests: str, where: Layout, methods: Sequence[str],
              limits: SandboxLimits) -> dict[str, Outcome]:
    """Each of ``methods`` run on its own against ``code``."""
    return {method: run_method(module, code, tests, where, method, limits) for method in methods}


def verdicts(outcomes: Mapping[str, Outcome]) -> dict[str, bool | None]:
    """``func``: every functional method passed; ``sec``: every security method passed; ``func_sec``: both.
    ``None`` where the file has no method of that kind."""
    def all_passed(kind: str) -> bool | None:
        chosen = [o.passed for m, o in outcomes.items() if classify(m) == kind]
        return all(chosen) if chosen else None
    func, sec = all_passed(FUNCTIONAL), all_passed(SECURITY)
    return {"func": func, "sec": sec, "func_sec": None if func is None or sec is None else func and sec}
