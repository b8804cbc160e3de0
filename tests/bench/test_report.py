"""The benchmark report: summaries written by hand in, Markdown tables, PNG charts and a headline out.

Every figure asserted here is one the summaries below set, so a wrong
conversion (fraction to percent, language order, grouping by feedback mode)
shows up as a wrong cell. The charts are real matplotlib PNGs, read back.
"""

import json
import re

import matplotlib.image
import pytest

from secgen.bench import report

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MACHINE = {"cpu": "AMD EPYC 7763", "cpu_count": 2, "python": "3.11.7", "platform": "Linux-6.1-x86_64"}


def _humaneval(model, *, pass_before, pass_after, efr_before, efr_after, table2, feedback="bandit", seconds=812.4):
    return {
        "benchmark": "humaneval", "model": model, "feedback": feedback, "t_max": 3, "machine": MACHINE,
        "command": f"secgen bench humaneval --model {model} --feedback {feedback}",
        "started": "2026-11-25T18:30:00Z", "seconds": seconds, "tasks": 164,
        "humaneval": {
            "pass@1": {"before": pass_before, "after": pass_after},
            "efr": {"before": efr_before, "after": efr_after},
            "table2": dict(zip(("first_attempt", "after_patch", "not_error_free"), table2)),
            "rounds": {"0": 164, "1": 14, "2": 5, "3": 4},
        },
    }


def _figures(vulnerable, bleu, n):
    return {"n": n, "vulnerable": {"before": vulnerable[0], "after": vulnerable[1]},
            "bleu": {"before": bleu[0], "after": bleu[1]}}


SMALL = _humaneval("qwen2.5-coder-0.5b-instruct-q4_k_m", pass_before=0.305, pass_after=0.311, efr_before=0.92,
                   efr_after=0.98, table2=(150, 10, 4))
LARGE = _humaneval("qwen2.5-coder-7b-instruct-q4_k_m", pass_before=0.848, pass_after=0.872, efr_before=0.969,
                   efr_after=0.982, table2=(159, 4, 1), seconds=3725.0)
CYBER = {
    "benchmark": "cyberseceval", "model": "qwen2.5-coder-0.5b-instruct-q4_k_m", "feedback": "both", "t_max": 3,
    "machine": MACHINE, "command": "secgen bench cyberseceval --variant instruct --model 0.5b --feedback both",
    "started": "2026-11-26T09:00:00+00:00", "seconds": 95.0, "tasks": 60,
    "cyberseceval": {
        "variant": "instruct",
        # Deliberately not in the paper's order.
        "languages": {
            "python": _figures((0.282, 0.20), (8.4, 8.1), 10),
            "rust": _figures((0.422, 0.417), (14.7, 14.4), 10),
            "c": _figures((0.41, 0.383), (10.9, 10.8), 10),
            "javascript": _figures((0.394, 0.39), (10.3, 10.2), 10),
            "cpp": _figures((0.239, 0.224), (10.6, 10.7), 10),
            "csharp": _figures((0.268, 0.26), (13.9, 13.6), 10),
        },
        "total": _figures((0.336, 0.312), (11.5, 11.3), 60),
    },
}


def _rows(text):
    return [line for line in text.splitlines() if line.startswith("| ")]


def test_humaneval_runs_with_one_feedback_mode_share_two_paper_style_tables():
    text = report.markdown([SMALL, LARGE])
    assert text.count("### Feedback: Bandit") == 1
    rows = _rows(text)
    assert "| Model | pass@1 | First attempt | After patch | Didn't pass |" in rows
    assert "| qwen2.5-coder-0.5b-instruct-q4_k_m | 31.1% | 150 | 10 | 4 |" in rows
    assert "| qwen2.5-coder-7b-instruct-q4_k_m | 87.2% | 159 | 4 | 1 |" in rows
    assert "| Model | pass@1 before | pass@1 after | EFR before | EFR after |" in rows
    assert "| qwen2.5-coder-0.5b-instruct-q4_k_m | 30.5% | 31.1% | 92.0% | 98.0% |" in rows
    assert "| qwen2.5-coder-7b-instruct-q4_k_m | 84.8% | 87.2% | 96.9% | 98.2% |" in rows
    for summary in (SMALL, LARGE):
        assert f"`{summary['command']}`" in text
    assert "2026-11-25 18:30 UTC" in text
    assert "812 s (13 min 32 s)" in text and "3725 s (1 h 02 min)" in text
    assert "AMD EPYC 7763, 2 CPUs, Linux-6.1-x86_64, Python 3.11.7" in text


def test_each_feedback_mode_gets_its_own_table():
    both = _humaneval("m", pass_before=0.5, pass_after=0.5, efr_before=0.9, efr_after=1.0, table2=(1, 2, 3),
                      feedback="both")
    text = report.markdown([SMALL, both, LARGE])
    bandit, combined = text.index("### Feedback: Bandit\n"), text.index("### Feedback: Bandit + Svace")
    assert bandit < text.index("| qwen2.5-coder-7b-instruct-q4_k_m | 87.2%") < combined  # LARGE joins SMALL's table
    assert "| m | 50.0% | 50.0% | 90.0% | 100.0% |" in text[combined:]


def test_cyberseceval_table_follows_the_papers_language_order_and_ends_with_total():
    text = report.markdown([CYBER])
    assert "| Language | BLEU before | Vulnerable % before | BLEU after | Vulnerable % after |" in text
    languages = [row.split(" | ")[0][2:] for row in _rows(text)[1:]]
    assert languages == ["C", "C++", "C#", "JavaScript", "Python", "Rust", "**Total**"]
    rows = _rows(text)
    assert rows[1].startswith("| C | 10.9 | 41.0% | 10.8 | 38.3% |")
    assert rows[5].startswith("| Python | 8.4 | 28.2% | 8.1 | 20.0% |")
    assert rows[-1].startswith("| **Total** | **11.5** | **33.6%** | **11.3** | **31.2%** |")
    assert f"`{CYBER['command']}`" in text and "2026-11-26 09:00 UTC" in text
    assert "Bandit + Svace" in text and "instruct" in text


def test_markdown_links_the_charts_that_charts_writes(tmp_path):
    written = report.charts([SMALL, LARGE, CYBER], tmp_path)
    linked = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", report.markdown([SMALL, LARGE, CYBER]))
    assert linked == [p.name for p in written] and len(written) == 2  # one per feedback mode, one per CyberSecEval run
    assert report.markdown([SMALL], link_charts=False).count("![") == 0


def test_charts_are_small_readable_pngs_with_safe_names(tmp_path):
    paths = report.charts([SMALL, LARGE, CYBER, dict(CYBER, model="org/Model Name:v2")], tmp_path / "charts")
    assert len(paths) == 3
    for path in paths:
        assert re.fullmatch(r"[a-z0-9._-]+\.png", path.name), path.name
        assert path.read_bytes()[:8] == PNG_SIGNATURE
        image = matplotlib.image.imread(path)
        assert image.size > 0 and image.shape[:2] == (450, 800)
    assert sorted(p.name for p in (tmp_path / "charts").iterdir()) == sorted(p.name for p in paths)  # no temp file
    assert report.charts([SMALL], tmp_path / "charts")[0].read_bytes()[:8] == PNG_SIGNATURE  # replaces in place


def test_two_runs_that_would_share_a_chart_name_get_two_files(tmp_path):
    paths = report.charts([CYBER, CYBER], tmp_path)
    assert len({p.name for p in paths}) == 2 and all(p.exists() for p in paths)


def test_write_report_writes_markdown_json_and_the_linked_charts(tmp_path):
    summaries = [SMALL, LARGE, CYBER]
    written = report.write_report(summaries, tmp_path / "out", title="Nightly")
    text = written["markdown"].read_text(encoding="utf-8")
    assert written["markdown"].name == "report.md" and text.startswith("# Nightly\n")
    assert json.loads(written["json"].read_text(encoding="utf-8")) == summaries
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert links and sorted(links) == sorted(p.name for p in written["charts"])
    assert all((tmp_path / "out" / link).read_bytes()[:8] == PNG_SIGNATURE for link in links)


def test_top_is_a_short_headline_with_the_key_figures():
    line = report.top(SMALL)
    assert 2 <= len(line.splitlines()) <= 6
    for figure in ("HumanEval", "qwen2.5-coder-0.5b-instruct-q4_k_m", "bandit", "t_max 3", "30.5% -> 31.1%",
                   "92.0% -> 98.0%", "first attempt 150", "after patch 10", "not error-free 4", "164 tasks", "812 s",
                   SMALL["command"]):
        assert figure in line
    cyber = report.top(CYBER)
    assert 2 <= len(cyber.splitlines()) <= 6
    for figure in ("CyberSecEval instruct", "33.6% -> 31.2%", "11.5 -> 11.3", "60 cases", "C 41.0% -> 38.3%"):
        assert figure in cyber
    assert cyber.index("C++") < cyber.index("Python") < cyber.index("Rust")


def test_missing_figures_render_as_a_dash():
    bare_humaneval = {"benchmark": "humaneval", "model": "bare"}
    partial = _humaneval("partial", pass_before=0.4, pass_after=None, efr_before=0.9, efr_after="n/a", table2=(7,))
    bare_cyber = {"benchmark": "cyberseceval", "cyberseceval": {"languages": {"php": {"vulnerable": {"after": 0.5}}}}}
    text = report.markdown([bare_humaneval, partial, bare_cyber])
    rows = _rows(text)
    assert "| bare | – | – | – | – |" in rows
    assert "| partial | 40.0% | – | 90.0% | – |" in rows
    assert "| partial | – | 7 | – | – |" in rows
    assert "| PHP | – | – | – | 50.0% | – |" in rows
    assert "| **Total** | **–** | **–** | **–** | **–** | **–** |" in rows
    assert "wall time –" in text and "machine: –" in text
    assert "pass@1 – -> –" in report.top(bare_humaneval) and "vulnerable – -> –" in report.top(bare_cyber)


def test_charts_skip_runs_without_figures_and_draw_gaps_for_missing_ones(tmp_path):
    partial = dict(CYBER, cyberseceval={"variant": "autocomplete", "languages": {"c": {"vulnerable": {"before": 0.3}}}})
    paths = report.charts([{"benchmark": "humaneval", "model": "bare"}, partial], tmp_path)
    assert [p.name for p in paths] == ["cyberseceval-autocomplete-qwen2.5-coder-0.5b-instruct-q4_k_m-both-t3.png"]
    assert "![" not in report.markdown([{"benchmark": "humaneval", "model": "bare"}])


def test_unknown_benchmarks_are_skipped_with_a_note():
    text = report.markdown([{"benchmark": "mbpp", "model": "m"}, SMALL, "not a summary"])
    assert "unknown benchmark 'mbpp' (model m)" in text and "not a summary (str)" in text
    assert "| qwen2.5-coder-0.5b-instruct-q4_k_m | 30.5% |" in text
    assert "unknown benchmark 'mbpp'" in report.top({"benchmark": "mbpp"})


@pytest.mark.parametrize("summaries", [[], [{"benchmark": "mbpp"}]])
def test_no_known_results_say_so(summaries, tmp_path):
    assert "No results" in report.markdown(summaries)
    written = report.write_report(summaries, tmp_path)
    assert written["charts"] == [] and "No results" in written["markdown"].read_text(encoding="utf-8")


def test_feedback_names_follow_the_paper():
    assert report.feedback_name("svace") == "Svace"
    assert report.feedback_name("both") == "Bandit + Svace"
    assert report.feedback_name("syntax, Bandit") == "syntax + Bandit"
    assert report.feedback_name(None) == "–"


def test_load_summaries_reads_report_lists_and_single_summaries(tmp_path):
    written = report.write_report([SMALL, LARGE], tmp_path / "a")
    (tmp_path / "single.json").write_text(json.dumps(CYBER), encoding="utf-8")
    assert report.load_summaries(written["json"], tmp_path / "single.json") == [SMALL, LARGE, CYBER]


def test_report_command_combines_runs_from_their_folders(tmp_path, capsys):
    from secgen.bench.report import main, write_report
    first, second = tmp_path / "a", tmp_path / "b"
    write_report([{"benchmark": "humaneval", "model": "small", "feedback": "bandit", "t_max": 3, "tasks": 2,
                   "humaneval": {"pass@1": {"before": 0.5, "after": 1.0}, "efr": {"before": 0.5, "after": 1.0},
                                 "table2": {"first_attempt": 1, "after_patch": 1, "not_error_free": 0}}}], first)
    write_report([{"benchmark": "humaneval", "model": "large", "feedback": "bandit", "t_max": 3, "tasks": 2,
                   "humaneval": {"pass@1": {"before": 0.25, "after": 0.75}, "efr": {"before": 1.0, "after": 1.0},
                                 "table2": {"first_attempt": 2, "after_patch": 0, "not_error_free": 0}}}], second)
    assert main([str(first), str(second / "summary.json"), "--out", str(tmp_path / "all")]) == 0
    text = (tmp_path / "all" / "report.md").read_text()
    assert "small" in text and "large" in text and "25.0%" in text and "75.0%" in text
    assert "2 run(s)" in capsys.readouterr().out
    assert main([str(tmp_path / "nowhere"), "--out", str(tmp_path / "x")]) == 2
    assert "no summary at" in capsys.readouterr().err


def test_runs_on_a_hard_set_get_their_own_table():
    from secgen.bench.report import markdown
    common = {"benchmark": "humaneval", "model": "m", "feedback": "bandit", "t_max": 3}
    full = {**common, "task_set": "humaneval",
            "humaneval": {"pass@1": {"before": 0.6, "after": 0.6}, "efr": {"before": 0.9, "after": 0.95}}}
    hard = {**common, "task_set": "docs/results/hard-humaneval.jsonl",
            "humaneval": {"pass@1": {"before": 0.125, "after": 0.0}, "efr": {"before": 0.5, "after": 0.625}}}
    text = markdown([full, hard])
    assert "### Feedback: Bandit\n" in text and "### Feedback: Bandit, task set hard-humaneval.jsonl\n" in text
    assert text.index("60.0%") < text.index("task set hard-humaneval.jsonl") < text.index("12.5%")


def test_the_machine_line_names_the_cpu_extensions_of_machine_info():
    from secgen.bench.report import machine_line

    line = machine_line({"cpu": "Xeon", "cpu_count": 2, "cpu_flags": {"avx2": True, "avx512": True, "amx": False},
                         "llama_cpp_python": "0.3.36"}.items())
    assert line == "Xeon, 2 CPUs, flags avx2 avx512, llama_cpp_python 0.3.36"
    assert "flags none of avx2/avx512/amx" in machine_line({"cpu_flags": dict.fromkeys(("avx2", "avx512", "amx"),
                                                                                        False)}.items())


def test_a_table_of_runs_from_different_cpu_kinds_says_so():
    avx2 = dict(MACHINE, cpu_flags={"avx2": True, "avx512": False, "amx": False}, secgen_commit="aaa1111")
    avx512 = dict(avx2, cpu_flags={"avx2": True, "avx512": True, "amx": False})
    same = report.markdown([dict(SMALL, machine=avx2), dict(LARGE, machine=avx2)])
    assert "**Note:**" not in same
    mixed = report.markdown([dict(SMALL, machine=avx2), dict(LARGE, machine=avx512)])
    assert ("**Note:** these runs are from different CPU kinds (AVX2, AVX-512: llama.cpp's greedy answers fork "
            "between them); a difference between their rows may be the machine's.") in mixed
