"""The protocol fuzzer's short run (``python -m tests.fuzz.run`` is the long one): no rule broken.

A few hundred generated messages with a fixed seed against the real server and
the fake model: every request answered exactly once, every probe within its
deadline, no popup, a clean exit.
"""

from __future__ import annotations

from tests.fuzz.run import fuzz

SEED = 20261201


def test_a_short_fuzz_session_breaks_no_rule(tmp_path):
    report = fuzz(seed_value=SEED, messages=300, workdir=tmp_path, probe_timeout=20.0)  # 20 s: a loaded CI box
    assert not report.problems(), report.summary() + "\n" + "\n".join(report.problems())
    assert report.answered == report.requests > 100 and report.probes >= 50
    # the stream reached the rules: refused params and methods, and malformed frames
    assert report.codes[-32602] and report.codes[-32601] and report.kinds["huge"]
    assert report.kinds["lying_length"] + report.kinds["missing_length"] and report.kinds["bad_utf8"]


def test_common_probes_are_the_same_request_for_every_server_and_are_recorded(tmp_path, capsys):
    import json

    from tests.fuzz.run import main

    out = tmp_path / "fuzz.json"
    assert main(["--messages", "40", "--probes", "common", "--seed", str(SEED), "--keep", str(tmp_path / "k"),
                 "--json", str(out)]) == 0
    document = json.loads(out.read_text())
    assert document["probes"] == ["textDocument/codeAction"] and document["command"][-1] == "(fake model)"
    assert document["total"]["probes"] >= 8 and document["total"]["answered"] == document["total"]["requests"]
    assert main(["--model", "0.5b", "--server-cmd", "pylsp", "--messages", "1"]) == 2
    assert "--model is for secgen" in capsys.readouterr().err
