"""The fuzzer against a server other than secgen: crashes and hangs are told apart, recorded, and survived.

The server is ``fragile_server.py``, which crashes on a body that is not an
object and hangs on a completion request. With the fixed seed, the stream
holds a body that is not an object (its 13th message) and, well after it, a
completion request (its 38th), so which server process each message reaches
does not depend on how fast a crash is noticed. With ``on_crash="restart"`` the
whole stream is sent, to one fresh server after another; with ``"stop"`` it
ends at the first loss.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest

from tests.fuzz.run import fuzz, main
from tests.fuzz.targets import other

SEED = 11  # see the module docstring
MESSAGES = 40
FRAGILE = other(shlex.join([sys.executable, str(Path(__file__).with_name("fragile_server.py"))]), "fragile")


def run_fragile(tmp_path: Path, on_crash: str):
    # a probe the fragile server answers takes milliseconds: 5 s apart from a hang even on a loaded box
    return fuzz(seed_value=SEED, messages=MESSAGES, workdir=tmp_path, target=FRAGILE, on_crash=on_crash,
                probe_timeout=5.0, max_missed=1, huge_mb=0.01)


def test_restart_sends_the_whole_stream_and_records_each_loss(tmp_path):
    report = run_fragile(tmp_path, "restart")
    assert report.kinds.total() == MESSAGES + 1  # the first huge document and every generated message
    crash, hang = report.failures
    assert crash.crashed and crash.cause == "exited with code 3" and "not an object" in crash.stderr_tail
    assert 15 <= crash.after_messages <= 18  # 13 messages and 2 probes, noticed by the next probe at the latest
    assert not hang.crashed and hang.cause == "answered none of 1 probes in a row within 5 s; killed"
    assert hang.after_messages == 40 + 8 and hang.last_kinds[-3] == "wrong_params"  # a completion, 38th
    assert report.crashes == 1 and report.hangs >= 1 and report.restarts == 2
    assert report.answered + report.unanswered + report.duplicates == report.requests
    assert report.unanswered and report.problems() and "restarted" in report.summary()


def test_stop_ends_the_stream_at_the_first_loss(tmp_path):
    report = run_fragile(tmp_path, "stop")
    [crash] = report.failures
    assert crash.cause == "exited with code 3" and report.restarts == 0
    assert 13 <= report.kinds.total() <= 15
    assert report.messages == crash.after_messages  # nothing was sent after it
    assert "stopped" in report.summary() and not report.closed


def test_a_server_that_does_not_start_is_one_line_and_exit_status_2(tmp_path, capsys):
    status = main(["--server-cmd", str(tmp_path / "no-such-server"), "--messages", "1", "--keep", str(tmp_path)])
    err = capsys.readouterr().err
    assert status == 2 and err.startswith("error: could not start no-such-server") and err.count("\n") == 1


def test_an_empty_server_command_is_refused():
    with pytest.raises(ValueError):
        other("  ")
