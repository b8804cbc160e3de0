"""The latency benchmark's arithmetic, report and command line, without a model.

The end-to-end runs use the scripted fake backend (the baseline then goes
through ``Backend.fim``) and the real analyzers; no figure is asserted, only
that the run produces a complete, consistent report.
"""

import ast
import json
import statistics
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from secgen.bench import harness, latency
from secgen.bench.latency import CASES, CaseTiming, build_report, format_report, summarize

INSECURE = "return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout"
# user data only as an argument: with input() reaching it (the case's suffix), cmd.split() would let the user pick
# the program, which the dataflow analyzer flags
SAFE = 'return subprocess.run(["echo", cmd], capture_output=True, text=True).stdout'
SETTINGS = {"max_tokens": 64, "repeats": 3, "with_repair": False, "analyzers": ["syntax", "pyflakes", "bandit"]}
MACHINE = {"cpu_count": 2, "model_file": "m.gguf", "baseline": "llama.cpp create_completion", "n_threads": 2}


def _cases():
    return [
        CaseTiming(name="a", raw_s=(1.0, 3.0, 2.0), secgen_s=(2.4, 9.0, 2.2), raw_tokens=64, same_output=True,
                   analyzer_ms={"syntax": 1.0, "pyflakes": 3.0, "bandit": 16.0}),
        CaseTiming(name="b", raw_s=(4.0,), secgen_s=(4.4,), raw_tokens=10, same_output=False,
                   analyzer_ms={"syntax": 2.0, "pyflakes": 2.0, "bandit": 36.0}),
    ]


def test_summary_takes_medians_of_per_case_medians_and_their_ratios():
    summary = summarize(_cases())
    assert summary["raw_median_s"] == pytest.approx(3.0)  # cases' medians are 2.0 and 4.0
    assert summary["secgen_median_s"] == pytest.approx(3.4)  # 2.4 and 4.4
    assert summary["secgen_vs_raw"] == pytest.approx(3.4 / 3.0)
    assert summary["median_case_secgen_vs_raw"] == pytest.approx((1.2 + 1.1) / 2)
    assert summary["analysis_median_ms"] == pytest.approx(30.0)  # 20 and 40
    assert summary["analysis_vs_raw"] == pytest.approx(0.030 / 3.0)
    assert summary["repair_median_s"] is None and summary["repair_vs_raw"] is None


def test_case_ratios_and_repair_figures():
    case = CaseTiming(name="a", raw_s=(2.0,), secgen_s=(2.5,), analyzer_ms={"bandit": 40.0},
                      repair_s=(5.0, 7.0, 6.0), repair_rounds=2, repair_stop="clean")
    d = case.to_dict()
    assert d["secgen_vs_raw"] == pytest.approx(1.25)
    assert d["analysis_vs_raw"] == pytest.approx(0.02)
    assert d["repair_median_s"] == pytest.approx(6.0) and d["repair_vs_raw"] == pytest.approx(3.0)
    assert summarize([case])["repair_vs_raw"] == pytest.approx(3.0)


def test_a_zero_baseline_gives_no_ratio_rather_than_a_crash():
    case = CaseTiming(name="a", raw_s=(0.0,), secgen_s=(0.1,))
    assert case.to_dict()["secgen_vs_raw"] is None
    assert summarize([case])["secgen_vs_raw"] is None


def test_report_round_trips_through_the_json_file(tmp_path):
    report = build_report(_cases(), {"syntax": 0.5, "bandit": 3.0}, machine=MACHINE, settings=SETTINGS,
                          model_load_s=0.8, warmup_s=1.5)
    path = harness.write_report(report, tmp_path / "deep" / "latency.json")
    loaded = json.loads(path.read_text())
    assert loaded == report
    assert loaded["summary"]["secgen_vs_raw"] == pytest.approx(3.4 / 3.0)
    assert [c["name"] for c in loaded["cases"]] == ["a", "b"]
    assert loaded["snippet"]["analysis_ms"] == pytest.approx(3.5) and loaded["snippet"]["lines"] >= 45
    assert loaded["model_load_s"] == 0.8 and loaded["machine"]["cpu_count"] == 2


def test_table_shows_every_case_the_medians_and_the_summary():
    report = build_report(_cases(), {"syntax": 0.5}, machine=MACHINE, settings=SETTINGS,
                          model_load_s=0.8, warmup_s=1.5, analyzer_failures={"bandit": "not installed"})
    text = format_report(report)
    rows = {line.split()[0]: line.split() for line in text.splitlines() if line.strip()}
    assert rows["a"][1:4] == ["2.000", "2.400", "1.20"]
    assert rows["b"][1:6] == ["4.000", "4.400", "1.10", "10", "no"]
    assert rows["median"][1:4] == ["3.000", "3.400", "1.13"]
    assert "repair s" not in text
    assert "summary: raw 3.000 s, secgen 3.400 s, secgen/raw 1.13 (median per case 1.15)" in text
    assert "model load 0.80 s" in text and "load average ? before" in text and "analyzer bandit unavailable: not installed" in text


def test_table_adds_the_full_loop_columns_with_repair():
    cases = [CaseTiming(name="a", raw_s=(2.0,), secgen_s=(2.2,), repair_s=(6.0,), repair_rounds=1)]
    report = build_report(cases, {}, machine=MACHINE, settings={**SETTINGS, "with_repair": True},
                          model_load_s=0.0, warmup_s=0.0)
    text = format_report(report)
    assert "repair/raw" in text and "full loop 6.000 s = 3.00 x raw" in text
    row = next(line.split() for line in text.splitlines() if line.startswith("a "))
    assert row[-3:] == ["6.000", "1", "3.00"]


def test_default_out_path_is_a_utc_timestamp_under_bench_results():
    moscow = timezone(timedelta(hours=3))
    assert latency.default_out_path(datetime(2025, 1, 2, 6, 4, 5, tzinfo=moscow)) == \
        Path("bench-results/latency-20250102T030405Z.json")


def test_parser_defaults_and_rejections():
    args = latency.make_parser().parse_args([])
    assert (args.model, args.max_tokens, args.repeats, args.with_repair, args.prompts, args.out) == \
        (None, 64, 3, False, None, None)
    args = latency.make_parser().parse_args(["--prompt", "sql_query", "--prompt", "yaml_config", "--repeats", "1"])
    assert args.prompts == ["sql_query", "yaml_config"] and args.repeats == 1
    for bad in (["--repeats", "0"], ["--max-tokens", "-1"], ["--prompt", "no_such_case"]):
        with pytest.raises(SystemExit):
            latency.make_parser().parse_args(bad)


def test_cases_are_cursors_inside_parseable_documents():
    assert len({c.name for c in CASES}) == len(CASES) >= 5
    for case in CASES:
        filler = "None)" if case.prefix.endswith("(") else "pass"
        ast.parse(case.prefix + filler + case.suffix)  # raises on a broken fixture
        assert case.prefix.rpartition("\n")[2].startswith("    "), case.name  # the cursor is in a body
    ast.parse(latency.SNIPPET)


def test_main_runs_end_to_end_with_the_fake_backend(tmp_path, capsys, script):
    spec = script(fim=[INSECURE], rules=[{"kind": "fim", "match": "# Split the command with shlex.split", "reply": SAFE}])
    out = tmp_path / "r.json"
    code = latency.main(["--model", spec, "--prompt", "shell_command", "--prompt", "sql_query",
                         "--repeats", "2", "--with-repair", "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr()
    assert f"wrote {out}" in printed.out and "summary:" in printed.out
    assert "[1/2] shell_command" in printed.err and "[2/2] sql_query" in printed.err
    report = json.loads(out.read_text())
    assert report["machine"]["baseline"] == "backend.fim" and report["settings"]["cases"] == ["shell_command", "sql_query"]
    assert {"cpu", "cpu_flags", "secgen_commit", "llama_cpp_python", "model_sha256"} <= set(report["machine"])
    shell = report["cases"][0]
    assert len(shell["raw_s"]) == len(shell["secgen_s"]) == len(shell["repair_s"]) == 2
    assert shell["same_output"] is True and "shell=True" in shell["suggestion"]
    assert shell["repair_rounds"] == 1 and shell["repair_stop"] == "clean"
    assert set(shell["analyzer_ms"]) == {"syntax", "pyflakes", "bandit", "dataflow"} and shell["analysis_ms"] > 0
    assert set(report["snippet"]["analyzer_ms"]) == {"syntax", "pyflakes", "bandit", "dataflow"}


def test_missing_default_model_is_one_line_naming_the_pull_command(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SECGEN_MODEL_DIR", str(tmp_path))
    assert latency.main(["--out", str(tmp_path / "r.json")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert "secgen model pull" in err[-1] and err[-1].startswith("secgen bench latency: error:")
    assert not (tmp_path / "r.json").exists()


def test_unreadable_fake_script_exits_2(tmp_path, capsys):
    assert latency.main(["--model", f"fake:{tmp_path / 'missing.json'}"]) == 2
    assert "cannot read fake backend script" in capsys.readouterr().err


def test_sized_snippets_are_whole_texts_near_the_size():
    pool = [f"def f{i}():\n" + "    x = 1\n" * (i % 5 + 2) + "    return x\n" for i in range(12)]
    for size in (10, 25, 50):
        snippets = latency.sized_snippets(pool, size, 6)
        assert len(snippets) == 6 and len(set(snippets)) > 1  # different starting points
        for text in snippets:
            compile(text, "s.py", "exec")  # whole functions only: every snippet parses
            assert size - 2 - 8 <= text.count("\n") <= size, (size, text.count("\n"))


def test_analyzer_sizes_reports_p50_p95_per_size_and_for_the_set():
    from secgen.analyzers.registry import AnalyzerRegistry

    class Slow:
        name, languages, speed = "slow", frozenset({"python"}), "fast"

        def available(self):
            return None

        def analyze(self, source):
            time.sleep(0.001 * source.text.count("\n") / 10)
            return []

    registry = AnalyzerRegistry({"slow": Slow, "c-only": lambda: type("C", (), {
        "name": "c-only", "languages": frozenset({"c"}), "speed": "fast", "available": lambda self: None,
        "analyze": lambda self, s: []})()})
    pool = ["x = 1\n" * 10, "y = 2\n" * 10]
    result = latency.analyzer_sizes(registry, ["slow", "c-only"], pool, sizes=(10, 40), samples=2, repeats=2)
    assert result["analyzers"] == ["slow"]  # a C analyzer is not timed on Python
    small, large = result["sizes"]
    assert small["runs"] == large["runs"] == 4
    assert large["all"]["p50_ms"] > small["all"]["p50_ms"] >= 1.0  # ~1 ms per 10 lines
    assert large["analyzers"]["slow"]["p95_ms"] >= large["analyzers"]["slow"]["p50_ms"]
    assert "| 10 (" in latency.format_sizes(result) and "slow p50/p95 ms" in latency.format_sizes(result)


def test_analyzer_sizes_times_a_baseline_in_the_same_runs_and_gives_the_ratio():
    from secgen.analyzers.registry import AnalyzerRegistry

    class Sleeper:
        name, languages, speed = "sleeper", frozenset({"python"}), "fast"

        def __init__(self, ms: float) -> None:
            self.ms, self.calls = ms, 0

        def available(self):
            return None

        def analyze(self, source):
            self.calls += 1
            time.sleep(self.ms / 1000)
            return []

    fast, slow = Sleeper(2.0), Sleeper(8.0)
    result = latency.analyzer_sizes(AnalyzerRegistry({"sleeper": lambda: fast}), ["sleeper"], ["x = 1\n" * 10],
                                    sizes=(10,), samples=2, repeats=3, baseline={"sleeper": slow})
    row = result["sizes"][0]
    assert fast.calls == slow.calls == 1 + 2 * 3  # the warm-up, then once per run each
    assert row["baseline"]["p50_ms"] >= 8.0 and 0.1 < row["baseline"]["ratio_p50"] < 0.6
    table = latency.format_sizes(result)
    assert "all/baseline p50" in table and f"{row['baseline']['ratio_p50']:.3f}" in table


def test_the_baseline_without_the_newest_analyzer_is_what_the_set_cost_before_it():
    from secgen.analyzers.registry import AnalyzerRegistry

    class Sleeper:
        name, languages, speed = "sleeper", frozenset({"python"}), "fast"

        def __init__(self, ms: float) -> None:
            self.ms = ms

        def available(self):
            return None

        def analyze(self, source):
            time.sleep(self.ms / 1000)
            return []

    result = latency.analyzer_sizes(AnalyzerRegistry({"old": lambda: Sleeper(1.0)}), ["old"], ["x = 1\n" * 10],
                                    sizes=(10,), samples=2, repeats=2,
                                    baseline={"old": Sleeper(3.0), "new": Sleeper(20.0)}, newest="new")
    row = result["sizes"][0]
    assert row["baseline"]["p50_ms"] >= 23.0
    assert row["before"]["without"] == "new" and 3.0 <= row["before"]["p50_ms"] < 20.0
    assert "baseline without new p50/p95 ms" in latency.format_sizes(result)


def test_with_repair_times_each_tier_on_the_flagged_cases(tmp_path, capsys, script):
    spec = script(continues=True, fim=["totals.setdefault(row['name'], []).append(float(row['score']))"], rules=[
        {"kind": "fim", "match": "# Split the command with shlex.split", "reply": SAFE},
        {"kind": "fim", "match": "def run_user_command", "reply": INSECURE},
        {"kind": "fim", "match": "def load_config", "reply": "return yaml.load(f, Loader=yaml.Loader)"}])
    out = tmp_path / "r.json"
    assert latency.main(["--model", spec, "--prompt", "shell_command", "--prompt", "yaml_config", "--prompt",
                         "csv_scores", "--repeats", "2", "--with-repair", "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    shell, yaml_case, csv_case = report["cases"]
    assert len(shell["guided_s"]) == len(shell["repair_round_s"]) == 2  # flagged: both model tiers timed alone
    assert len(yaml_case["fix_s"]) == 2 and shell["fix_s"] == []  # yaml.safe_load, once per full loop
    assert csv_case["guided_s"] == csv_case["repair_round_s"] == csv_case["fix_s"] == []  # not flagged
    s = report["summary"]
    assert s["fix_attempts"] == 2 and s["fix_p95_ms"] >= s["fix_p50_ms"] > 0
    assert s["tier_cases"] == 2 and s["unflagged_cases"] == 1
    assert s["unflagged_secgen_vs_raw"] == pytest.approx(csv_case["secgen_vs_raw"])
    assert "tiers: mechanical fix p50" in capsys.readouterr().out
