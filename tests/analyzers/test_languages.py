"""Language detection from file extensions and LSP languageIds, and the directory walk of ``secgen check``."""

from __future__ import annotations

from pathlib import Path

import pytest

from secgen.analyzers.languages import LANGUAGES, language_for_id, language_for_path, source_files


@pytest.mark.parametrize(("path", "language"), [
    ("a.py", "python"),
    ("src/x.c", "c"), ("x.h", "c"),
    ("x.cc", "cpp"), ("x.cpp", "cpp"), ("x.cxx", "cpp"), ("x.hpp", "cpp"), ("x.hh", "cpp"),
    ("Program.cs", "csharp"),
    ("Main.java", "java"),
    ("app.js", "javascript"), ("m.mjs", "javascript"), ("c.cjs", "javascript"), ("App.jsx", "javascript"),
    ("index.php", "php"),
    ("main.rs", "rust"),
    ("MAIN.RS", "rust"),
    (Path("/tmp/dir.d/File.Java"), "java"),
])
def test_language_for_path(path, language):
    assert language_for_path(path) == language
    assert language in LANGUAGES


@pytest.mark.parametrize("path", ["README.md", "Makefile", "x.go", "x.ts", "py", ".py.bak", "", None])
def test_language_for_path_unknown(path):
    assert language_for_path(path) is None


@pytest.mark.parametrize(("language_id", "language"), [
    ("python", "python"), ("c", "c"), ("cpp", "cpp"), ("csharp", "csharp"), ("java", "java"),
    ("javascript", "javascript"), ("javascriptreact", "javascript"), ("php", "php"), ("rust", "rust"),
    ("Rust", "rust"),
])
def test_language_for_id(language_id, language):
    assert language_for_id(language_id) == language


@pytest.mark.parametrize("language_id", ["typescript", "go", "plaintext", "", None])
def test_language_for_id_unknown(language_id):
    assert language_for_id(language_id) is None


def test_source_files_skips_hidden_and_vendored_directories(tmp_path):
    for name in ("a.py", "b.c", "sub/c.rs", "sub/deep/d.jsx", "notes.md", "sub/e.txt",
                 ".venv/lib/f.py", ".git/g.c", "node_modules/pkg/h.js", "sub/node_modules/i.js"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    found = [p.relative_to(tmp_path).as_posix() for p in source_files(tmp_path)]
    assert found == ["a.py", "b.c", "sub/c.rs", "sub/deep/d.jsx"]


def test_source_files_enters_a_hidden_directory_it_is_given(tmp_path):
    hidden = tmp_path / ".config"
    hidden.mkdir()
    (hidden / "x.php").write_text("")
    assert source_files(hidden) == [hidden / "x.php"]
