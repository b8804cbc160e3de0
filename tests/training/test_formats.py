"""Importers: CodePreference files in their layouts, the CVEfixes database and its JSON Lines export."""

from __future__ import annotations

import json
import sqlite3
import sys

import pytest

from secgen.training.formats import first_sentence, guess_format, import_pairs, read_codepreference, read_cvefixes
from secgen.training.pairs import PairError, read_pairs, write_pairs

VEZORA = {"input": "Write a function that hashes a password.",
          "accepted": "Use a salt:\n```python\nhashlib.scrypt(pw, salt=salt, n=2**14, r=8, p=1)\n```",
          "rejected": "```python\nhashlib.md5(pw).hexdigest()\n```"}
MESSAGES = {"id": 7, "instruction": "Open the file.", "input": "path = 'x'",
            "chosen": [{"role": "user", "content": "Open the file."}, {"role": "assistant", "content": "good"}],
            "rejected": [{"role": "user", "content": "Open the file."}, {"role": "assistant", "content": "bad"}]}


def _jsonl(path, rows):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


def test_codepreference_in_both_layouts(tmp_path):
    pairs, stats = import_pairs(_jsonl(tmp_path / "prefs.jsonl", [VEZORA, MESSAGES]))
    assert stats == {"records": 2, "pairs": 2, "skipped": 0}
    first, second = pairs
    assert first.prompt == ({"role": "system", "content": "You are a helpful coding assistant."},
                            {"role": "user", "content": VEZORA["input"]})
    assert first.chosen == VEZORA["accepted"] and first.rejected == VEZORA["rejected"]
    assert first.meta["source"] == "codepreference" and first.meta["language"] == "python"
    assert first.meta["task_id"].startswith("codepreference/")
    assert first.meta["task_id"] == import_pairs(tmp_path / "prefs.jsonl")[0][0].meta["task_id"]  # stable
    assert second.prompt[1]["content"] == "Open the file.\n\npath = 'x'"
    assert (second.chosen, second.rejected) == ("good", "bad")
    assert second.meta == {"task_id": "7", "source": "codepreference", "language": "unknown"}


def test_codepreference_prompts_given_as_messages_are_kept(tmp_path):
    turns = [{"role": "system", "content": "Be terse."}, {"role": "user", "content": "Sort a list."}]
    given = {"prompt": turns, "chosen": "```js\nxs.sort((a, b) => a - b)\n```", "rejected": "```js\nxs.sort()\n```"}
    implicit = {"chosen": turns + [{"role": "assistant", "content": "sorted(xs)"}],
                "rejected": turns + [{"role": "assistant", "content": "xs"}], "language": "Python"}
    path = tmp_path / "prefs.json"
    path.write_text(json.dumps([given, implicit]))
    pairs, _ = import_pairs(path, "codepreference")
    assert [list(p.prompt) for p in pairs] == [turns, turns]
    assert [p.meta["language"] for p in pairs] == ["javascript", "python"]
    assert pairs[1].chosen == "sorted(xs)"
    assert len(read_codepreference(path, limit=1)[0]) == 1


def test_codepreference_errors_name_the_file_and_record(tmp_path):
    path = _jsonl(tmp_path / "prefs.jsonl", [VEZORA, {"input": "x", "accepted": "y"}])
    with pytest.raises(PairError, match=r"prefs.jsonl:2: missing rejected"):
        import_pairs(path)
    _jsonl(path, [VEZORA, "{oops"])
    with pytest.raises(PairError, match=r"prefs.jsonl:2: not JSON"):
        import_pairs(path)
    _jsonl(path, [{"accepted": "y", "rejected": "z"}])
    with pytest.raises(PairError, match=r"prefs.jsonl:1: missing the prompt"):
        import_pairs(path)
    _jsonl(path, [dict(MESSAGES, chosen=[{"role": "user", "content": "hi"}])])
    with pytest.raises(PairError, match=r"prefs.jsonl:1: chosen \(or accepted\) has no assistant message"):
        import_pairs(path)
    with pytest.raises(PairError, match="no such file"):
        import_pairs(tmp_path / "missing.jsonl")
    with pytest.raises(PairError, match="unknown pair format 'hh'"):
        import_pairs(path, "hh")


def test_parquet_without_pyarrow_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as if not installed
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    path = tmp_path / "train.parquet"
    path.write_bytes(b"PAR1")
    with pytest.raises(PairError, match=r"train.parquet: reading Parquet needs pyarrow .*convert"):
        import_pairs(path)


def _cvefixes_db(path, *, full=True):
    db = sqlite3.connect(path)
    if not full:
        db.executescript("""
            CREATE TABLE file_change (file_change_id TEXT, programming_language TEXT);
            CREATE TABLE method_change (file_change_id TEXT, name TEXT, code TEXT, before_change TEXT);
            INSERT INTO file_change VALUES ('f1', 'Java');
            INSERT INTO method_change VALUES ('f1', 'load', 'Object load(){ return in.readObject(); }', 'True'),
                                             ('f1', 'load', 'Object load(){ return json.parse(in); }', 'False');
        """)
        db.commit()
        db.close()
        return path
    db.executescript("""
        CREATE TABLE cve (cve_id TEXT, description TEXT, severity TEXT);
        CREATE TABLE fixes (cve_id TEXT, hash TEXT, repo_url TEXT);
        CREATE TABLE cwe_classification (cve_id TEXT, cwe_id TEXT);
        CREATE TABLE file_change (file_change_id TEXT, hash TEXT, filename TEXT, programming_language TEXT,
                                  code_before TEXT, code_after TEXT);
        CREATE TABLE method_change (method_change_id TEXT, file_change_id TEXT, name TEXT, signature TEXT,
                                    code TEXT, before_change TEXT);
    """)
    description = "[{'lang': 'en', 'value': 'Command injection in tool run. Attackers run anything.'}]"
    db.executemany("INSERT INTO cve VALUES (?, ?, ?)", [("CVE-2021-1", description, "HIGH")])
    db.executemany("INSERT INTO fixes VALUES (?, ?, ?)", [("CVE-2021-1", "h1", "https://x/y")])
    db.executemany("INSERT INTO cwe_classification VALUES (?, ?)",
                   [("CVE-2021-1", "NVD-CWE-Other"), ("CVE-2021-1", "CWE-78")])
    db.executemany("INSERT INTO file_change VALUES (?, ?, ?, ?, '', '')",
                   [("f1", "h1", "tool.py", "Python"), ("f2", "h2", "copy.c", "C"), ("f3", "h3", "x.go", "Go")])
    db.executemany("INSERT INTO method_change VALUES (?, ?, ?, ?, ?, ?)", [
        ("1", "f1", "run", "def run(cmd)", "def run(cmd):\n    os.system(cmd)\n", "True"),
        ("2", "f1", "run", "def run(cmd)", "def run(cmd):\n    subprocess.run([cmd])\n", "False"),
        ("3", "f1", "helper", "def helper()", "def helper():\n    pass\n", "True"),
        ("4", "f1", "helper", "def helper()", "def helper():   \n    pass\n", "False"),  # unchanged
        ("5", "f1", "added", "def added()", "def added():\n    pass\n", "False"),  # no before: no pair
        ("6", "f2", "copy", "void copy(char *d, char *s)", "void copy(char *d, char *s) { strcpy(d, s); }", "True"),
        ("7", "f2", "copy", "void copy(char *d, char *s)", "void copy(char *d, char *s) { strlcpy(d, s, 8); }",
         "False"),
        ("8", "f3", "main", "func main()", "func main() { a() }", "True"),
        ("9", "f3", "main", "func main()", "func main() { b() }", "False"),
    ])
    db.commit()
    db.close()
    return path


def test_cvefixes_database_pairs_each_method_before_and_after_its_fix(tmp_path):
    path = _cvefixes_db(tmp_path / "CVEfixes.db")
    pairs, stats = import_pairs(path)
    assert [p.meta["task_id"] for p in pairs] == ["cvefixes/CVE-2021-1/run", "cvefixes/h2/copy"]
    assert stats == {"records": 7, "pairs": 2, "skipped": 3}  # Go is filtered out in the query
    run, copy = pairs
    assert run.rejected == "```python\ndef run(cmd):\n    os.system(cmd)\n```"
    assert run.chosen == "```python\ndef run(cmd):\n    subprocess.run([cmd])\n```"
    assert run.prompt[0] == {"role": "system", "content": "You are a helpful Python coding assistant."}
    assert run.prompt[1]["content"].startswith(
        "Write the Python function `def run(cmd)` from `tool.py`.\n\n"
        "It must not have this weakness: CWE-78: Command injection in tool run.\n\nReply with")
    assert run.meta | {"source": "cvefixes", "language": "python", "cwe": "CWE-78", "cve_id": "CVE-2021-1",
                       "commit": "h1", "filename": "tool.py"} == run.meta
    assert copy.meta["cwe"] is None and copy.meta["language"] == "c"
    assert copy.prompt[1]["content"].startswith("Write the C function `void copy(char *d, char *s)` from `copy.c`.\n\n"
                                                "Reply with")
    assert [p.meta["language"] for p in read_cvefixes(path, languages=["c"])[0]] == ["c"]
    assert len(read_cvefixes(path, limit=1)[0]) == 1
    with pytest.raises(PairError, match="unknown language"):
        read_cvefixes(path, languages=["go"])
    write_pairs(tmp_path / "pairs.jsonl", pairs)
    assert read_pairs(tmp_path / "pairs.jsonl") == pairs


def test_cvefixes_with_only_the_required_tables_and_columns(tmp_path):
    path = _cvefixes_db(tmp_path / "minimal.sqlite", full=False)
    (pair,), _ = import_pairs(path)
    assert pair.meta["language"] == "java" and pair.meta["task_id"].endswith("/load")
    assert pair.prompt[1]["content"].startswith("Write the Java function `load`.\n\nReply with")
    other = tmp_path / "other.data"  # a SQLite file is recognised by its header, not its name
    db = sqlite3.connect(other)
    db.execute("CREATE TABLE method_change (name TEXT)")
    db.commit()
    db.close()
    assert guess_format(other) == "cvefixes"
    with pytest.raises(PairError, match=r"other.data: not a CVEfixes database: table method_change"):
        import_pairs(other)


def test_cvefixes_jsonl_export(tmp_path):
    fixed = {"code_before": "strcpy(d, s);", "code_after": "strlcpy(d, s, n);", "programming_language": "C",
             "name": "copy", "filename": "copy.c", "cve_id": "CVE-2020-9", "cwe_id": "CWE-787",
             "description": "Buffer overflow in copy. More."}
    same = {"code_before": "a();", "code_after": "a();", "programming_language": "C"}
    ruby = {"code_before": "a", "code_after": "b", "programming_language": "Ruby"}
    path = _jsonl(tmp_path / "cvefixes.jsonl", [fixed, same, ruby])
    assert guess_format(path) == "cvefixes" and guess_format(_jsonl(tmp_path / "p.jsonl", [VEZORA])) == "codepreference"
    (pair,), stats = import_pairs(path)
    assert stats == {"records": 3, "pairs": 1, "skipped": 2}
    assert pair.meta["task_id"] == "cvefixes/CVE-2020-9/copy" and pair.meta["cwe"] == "CWE-787"
    assert "It must not have this weakness: CWE-787: Buffer overflow in copy.\n" in pair.prompt[1]["content"]
    assert (pair.chosen, pair.rejected) == ("```c\nstrlcpy(d, s, n);\n```", "```c\nstrcpy(d, s);\n```")
    _jsonl(path, [fixed, {"code_before": "x", "programming_language": "C"}])
    with pytest.raises(PairError, match=r"cvefixes.jsonl:2: missing code_after"):
        import_pairs(path, "cvefixes")


def test_first_sentence_of_a_description():
    assert first_sentence("SQL injection in a.php via the id parameter. Fixed in 1.2.") == \
        "SQL injection in a.php via the id parameter."
    nvd = "[{'lang': 'en', 'value': 'Overflow in v1.2.3 parser. Other.'}]"
    assert first_sentence(nvd) == "Overflow in v1.2.3 parser."
    assert first_sentence("") is None and first_sentence(None) is None
