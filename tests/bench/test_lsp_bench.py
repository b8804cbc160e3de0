"""The LSP benchmark's arithmetic, report and command line, and a run against the real server.

The runs start the real ``secgen.server.lsp --stdio`` with the scripted fake
backend (``fake:SCRIPT``), so they need no model; the baseline is then the
fake's own ``fim``. No figure is asserted, only that the run drives the server
as described and produces a complete, consistent report.
"""

import argparse
import asyncio
import json
import re

import pytest

from secgen.bench import lsp
from secgen.bench.latency import CASES
from secgen.bench.lsp import CaseTiming, build_report, format_report, summarize, summarize_diagnostics
from secgen.engine.fake import ScriptedBackend
from secgen.engine.postprocess import postprocess
from secgen.engine.prompts import fim_prompt

REPLY = "result = subprocess.run(cmd.split(), capture_output=True, text=True)\n    return result.stdout\n"
MACHINE = {"cpu_count": 2, "model_file": "m.gguf", "baseline": "backend.fim", "n_threads": 2}
SETTINGS = {"max_tokens": 64, "repeats": 3, "edits": 20, "t_max": 0}
LOAD = {"bare_model_load_s": 0.8, "server_ready_s": 2.5, "lost_polls": 1}


def _cases():
    return [
        CaseTiming(name="a", bare_s=(1.0, 3.0, 2.0), server_s=(2.1, 2.2, 9.0), chunks=64, same_output=True),
        CaseTiming(name="b", bare_s=(4.0,), server_s=(4.2,), chunks=10, same_output=False),
    ]


def _diagnostics():
    return summarize_diagnostics([0.010, 0.030, 0.020], [0.004, 0.006, 0.005], open_s=0.05, debounce_ms=0, lines=53)


def test_case_figures_are_percentiles_of_its_requests():
    d = _cases()[0].to_dict()
    assert d["bare_p50_s"] == pytest.approx(2.0) and d["server_p50_s"] == pytest.approx(2.2)
    assert d["bare_p95_s"] == pytest.approx(2.9) and d["server_p95_s"] == pytest.approx(8.32)
    assert d["server_vs_bare"] == pytest.approx(1.1)


def test_summary_takes_medians_over_cases_and_checks_the_target():
    s = summarize(_cases())
    assert s["bare_p50_s"] == pytest.approx(3.0)  # cases' p50s are 2.0 and 4.0
    assert s["server_p50_s"] == pytest.approx(3.2)  # 2.2 and 4.2
    assert s["server_vs_bare_p50"] == pytest.approx(3.2 / 3.0)
    assert s["median_case_server_vs_bare"] == pytest.approx((1.1 + 1.05) / 2)
    assert s["within_target"] is True and s["target"] == 1.10
    assert s["same_output_cases"] == 1 and s["cases"] == 2
    slow = CaseTiming(name="c", bare_s=(1.0,), server_s=(1.2,))
    assert summarize([slow])["within_target"] is False


def test_a_zero_baseline_gives_no_ratio_rather_than_a_crash():
    s = summarize([CaseTiming(name="a", bare_s=(0.0,), server_s=(0.1,))])
    assert s["server_vs_bare_p50"] is None and s["within_target"] is None


def test_diagnostics_summary_is_in_milliseconds_against_in_process_analysis():
    d = _diagnostics()
    assert d["p50_ms"] == pytest.approx(20.0) and d["p95_ms"] == pytest.approx(29.0)
    assert d["analysis_p50_ms"] == pytest.approx(5.0)
    assert d["p50_vs_analysis"] == pytest.approx(4.0)
    assert d["open_ms"] == pytest.approx(50.0) and d["edits"] == 3 and d["debounce_ms"] == 0


def test_table_shows_every_case_the_medians_and_the_summary():
    stats = {"completion": {"p50_ms": 2203.0}, "generation": {"p50_ms": 2190.5}, "diagnostics": {"p50_ms": 1.0}}
    report = build_report(_cases(), _diagnostics(), machine=MACHINE, settings=SETTINGS, load=LOAD, warmup_s=1.5,
                          server_stats=stats)
    text = format_report(report)
    rows = {line.split()[0]: line.split() for line in text.splitlines() if line.strip()}
    assert rows["a"][1:] == ["2.000", "2.900", "2.200", "8.320", "1.100", "64", "yes"]
    assert rows["b"][-1] == "NO"
    assert rows["median"][5] == "1.067" and rows["median"][-1] == "1/2"
    assert "debounceMs=0" in text and "p50 20.0 ms" in text and "4.00 x in-process" in text
    assert "target < 1.10: met" in text and "1 secgen/stats answers lost" in text
    assert "completion p50 2203.0 ms, generation p50 2190.5 ms" in text


def test_position_counts_utf16_code_units():
    text = "a\né😀x"
    assert lsp.position_at(text, 0) == lsp.types.Position(line=0, character=0)
    assert lsp.position_at(text, 4) == lsp.types.Position(line=1, character=3)  # é is 1 unit, 😀 is 2
    assert lsp.position_at(text, 2) == lsp.types.Position(line=1, character=0)


def test_parser_defaults_and_limits():
    args = lsp.make_parser().parse_args([])
    assert (args.model, args.repeats, args.max_tokens, args.edits, args.out) == (None, 3, 64, 20, None)
    with pytest.raises(SystemExit):
        lsp.make_parser().parse_args(["--repeats", "0"])


def test_default_out_path_is_timestamped_under_bench_results():
    from datetime import datetime, timezone

    path = lsp.default_out_path(datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc))
    assert str(path) == "bench-results/lsp-20250102T030405Z.json"


def test_missing_model_is_one_line_naming_the_pull(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SECGEN_MODEL_DIR", str(tmp_path / "empty"))
    monkeypatch.delenv("SECGEN_MODEL", raising=False)
    assert lsp.main(["--out", str(tmp_path / "r.json")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("secgen bench lsp: error:") and "secgen model pull" in err[-1]
    assert not (tmp_path / "r.json").exists()


def test_cli_dispatches_bench_lsp(tmp_path, monkeypatch, capsys):
    from secgen.server import cli

    monkeypatch.setenv("SECGEN_MODEL_DIR", str(tmp_path / "empty"))
    assert cli.main(["bench", "lsp", "--model", "default", "--repeats", "1"]) == 2
    assert "secgen bench lsp: error:" in capsys.readouterr().err


def _reply(case):
    if case.name == "http_json_midline":
        return "url, timeout=10)\n    return response.json()\n"
    return f"x_{case.name} = 1\n"


@pytest.fixture
def script(tmp_path):
    """A reply per case, given only for that case's exact prompt: what the editor typed and where the cursor is."""
    rules = [{"kind": "fim", "match": "^" + re.escape(fim_prompt(c.prefix, c.suffix)) + "$", "reply": _reply(c)}
             for c in CASES]
    path = tmp_path / "script.json"
    path.write_text(json.dumps({"fim": [REPLY], "rules": rules}))
    return path


def test_run_drives_the_real_server_and_reports_every_figure(script, tmp_path, capsys):
    out = tmp_path / "deep" / "lsp.json"
    assert lsp.main(["--model", f"fake:{script}", "--repeats", "2", "--edits", "3", "--max-tokens", "32",
                     "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["benchmark"] == "lsp" and report["settings"]["repeats"] == 2
    options = report["settings"]["initialization_options"]
    assert (options["tMax"], options["debounceMs"], options["maxTokens"]) == (0, 0, 32)
    assert [c["name"] for c in report["cases"]] == [c.name for c in CASES]
    for case, row in zip(CASES, report["cases"]):
        assert len(row["bare_s"]) == len(row["server_s"]) == 2 and min(row["server_s"]) > 0
        # The fake answers this reply only to the case's exact prompt: the server saw the document
        # the benchmark typed and completed at the case's cursor.
        assert row["suggestion"] == postprocess(_reply(case), case.prefix, case.suffix) != ""
        assert row["same_output"] is True and row["server_vs_bare"] > 0
    assert report["summary"]["same_output_cases"] == len(CASES)
    # The server's own stats: every timed request and the warm-up went through its completion path.
    assert report["server_stats"]["completion"]["count"] == 2 * len(CASES) + 1
    assert report["server_stats"]["round0"]["count"] == 2 * len(CASES) + 1 and "round1" not in report["server_stats"]
    d = report["diagnostics"]
    assert d["edits"] == 3 and len(d["edit_s"]) == len(d["analysis_s"]) == 3 and d["lines"] >= 50
    assert d["p50_ms"] > 0 and d["open_ms"] > 0 and d["debounce_ms"] == 0
    assert report["load"]["server_ready_s"] > 0 and report["machine"]["baseline"] == "backend.fim"
    assert report["machine"]["load_average_after"] is not None
    assert {"cpu", "cpu_flags", "secgen_commit", "model_file"} <= set(report["machine"])
    stdout = capsys.readouterr().out
    assert "summary: completion p50 server" in stdout and f"wrote {out}" in stdout


def test_neither_path_is_asked_the_same_prompt_twice_in_a_row(script):
    """The prompt-cache fairness: repeats go round-robin over the cases, after a warm-up that is no case."""
    backend = ScriptedBackend.from_file(script)
    args = argparse.Namespace(model=f"fake:{script}", repeats=2, max_tokens=16, edits=1)
    report = asyncio.run(lsp.run(args, backend, 0.0))
    prompts = [p for kind, p in backend.prompts if kind == "fim"]
    assert len(prompts) == 2 * len(CASES) + 1
    assert all(a != b for a, b in zip(prompts, prompts[1:]))
    assert report["server_stats"]["completion"]["count"] == len(prompts)
