"""The import directions of docs/architecture.md, read from the source: analyzers <- engine <- server, bench, training.

Every ``import`` and ``from ... import`` in a package's files counts, those inside functions too: a lazy import
is still a dependency. The language server's default path is checked at run time in tests/server/test_imports.py.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ALLOWED = {
    "analyzers": {"analyzers"},
    "engine": {"analyzers", "engine"},
    "bench": {"analyzers", "engine", "bench"},
    "training": {"analyzers", "engine", "training"},
    "server": {"analyzers", "engine", "server", "bench", "training"},  # the front doors: `secgen bench`, `secgen train`
}


def imported_packages(path: Path) -> list[tuple[int, str]]:
    """(line, subpackage) for each import of ``secgen.<subpackage>`` in a file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module]
        elif isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        else:
            continue
        found += [(node.lineno, m.split(".")[1]) for m in modules
                  if m.startswith("secgen.") and m.split(".")[1] in ALLOWED]
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_flow_one_way(package):
    wrong = [f"{path.relative_to(ROOT)}:{line} imports secgen.{target}"
             for path in sorted((ROOT / package).rglob("*.py"))
             for line, target in imported_packages(path) if target not in ALLOWED[package]]
    assert wrong == []


def test_the_check_sees_a_wrong_import(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from secgen.bench.runner import make_loop\n")
    assert imported_packages(module) == [(2, "bench")]
