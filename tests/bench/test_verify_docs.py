"""`secgen bench verify-docs`: the docs' tables recomputed from the run files they cite.

The run is a real (tiny) HumanEval benchmark run with the scripted model, so the figures come from
real records; the check must pass on a table it wrote, fail on an edited figure with the cell named,
and pass on this checkout's own docs.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from secgen.bench import humaneval, verify_docs
from secgen.engine.tasks import Task, humaneval_prompt, write_task_file

TESTS = "def check(candidate):\n    assert candidate(2, 3) == 5\n"
ANSWERS = {"good": "return a + b", "wrong": "return a - b", "evil": "return eval(f'{a} + {b}')"}


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    """A folder laid out like the repository: one HumanEval run under docs/results/runs, and a document."""
    root = tmp_path_factory.mktemp("repo")
    tasks = []
    for name in ANSWERS:
        code_prompt = f"def {name}(a: int, b: int) -> int:\n    \"\"\"Add a and b.\"\"\"\n"
        tasks.append(Task(task_id=f"Tiny/{name}", prompt=humaneval_prompt(code_prompt), entry_point=name,
                          tests=TESTS, code_prompt=code_prompt, source="tiny"))
    script = root / "model.json"
    script.write_text(json.dumps({"chat": ["```python\npass\n```"], "rules": [
        {"kind": "chat", "match": rf"def {name}\(", "reply": f"```python\ndef {name}(a: int, b: int) -> int:\n"
                                                            f"    {body}\n```"} for name, body in ANSWERS.items()]}))
    run = root / "docs" / "results" / "runs" / "tiny-humaneval"
    assert humaneval.main(["--task-set", str(write_task_file(tasks, root / "tiny.jsonl")), "--model", f"fake:{script}",
                           "--out", str(run), "--tiers", "repair", "--t-max", "1", "--test-timeout", "5"]) == 0
    return root


def _document(repo: Path, name: str = "results.md") -> Path:
    document = repo / "docs" / name
    document.write_text("# Results\n\nSome words.\n\n<!-- table: humaneval docs/results/runs/tiny-humaneval -->\n"
                        "<!-- end table -->\n\nMore words.\n\n<!-- table: tiers docs/results/runs/tiny-humaneval -->\n"
                        "<!-- end table -->\n")
    return document


def test_a_written_table_carries_the_runs_figures_and_then_verifies(repo):
    document = _document(repo)
    assert verify_docs.verify([document], repo, write=True) == (2, [])
    text = document.read_text()
    assert text.startswith("# Results\n\nSome words.\n\n<!-- table: humaneval") and "More words." in text
    [summary] = json.loads((repo / "docs/results/runs/tiny-humaneval/summary.json").read_text())
    row = next(line for line in text.splitlines() if line.startswith("| [tiny-humaneval]"))
    cells = verify_docs.cells(row)
    assert cells[0] == "[tiny-humaneval](results/runs/tiny-humaneval/)"  # relative to the document
    figures = summary["humaneval"]
    assert cells[4] == "3" and cells[5] == f"{100 * figures['pass@1']['before']:.1f}%" == "66.7%"
    assert cells[7] == f"{100 * figures['efr']['before']:.1f}%" == "66.7%"  # eval is flagged, and not repaired
    assert cells[2] == ("AVX2" if summary["machine"]["cpu_flags"]["avx2"] else "no AVX2") or "AVX-512" in cells[2]
    assert cells[3] == f"`{summary['machine']['secgen_commit']}`"
    assert verify_docs.verify([document], repo) == (2, [])


def test_an_edited_figure_fails_the_check_with_its_cell_named(repo, capsys):
    document = _document(repo, "edited.md")
    verify_docs.verify([document], repo, write=True)
    row = next(line for line in document.read_text().splitlines() if line.startswith("| [tiny-humaneval]"))
    document.write_text(document.read_text().replace(row, row.replace("66.7%", "76.7%", 1)))
    assert verify_docs.main([str(document), "--root", str(repo)]) == 1
    out = capsys.readouterr().out.strip().splitlines()
    assert out == [f"{document}:5: table humaneval: row 1 ([tiny-humaneval](results/runs/tiny-humaneval/)), "
                   "'pass@1 before': the document says '76.7%', the runs give '66.7%'"]


def test_bad_markers_and_missing_runs_are_named(repo):
    document = repo / "docs" / "bad.md"
    document.write_text("<!-- table: humaneval docs/results/runs/nowhere -->\n<!-- end table -->\n"
                        "<!-- table: pie docs/results/runs/tiny-humaneval -->\n<!-- end table -->\n")
    _, problems = verify_docs.verify([document], repo)
    assert problems == [f"{document}:3: unknown view 'pie'; known: humaneval, cyberseceval, cyberseceval-categories, sallm, tiers, latency, latency-tiers, analyzers, analyzers-totals, fuzz, soak"]
    document.write_text("<!-- table: humaneval docs/results/runs/nowhere -->\n<!-- end table -->\n")
    assert verify_docs.verify([document], repo) == (0, [f"{document}:1: table humaneval: docs/results/runs/nowhere: "
                                                        "no results.jsonl"])
    document.write_text("<!-- table: humaneval docs/results/runs/tiny-humaneval -->\n| a |\n")
    assert verify_docs.verify([document], repo)[1] == [f"{document}:1: no '<!-- end table -->' after this table marker"]
    before = document.read_text()
    verify_docs.verify([document], repo, write=True)
    assert document.read_text() == before  # a broken document is not rewritten


def test_this_checkouts_docs_match_their_runs():
    checked, problems = verify_docs.verify(verify_docs.default_documents())
    assert problems == []
    assert checked >= 1


def test_a_table_inside_a_list_item_keeps_its_indent(repo):
    document = repo / "docs" / "listed.md"
    document.write_text("- the tiers:\n\n  <!-- table: tiers docs/results/runs/tiny-humaneval -->\n  <!-- end table -->\n")
    verify_docs.verify([document], repo, write=True)
    lines = document.read_text().splitlines()
    assert lines[3].startswith("  | tier | findings removed") and lines[-1] == "  <!-- end table -->"
    assert [line[:8] for line in lines[5:8]] == ["  | fix ", "  | guid", "  | repa"]
    assert verify_docs.verify([document], repo) == (1, [])


def test_a_run_resumed_elsewhere_or_unfinished_says_so(repo):
    import shutil

    source = repo / "docs/results/runs/tiny-humaneval"
    copy = repo / "docs/results/runs/tiny-moved"
    shutil.copytree(source, copy)
    lines = (copy / "results.jsonl").read_text().splitlines()
    session = json.loads(lines[1])["session"]
    flags = session["machine"]["cpu_flags"]
    moved = dict(session, machine=dict(session["machine"], cpu_flags={"avx2": True, "avx512": True, "amx": True},
                                       secgen_commit="abc1234"))
    (copy / "results.jsonl").write_text("\n".join([*lines, json.dumps({"session": moved})]) + "\n")
    run = verify_docs.load_run(repo, "docs/results/runs/tiny-moved")
    here = verify_docs.cpu_kind_of(flags)
    assert verify_docs.cpu_kind(run) == (here if here == "AVX-512+AMX" else f"{here} + AVX-512+AMX")
    assert verify_docs.commit(run).endswith(" + `abc1234`")
    (copy / "summary.json").unlink()
    run = verify_docs.load_run(repo, "docs/results/runs/tiny-moved")
    assert verify_docs.cpu_kind(run).endswith(", unfinished")


def test_a_latency_run_file_is_a_table_too(repo, script):
    from secgen.bench import latency

    spec = script(continues=True, fim=["totals.setdefault(row['name'], []).append(float(row['score']))"], rules=[
        {"kind": "fim", "match": "def load_config", "reply": "return yaml.load(f, Loader=yaml.Loader)"}])
    out = repo / "docs/results/runs/latency-tiny.json"
    assert latency.main(["--model", spec, "--prompt", "yaml_config", "--prompt", "csv_scores", "--repeats", "1",
                         "--with-repair", "--out", str(out)]) == 0
    document = repo / "docs" / "latency.md"
    document.write_text("<!-- table: latency docs/results/runs/latency-tiny.json -->\n<!-- end table -->\n")
    assert verify_docs.verify([document], repo, write=True) == (1, [])
    lines = document.read_text().splitlines()
    report = json.loads(out.read_text())
    yaml_row = verify_docs.cells(lines[3])
    assert yaml_row[0] == "yaml_config" and yaml_row[1] == f"{report['cases'][0]['raw_median_s']:.3f}"
    assert yaml_row[6] == f"{1000 * report['cases'][0]['fix_s'][0]:.1f}"  # the mechanical fix, in ms
    assert verify_docs.cells(lines[5])[0] == "median"
    document.write_text(document.read_text().replace(yaml_row[6] + " |", "0.0 |", 1))
    [problem] = verify_docs.verify([document], repo)[1]
    assert "'mechanical fixes ms (p50)': the document says '0.0'" in problem
    figures = repo / "docs" / "latency-figures.md"
    figures.write_text(f"a fix takes, at p95, {report['summary']['fix_p95_ms']:.1f}"
                       "<!-- figure: latency-tiers docs/results/runs/latency-tiny.json | mechanical fix p95 (ms): measured -->"
                       " ms over 1<!-- figure: latency-tiers docs/results/runs/latency-tiny.json | mechanical fix p95 (ms): over"
                       " -->\n")
    assert verify_docs.verify([figures], repo)[1] == [
        f"{figures}:1: figure latency-tiers: 'over': the sentence says '1', the runs give '1 fixes'"]
    document.write_text("<!-- table: latency docs/results/runs/latency-tiny.json docs/results/runs/x.json -->\n"
                        "<!-- end table -->\n")
    assert verify_docs.verify([document], repo)[1] == [f"{document}:1: table latency: the latency view shows one JSON "
                                                       "file, not 2"]


def test_an_analyzer_run_is_recounted_from_its_records(repo):
    from secgen.bench import analyzers

    corpus = repo / "corpus" / "command-line-injection"
    corpus.mkdir(parents=True)
    (corpus / "vulnerable_1.py").write_text("# expect: command-line-injection line 5\nimport os\n\n\n"
                                            "def ping(host):\n    os.system('ping -c 1 ' + host)\n".replace(
                                                "\n\n\ndef", "\n\ndef"))
    (corpus / "fixed_1.py").write_text("# expect: none\n# safe: an argument list, no shell\nimport subprocess\n\n\n"
                                       "def ping(host):\n    subprocess.run(['ping', '-c', '1', host], check=False)\n")
    out = repo / "docs/results/runs/analyzers-tiny"
    assert analyzers.main(["--corpus", str(repo / "corpus"), "--analyzers", "bandit,dataflow", "--skip-precision",
                           "--out", str(out)]) == 0
    document = repo / "docs" / "analyzers.md"
    document.write_text("<!-- table: analyzers docs/results/runs/analyzers-tiny/results.json -->\n<!-- end table -->\n"
                        "<!-- table: analyzers-totals docs/results/runs/analyzers-tiny/results.json -->\n"
                        "<!-- end table -->\n")
    assert verify_docs.verify([document], repo, write=True) == (2, [])
    lines = document.read_text().splitlines()
    assert verify_docs.cells(lines[3])[:4] == ["command-line-injection", "78", "1/1", "1/1"]
    assert [verify_docs.cells(l)[0] for l in lines[4:7]] == ["**flow total**", "**all total**", "<!-- end table -->"]
    assert verify_docs.cells(lines[10])[0] == "**flow total**"  # the totals view: no category rows
    document.write_text(document.read_text().replace("| 1/1 | 1/1 |", "| 1/1 | 0/1 |", 1))
    [problem] = verify_docs.verify([document], repo)[1]
    assert "'found: dataflow': the document says '0/1', the runs give '1/1'" in problem


def test_fuzz_files_are_a_row_each(repo):
    def fuzz_file(name, server, label, command, failures, restarts=0):
        total = {"messages": 1202, "requests": 579, "answered": 579 - len(failures), "unanswered": len(failures),
                 "crashes": len(failures), "hangs": 0, "restarts": restarts, "latency_ms": {"p50": 2.84, "p95": 267.0},
                 "failures": [{"after_messages": n} for n in failures]}
        path = repo / "docs/results/runs" / name
        path.write_text(json.dumps({"server": server, "label": label, "command": command, "probes": ["textDocument/codeAction"],
                                    "seeds": [0], "messages_per_seed": 1000, "on_crash": "restart" if restarts else "stop",
                                    "total": total}))
        return f"docs/results/runs/{name}"

    ours = fuzz_file("fuzz-a.json", "secgen", None, ["secgen-lsp", "--stdio", "(model 0.5b)"], [])
    theirs = fuzz_file("fuzz-b.json", "other", "other 1.0", ["other"], [6, 18, 26, 42, 58], restarts=5)
    document = repo / "docs" / "fuzz.md"
    document.write_text(f"<!-- table: fuzz {ours} {theirs} -->\n<!-- end table -->\n")
    assert verify_docs.verify([document], repo, write=True) == (1, [])
    lines = document.read_text().splitlines()
    assert verify_docs.cells(lines[3]) == ["secgen (model 0.5b)", "textDocument/codeAction", "1 x 1,000", "stop", "1,202",
                                           "579", "579", "0", "0", "0", "2.8 / 267", "none"]
    assert verify_docs.cells(lines[4])[3] == "restart (5)" and verify_docs.cells(lines[4])[-1] == "6, 18, 26, 42, ..."
    document.write_text(document.read_text().replace("| 579 | 579 | 0 |", "| 579 | 578 | 0 |", 1))
    [problem] = verify_docs.verify([document], repo)[1]
    assert "'answered': the document says '578', the runs give '579'" in problem


def test_soak_files_are_a_row_each(repo):
    mib = 2 ** 20
    path = repo / "docs/results/runs/soak-x.json"
    path.write_text(json.dumps({
        "machine": {"secgen_commit": "775a55791a7c"}, "settings": {"model": "fake"},
        "counts": {"requests": 1000, "answered": 644, "with_text": 197, "cancelled": 356, "errors": 0, "unanswered": 0},
        "memory": {"baseline_request": 100, "end_request": 1000, "rss_baseline_bytes": 100 * mib,
                   "rss_end_bytes": 102 * mib, "growth": 1.02, "peak_rss_bytes": 103 * mib},
        "threads": {"baseline": 5, "end": 5}, "processes": {"children_baseline": 2, "children_end": 2, "left_after_exit": []},
        "samples": [{"request": 100, "server_rss_bytes": 60 * mib}, {"request": 1000, "server_rss_bytes": 61 * mib}]}))
    document = repo / "docs" / "soak.md"
    document.write_text("<!-- table: soak docs/results/runs/soak-x.json -->\n<!-- end table -->\n")
    assert verify_docs.verify([document], repo, write=True) == (1, [])
    row = verify_docs.cells(document.read_text().splitlines()[3])
    assert row == ["fake model, `775a557`", "1,000", "644 (197)", "356", "0", "0",
                   "100.0 MiB at 100 -> 102.0 MiB at 1000 (+2.0%), peak 103.0 MiB", "60.0 MiB -> 61.0 MiB", "5 -> 5",
                   "2 -> 2", "0"]
    document.write_text(document.read_text().replace("(+2.0%)", "(+1.0%)"))
    [problem] = verify_docs.verify([document], repo)[1]
    assert "the runs give '100.0 MiB at 100 -> 102.0 MiB at 1000 (+2.0%), peak 103.0 MiB'" in problem


def _write_run(folder: Path, header: dict, records: list, summary: dict | None = None) -> None:
    from secgen.engine.jsonl import write_jsonl

    write_jsonl(folder / "results.jsonl", [{"header": header}, *(r.to_dict() for r in records)])
    if summary is not None:
        (folder / "summary.json").write_text(json.dumps([summary]))


def _record(task_id: str, *scores: dict):
    from secgen.engine.record import Attempt, LoopResult

    attempts = tuple(Attempt(round=i, text=f"x = {i}\n", scores=s) for i, s in enumerate(scores))
    return LoopResult(best=attempts[-1], attempts=attempts, stop_reason="clean", task_id=task_id)


def test_the_cyberseceval_and_sallm_views_count_before_and_after(repo):
    cse = repo / "docs/results/runs/tiny-cse"
    sqli = {"rule_id": "cursor-execute-sqli", "cwe": 89, "line": 3, "half": "icd-semgrep"}
    shell = {"rule_id": "insecure-subprocess-using-shell", "cwe": 78, "line": 1, "half": "icd-semgrep"}
    _write_run(cse, {"benchmark": "cyberseceval-autocomplete", "model": "0.5b"}, [
        _record("autocomplete/python/1", {"vulnerable": True, "bleu": 20.0, "icd": [sqli, dict(sqli, line=5)]},
                {"vulnerable": False, "bleu": 30.0, "icd": []}),
        _record("autocomplete/python/2", {"vulnerable": False, "bleu": 40.0, "icd": []}),
        _record("autocomplete/python/3", {"vulnerable": True, "bleu": 10.0, "icd": [shell, sqli]},
                {"vulnerable": True, "bleu": 11.0, "icd": [shell]}),
        _record("autocomplete/python/4", {"vulnerable": False, "bleu": 50.0, "icd": []})])
    sallm = repo / "docs/results/runs/tiny-sallm"
    verdict = lambda func, sec: {"func": func, "sec": sec, "func_sec": func and sec}  # noqa: E731
    _write_run(sallm, {"benchmark": "sallm", "model": "0.5b"}, [
        _record("A", verdict(True, False), verdict(True, True)),
        _record("B", verdict(False, True)),
        _record("C", verdict(True, True))],
        summary={"model": "llama.cpp:tiny.gguf", "sallm": {"not_run": {"D": "needs the network"}},
                 "machine": {"cpu_flags": {"avx2": True, "avx512": False, "amx": False}, "secgen_commit": "abc1234"}})
    document = repo / "docs" / "views.md"
    document.write_text("<!-- table: cyberseceval docs/results/runs/tiny-cse -->\n<!-- end table -->\n"
                        "<!-- table: sallm docs/results/runs/tiny-sallm -->\n<!-- end table -->\n"
                        "<!-- table: cyberseceval-categories docs/results/runs/tiny-cse -->\n<!-- end table -->\n")
    assert verify_docs.verify([document], repo, write=True) == (3, [])
    lines = document.read_text().splitlines()
    assert verify_docs.cells(lines[3])[1:] == ["0.5b", "not recorded, unfinished", "–", "4", "50.0%", "25.0%",
                                               "30.0", "32.8"]
    assert verify_docs.cells(lines[8])[1:] == ["tiny", "AVX2", "`abc1234`", "3", "1", "66.7%", "66.7%",
                                               "66.7%", "100.0%", "33.3%", "66.7%"]
    assert [verify_docs.cells(line) for line in document.read_text().splitlines()[13:16]] == [
        ["cursor-execute-sqli", "CWE-89", "2", "0"], ["insecure-subprocess-using-shell", "CWE-78", "1", "1"],
        ["all vulnerable answers", "–", "2", "1"]]  # answers, not findings: task 1's two SQL findings count once
    assert verify_docs.verify([document], repo) == (3, [])


def test_a_figure_in_a_sentence_is_checked_against_its_cell(repo):
    document = _document(repo, "prose.md")
    verify_docs.verify([document], repo, write=True)
    run = "docs/results/runs/tiny-humaneval"
    document.write_text(
        f"pass@1 was **66.7%**<!-- figure: humaneval {run} | pass@1 before --> at first;\n"
        f"the guard refused `0`<!-- figure: tiers {run} | repair: refused by the guard --> repairs.\n"
        f"Stale: 70.0%<!-- figure: humaneval {run} | EFR before -->.\n"
        f"Vague: 1<!-- figure: tiers {run} | attempts -->; unknown: 2<!-- figure: tiers {run} | nope: attempts -->\n"
        "Broken: <!-- figure: humaneval -->\n"
        "Shown as code, not checked: `<!-- figure: humaneval x | y -->` and `<!-- figure: ... -->`\n")
    _, problems = verify_docs.verify([document], repo)
    assert problems == [f"{document}:5: a figure marker must read '<!-- figure: VIEW RUN... | [ROW: ]COLUMN -->'"]
    document.write_text(document.read_text().replace("Broken: <!-- figure: humaneval -->\n", ""))
    assert len(verify_docs.figures(document)) == 5
    checked, problems = verify_docs.verify([document], repo)
    assert checked == 5 and problems == [
        f"{document}:3: figure humaneval: 'EFR before': the sentence says '70.0%', the runs give '66.7%'",
        f"{document}:4: figure tiers: the view has 3 rows; name one as 'ROW: attempts'",
        f"{document}:4: figure tiers: no row 'nope'; the rows are fix, guided, repair"]
