"""percentile and machine_info: what every run file records about how fast and where."""

from __future__ import annotations

import hashlib
import os
import re
from collections import deque
from pathlib import Path

import pytest

from secgen.engine import measure
from secgen.engine.measure import cpu_flags, file_sha256, machine_info, percent, percentile

RUNNER_KEYS = {"cpu", "cpu_count", "python", "platform", "secgen_commit"}  # bench/runner.py's machine()


def test_percent_writes_one_decimal_and_a_dash_for_nothing():
    assert percent(0.24) == "24.0%" and percent(1 / 3) == "33.3%" and percent(0.0) == "0.0%"
    assert percent(None) == "\u2013" and percent(None, "-") == "-"


def test_percentile_interpolates_between_ranks():
    assert percentile([4.0, 1.0, 3.0, 2.0], 50) == pytest.approx(2.5)
    assert percentile(list(range(1, 21)), 95) == pytest.approx(19.05)
    assert percentile([1.0, 2.0, 3.0], 95) == pytest.approx(2.9)
    assert percentile(deque([3.0, 1.0, 2.0]), 0) == 1.0 and percentile((3.0, 1.0, 2.0), 100) == 3.0
    assert percentile([7.0], 95) == 7.0
    assert percentile([], 50) is None


def test_machine_info_names_the_machine_and_is_a_superset_of_the_runners():
    info = machine_info()
    assert RUNNER_KEYS <= set(info)
    assert {"cpu_flags", "memory_total_bytes", "machine", "llama_cpp_python",
            "model_file", "model_file_bytes", "model_sha256"} <= set(info)
    assert info["cpu"] and info["cpu_count"] == os.cpu_count() and info["python"].count(".") == 2
    assert set(info["cpu_flags"]) == {"avx2", "avx512", "amx"}
    assert all(isinstance(flag, bool) for flag in info["cpu_flags"].values())
    assert info["model_file"] is info["model_file_bytes"] is info["model_sha256"] is None
    from importlib.metadata import version

    assert info["analyzers"]["bandit"] == version("bandit") and info["analyzers"]["semgrep"] == version("semgrep")
    assert set(info["analyzers"]) == {"bandit", "pyflakes", "tree-sitter", "codeshield", "semgrep"}
    if (Path(measure.__file__).resolve().parent.parent / ".git").exists():
        assert re.fullmatch(r"[0-9a-f]{7,40}(\+dirty)?", info["secgen_commit"])


def test_the_commit_says_when_tracked_files_differ_from_it(tmp_path):
    import subprocess

    def git(*args):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=tmp_path, check=True,
                       capture_output=True)

    assert measure.secgen_commit(tmp_path) is None  # not a checkout
    git("init", "-q")
    (tmp_path / "a.py").write_text("x = 1\n")
    git("add", "a.py")
    git("commit", "-qm", "a")
    clean = measure.secgen_commit(tmp_path)
    assert re.fullmatch(r"[0-9a-f]{7,40}", clean)
    (tmp_path / "new.py").write_text("untracked files do not count\n")
    assert measure.secgen_commit(tmp_path) == clean
    (tmp_path / "a.py").write_text("x = 2\n")
    assert measure.secgen_commit(tmp_path) == clean + "+dirty"


def test_cpu_flags_read_the_flags_line():
    cpuinfo = "model name\t: Some CPU\nflags\t\t: fpu sse2 avx2 avx512f amx_bf16\n"
    assert cpu_flags(cpuinfo) == {"avx2": True, "avx512": True, "amx": True}
    assert cpu_flags("flags\t: fpu sse2 avx avx512vl\n") == {"avx2": False, "avx512": False, "amx": False}
    assert cpu_flags("") == {"avx2": False, "avx512": False, "amx": False}  # no /proc/cpuinfo


def test_a_model_file_is_named_sized_and_hashed(tmp_path):
    model = tmp_path / "tiny.gguf"
    model.write_bytes(os.urandom(3 * measure.HASH_BLOCK_BYTES // 2))  # more than one block
    info = machine_info(model)
    assert info["model_file"] == "tiny.gguf" and info["model_file_bytes"] == model.stat().st_size
    assert info["model_sha256"] == hashlib.sha256(model.read_bytes()).hexdigest()
    assert machine_info(str(tmp_path / "absent.gguf"))["model_sha256"] is None


def test_the_digest_is_remembered_until_the_file_changes_size_or_mtime(tmp_path):
    model = tmp_path / "m.gguf"
    model.write_bytes(b"a" * 1000)
    first = file_sha256(model)
    stat = model.stat()
    model.write_bytes(b"b" * 1000)  # same size; put the mtime back: the file is not read again
    os.utime(model, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert file_sha256(model) == machine_info(model)["model_sha256"] == first
    os.utime(model, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert file_sha256(model) == hashlib.sha256(b"b" * 1000).hexdigest() != first
