"""``secgen check``, ``complete`` and ``fix`` on the paper's eight languages, told apart by extension."""

from __future__ import annotations

import json

import pytest

from secgen.server.cli import main

CLEAN = {
    "app.py": "def f(x):\n    return x + 1\n",
    "lib/util.c": "int add(int a, int b) {\n    return a + b;\n}\n",
    "lib/vec.cpp": "#include <vector>\nint n(const std::vector<int>& v) { return v.size(); }\n",
    "cs/Program.cs": "class P { static void Main() { System.Console.WriteLine(1); } }\n",
    "java/A.java": "class A { int f() { return 1; } }\n",
    "web/app.js": "export const f = (x) => x + 1;\n",
    "web/index.php": "<?php\necho htmlspecialchars($x);\n",
    "src/main.rs": "fn main() {\n    println!(\"hi\");\n}\n",
}
BROKEN = {  # path -> 1-based line of the syntax error
    "lib/util.c": ("int add(int a, int b) {\n    return a + b\n}\n", 2),
    "java/A.java": ("class A {\n  int f() { return 1 }\n}\n", 2),
    "web/app.js": ("export const f = (x) => {\n  let y = ;\n};\n", 2),
    "web/index.php": ("<?php\n$a = [1, 2;\n", 2),
    "src/main.rs": ("fn main() {\n    let x = ;\n}\n", 2),
}


@pytest.fixture
def tree(tmp_path):
    for name, text in CLEAN.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    # Vendored and hidden code is not the project's: never checked.
    (tmp_path / "node_modules/pkg").mkdir(parents=True)
    (tmp_path / "node_modules/pkg/bad.js").write_text("let = ;\n")
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv/bad.py").write_text("def (:\n")
    return tmp_path


def test_check_a_clean_tree_of_eight_languages_exits_0(tree, capsys):
    assert main(["check", str(tree)]) == 0
    err = capsys.readouterr().err
    assert f"{len(CLEAN)} file(s), 0 finding(s), 0 blocking" in err
    assert "did not run" not in err


def test_check_reports_syntax_errors_of_each_broken_file_and_exits_1(tree, capsys):
    for name, (text, _) in BROKEN.items():
        (tree / name).write_text(text)
    assert main(["check", str(tree), "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert sorted(data) == sorted(str(tree / name) for name in CLEAN)
    for name, (_, line) in BROKEN.items():
        errors = [f for f in data[str(tree / name)] if f["rule_id"] == "syntax-error"]
        assert errors and errors[0]["analyzer"] == "tree-sitter" and errors[0]["blocking"], name
        assert errors[0]["range"]["start"]["line"] == line - 1, name
    assert data[str(tree / "app.py")] == []

    assert main(["check", str(tree / "src/main.rs")]) == 1
    out = capsys.readouterr().out
    assert f"{tree / 'src/main.rs'}:2:" in out and "[tree-sitter syntax-error]" in out


def test_complete_reads_the_language_from_the_extension(tmp_path, script, capsys):
    f = tmp_path / "main.rs"
    f.write_text("fn main() {\n    \n}\n")
    # Valid Rust, a syntax error as Python: clean at once only when analyzed as Rust.
    spec = script(fim=["let x: u32 = 1;"])
    assert main(["complete", str(f), "--line", "2", "--column", "5", "--model", spec]) == 0
    captured = capsys.readouterr()
    assert captured.out == "let x: u32 = 1;\n"
    assert "attempt 0: 0 blocking" in captured.err and "stopped: clean" in captured.err


def test_fix_repairs_a_c_syntax_error(tmp_path, script, capsys):
    f = tmp_path / "util.c"
    f.write_text("int add(int a, int b) {\n    return a + b\n}\n")
    spec = script(chat=["```c\n    return a + b;\n```"])  # the flagged region: line 2
    assert main(["fix", str(f), "--model", spec]) == 0
    captured = capsys.readouterr()
    assert "+    return a + b;" in captured.out and "-    return a + b\n" in captured.out
    assert "-> repaired" in captured.err
