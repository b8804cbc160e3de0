"""The distribution: a built wheel carries every subpackage under ``secgen`` and nothing bare."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUBPACKAGES = ("analyzers", "engine", "server", "training", "bench")


def test_wheel_contains_and_imports_every_subpackage(tmp_path):
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--quiet", "-w", str(tmp_path)],
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr[-2000:]
    [wheel] = tmp_path.glob("secgen-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for sub in SUBPACKAGES:
        assert f"secgen/{sub}/__init__.py" in names
    tops = {n.split("/")[0] for n in names if not n.startswith("secgen-")}
    assert tops == {"secgen"}, f"bare top-level packages in the wheel: {tops - {'secgen'}}"
    entry_points = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "secgen = secgen.server.cli:main" in entry_points and "secgen-lsp = secgen.server.lsp:main" in entry_points

    unpacked = tmp_path / "unpacked"
    zipfile.ZipFile(wheel).extractall(unpacked)
    code = "import sys, secgen.analyzers, secgen.engine.loop, secgen.server.cli, secgen.training, secgen.bench; " \
           "print(secgen.analyzers.__file__)"
    env = dict(os.environ, PYTHONPATH=str(unpacked))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().startswith(str(unpacked))


def test_training_stack_is_optional():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    base = " ".join(project["dependencies"])
    for heavy in ("torch", "transformers", "trl", "peft"):
        assert heavy not in base
        assert any(dep.startswith(heavy) for dep in project["optional-dependencies"]["train"])
