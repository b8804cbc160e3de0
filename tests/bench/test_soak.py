"""The soak command (``bench/soak.py``, ``bench/processes.py``): its typing, its process-tree reader,
its verdict, and a short run against the real server.

The run starts the real ``secgen.server.lsp --stdio`` with the built-in scripted
fake model, through ``secgen bench soak``; it asserts what every run must
show (each request answered or cancelled, nothing left behind), not figures.
"""

from __future__ import annotations

import ast
import asyncio
import json
import os
import random
import subprocess
import sys
import threading
from datetime import datetime, timezone
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcInternalError, JsonRpcRequestCancelled

from secgen.bench import soak
from secgen.bench.processes import Sample, process_tree, rss_bytes, running, take_sample, thread_count
from secgen.bench.soak import (BODY, DOCUMENT, DOCUMENT_HEAD, SoakRun, Tally, Typist, apply_edit, baseline_request,
                               build_report, failures, format_report)
from secgen.server import cli

MIB = 2**20


# -- the typing ---------------------------------------------------------------------------


def test_the_typist_writes_the_body_as_valid_python_and_starts_again_from_the_same_document():
    typist = Typist(DOCUMENT, len(DOCUMENT_HEAD), random.Random(3))
    text, kinds, longest, written = DOCUMENT, {}, 0, 0
    for _ in range(800):
        before_typo = typist.typo
        edit = typist.next_edit()
        text = apply_edit(text, edit)
        assert text == typist.text and typist.cursor == edit.start + len(edit.text)
        kinds[edit.kind] = kinds.get(edit.kind, 0) + 1
        longest = max(longest, len(text))
        if edit.kind == "backspace":
            assert before_typo and edit.end - edit.start == 1  # only a typo is taken back, right after it
        if edit.kind == "clear":
            assert text == DOCUMENT  # the body deleted: the document is back where it began
        if typist.line == len(BODY) - 1 and typist.column == len(BODY[-1].lstrip()) and not typist.typo:
            written += 1
            ast.parse(text)  # the whole function, typed with its indentation, is valid Python
            assert '\n        lines.append(f"- {name}")\n    return lines\n' in text
    assert set(kinds) == {"type", "newline", "typo", "backspace", "clear"}
    assert written >= 3 and kinds["clear"] >= 3
    assert longest <= len(DOCUMENT) + sum(len(line) + 5 for line in BODY) + 1  # the document does not grow


def test_the_same_seed_types_the_same_edits():
    def edits(seed):
        typist = Typist(DOCUMENT, len(DOCUMENT_HEAD), random.Random(seed))
        return [typist.next_edit() for _ in range(200)]

    assert edits(5) == edits(5) and edits(5) != edits(6)


# -- the process tree -----------------------------------------------------------------------


def test_the_reader_measures_this_process_its_threads_and_a_child():
    me = os.getpid()
    assert rss_bytes(me) > 5 * MIB and rss_bytes(me, "VmHWM") >= rss_bytes(me)
    threads = thread_count(me)
    stop = threading.Event()
    worker = threading.Thread(target=stop.wait)
    worker.start()
    child = subprocess.Popen([sys.executable, "-c", "import sys; print('ready', flush=True); sys.stdin.read()"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert child.stdout.readline() == b"ready\n"
        assert thread_count(me) == threads + 1
        assert child.pid in process_tree(me)
        seen: set[tuple[int, int]] = set()
        sample = take_sample(me, 7, seen)
        assert sample.request == 7 and sample.children >= 1 and sample.threads == threads + 1
        assert sample.rss_bytes > sample.server_rss_bytes + MIB  # the child's interpreter counts too
        [started] = [s for pid, s in seen if pid == child.pid]
        assert running([(child.pid, started)]) == [child.pid]
        assert running([(child.pid, started + 1)]) == []  # the same pid, another process
    finally:
        stop.set()
        worker.join()
        child.communicate(timeout=30)
    assert running([(child.pid, started)]) == []
    assert rss_bytes(child.pid) == 0 and thread_count(child.pid) == 0


# -- counting and the verdict -----------------------------------------------------------------


def test_each_answer_is_counted_by_how_it_ended():
    loop = asyncio.new_event_loop()

    def done(result=None, error=None) -> asyncio.Future:
        future = loop.create_future()
        future.set_exception(error) if error is not None else future.set_result(result)
        return future

    tally = Tally()
    item = types.InlineCompletionItem(insert_text="return 1\n")
    for answer in (done(types.InlineCompletionList(items=[item])), done(types.InlineCompletionList(items=[])),
                   done([]), done(error=JsonRpcRequestCancelled("cancelled")),
                   done(error=JsonRpcInternalError("boom"))):
        tally.settle(answer)
    loop.close()
    assert (tally.answered, tally.with_text, tally.cancelled, tally.errors) == (3, 1, 1, 1)
    assert "boom" in tally.error_messages[0] and "-32603" in tally.error_messages[0]


def test_the_baseline_is_request_100_or_halfway_for_short_runs():
    assert [baseline_request(n) for n in (1000, 200, 150, 60, 1)] == [100, 100, 75, 30, 1]


def _report(*, end_mib=105.0, threads=(5, 5), children=(2, 2), unanswered=0, errors=0, peak_mib=120.0,
            exited=True, left=()):
    run = SoakRun(editor=None, typist=None, rng=None, requests=1000, cancel=0.7, sent=1000)
    run.tally = Tally(answered=600 - errors - unanswered, cancelled=400, errors=errors, unanswered=unanswered)
    run.samples = [Sample(request=100, rss_bytes=int(100 * MIB), server_rss_bytes=int(60 * MIB),
                          server_peak_bytes=int(peak_mib * MIB), threads=threads[0], children=children[0]),
                   Sample(request=1000, rss_bytes=int(end_mib * MIB), server_rss_bytes=int(61 * MIB),
                          server_peak_bytes=int(peak_mib * MIB), threads=threads[1], children=children[1])]
    machine = {"model": "fake", "cpu_count": 2, "load_average_before": None, "load_average_after": None}
    return build_report(run, machine=machine, settings={"cancel": 0.7, "seed": 0},
                        timings={"server_ready_s": 1.0, "run_s": 40.0}, server_counts={},
                        exited_cleanly=exited, left_after_exit=left)


def test_a_clean_run_passes_and_says_so():
    report = _report()
    assert report["passed"] and report["failures"] == []
    assert report["memory"]["growth"] == pytest.approx(1.05)
    assert "verdict: all checks passed" in format_report(report)


@pytest.mark.parametrize("changes, phrase", [
    ({"end_mib": 111.0}, "memory grew 11.0% from request 100"),
    ({"peak_mib": 1024.0}, "memory peaked at 1024 MiB"),
    ({"threads": (5, 7)}, "2 more server thread(s)"),
    ({"children": (2, 3)}, "1 more child process(es)"),
    ({"unanswered": 2}, "2 request(s) unanswered"),
    ({"errors": 1}, "1 request(s) answered with an error"),
    ({"exited": False}, "did not exit after shutdown and exit"),
    ({"left": [4242]}, "1 process(es) of the server's tree still running"),
])
def test_each_failed_check_is_named(changes, phrase):
    report = _report(**changes)
    assert not report["passed"] and len(report["failures"]) == 1 and phrase in report["failures"][0]
    assert f"FAILED: {report['failures'][0]}" in format_report(report)


def test_fewer_threads_or_children_at_the_end_is_no_leak():
    assert failures(_report(threads=(6, 5), children=(2, 1))) == []


def test_the_results_file_is_named_after_the_model_and_the_time():
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    assert soak.default_out_path("fake", now) == Path("docs/results/runs/soak-fake-20260102T030405Z.json")
    assert soak.default_out_path("0.5b", now).name == "soak-0.5b-20260102T030405Z.json"
    assert soak.default_out_path("/models/my model.gguf", now).name == "soak-my-model-20260102T030405Z.json"


# -- the command --------------------------------------------------------------------------------


def test_a_short_soak_through_the_real_server_answers_every_request_and_leaves_nothing(tmp_path, capsys):
    out = tmp_path / "soak.json"
    status = cli.main(["bench", "soak", "--requests", "60", "--seed", "1", "--out", str(out)])
    printed = capsys.readouterr()
    report = json.loads(out.read_text())
    c = report["counts"]
    assert c["sent"] == 60 and c["answered"] + c["cancelled"] == 60
    assert c["errors"] == 0 and c["unanswered"] == 0
    assert c["cancel_sent"] + c["superseded"] + c["waited"] == 60 and c["cancel_sent"] and c["superseded"]
    assert c["cancelled"] <= c["cancel_sent"] and c["with_text"] >= 1
    assert sum(report["edits"].values()) == 60
    assert [s["request"] for s in report["samples"]] == [30, 60]
    assert all(s["rss_bytes"] >= s["server_rss_bytes"] > 0 and s["threads"] >= 1 for s in report["samples"])
    assert report["memory"]["baseline_request"] == 30 and report["memory"]["rss_end_bytes"] > 0
    assert report["processes"]["exited_cleanly"] and report["processes"]["left_after_exit"] == []
    assert report["settings"]["fake_script"] == soak.FAKE_SCRIPT and report["machine"]["secgen_commit"]
    assert report["machine"]["cpu"] and report["machine"]["model_file_bytes"] is None  # the fake has no file
    assert report["server_counts"]["cancelled"] >= 1
    assert report["failures"] == failures(report)
    assert status == (0 if report["passed"] else 1)  # the figures may fail on a loaded machine; the run may not
    assert "requests  sent  answered" in printed.out and f"wrote {out}" in printed.out
    assert "[30/60]" in printed.err and "[60/60]" in printed.err


def test_a_model_that_is_not_here_is_one_line_and_nothing_is_downloaded(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SECGEN_MODEL_DIR", str(tmp_path))
    assert soak.main(["--model", "0.5b", "--out", str(tmp_path / "x.json")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "secgen model pull" in err and err.startswith("secgen bench soak: error:")
    assert list(tmp_path.iterdir()) == []


def test_the_cancel_share_must_be_a_fraction():
    with pytest.raises(SystemExit):
        soak.make_parser().parse_args(["--cancel", "1.5"])
