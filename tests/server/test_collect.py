"""The opt-in pair collector: which pairs an accepted loop result gives, where they go, and failing writes."""

import json
from datetime import datetime, timezone

from secgen.analyzers import Finding, Range, Severity
from secgen.engine.record import Attempt, LoopResult
from secgen.engine.prompts import generation_messages
from secgen.server.collect import (PairCollector, completion_messages, default_path, editor_pairs,
                                   fim_context, pairs_path)
from secgen.server.settings import Settings, parse_settings
from secgen.training.pairs import read_pairs

SHELL = "return subprocess.run(cmd, shell=True)\n"
SHELL_SPACED = "return subprocess.run(cmd, shell=True)   \n"  # the same code, for a pair
EVAL = "return eval(cmd)\n"
SAFE = "return subprocess.run(cmd.split())\n"
URI = "file:///home/someone/secret-project/app/tool.py"


def _finding(rule: str, cwe: int, analyzer: str = "bandit") -> Finding:
    return Finding(analyzer=analyzer, rule_id=rule, message="m", severity=Severity.HIGH, range=Range.lines(4),
                   cwe=cwe)


def _attempt(round_no: int, text: str, *blocking: Finding) -> Attempt:
    return Attempt(round=round_no, prompt=f"prompt {round_no} with the whole document", raw=f"raw {text}",
                   text=text, findings=blocking, blocking=blocking, seconds=0.1)


def _result(*attempts: Attempt) -> LoopResult:
    best = min(attempts, key=lambda a: (len(a.blocking), len(a.findings), a.round))
    return LoopResult(best=best, attempts=attempts, stop_reason="clean" if not best.blocking else "t_max")


REPAIRED = _result(_attempt(0, SHELL, _finding("B602", 78)), _attempt(1, SAFE))
MESSAGES = generation_messages("run a command", "python")


def test_a_repaired_result_gives_one_pair_per_distinct_flawed_attempt():
    result = _result(_attempt(0, EVAL, _finding("B307", 78)),
                     _attempt(1, SHELL, _finding("B602", 78), _finding("F821", None, "pyflakes")),
                     _attempt(2, SHELL_SPACED, _finding("B602", 78)),  # the same code again: no second pair
                     _attempt(3, SAFE))
    now = datetime(2025, 5, 1, 12, 0, tzinfo=timezone.utc)
    pairs = editor_pairs(result, messages=MESSAGES, language="python", uri=URI, now=now)
    assert [p.rejected for p in pairs] == ["```python\n" + SHELL + "```", "```python\n" + EVAL + "```"]
    assert {p.chosen for p in pairs} == {"```python\n" + SAFE + "```"}
    first = pairs[0]
    assert first.prompt == tuple({"role": m.role, "content": m.content} for m in MESSAGES)
    meta = first.meta
    assert meta["task_id"].startswith("editor/") and len(meta["task_id"]) == len("editor/") + 16
    assert pairs[1].task_id == meta["task_id"]  # one prompt, one task: a split keeps them together
    assert meta["source"] == "editor" and meta["language"] == "python" and meta["reason"] == "findings"
    assert meta["file"] == "tool.py" and "secret-project" not in json.dumps([p.to_dict() for p in pairs])
    assert meta["rejected_blocking"] == [{"analyzer": "bandit", "rule_id": "B602", "cwe": 78},
                                         {"analyzer": "pyflakes", "rule_id": "F821", "cwe": None}]
    assert (meta["rejected_round"], meta["chosen_round"]) == (1, 3)
    assert meta["collected_at"] == "2025-05-01T12:00:00+00:00"
    assert "fim" not in meta


def test_at_most_two_pairs():
    flawed = [_attempt(n, f"x{n} = eval(cmd)\n", _finding("B307", 78)) for n in range(3)]
    result = _result(*flawed, _attempt(3, SAFE))
    assert len(editor_pairs(result, messages=MESSAGES, language="python", uri=URI)) == 2


def test_nothing_unless_a_flagged_attempt_was_repaired():
    clean_at_once = _result(_attempt(0, SAFE))
    still_flagged = _result(_attempt(0, EVAL, _finding("B307", 78)), _attempt(1, SHELL, _finding("B602", 78),
                                                                               _finding("B604", 78)))
    for result in (clean_at_once, still_flagged, LoopResult(best=None, attempts=(), stop_reason="empty")):
        assert editor_pairs(result, messages=MESSAGES, language="python", uri=URI) == []


def test_completion_prompt_is_the_chat_shape_with_the_cut_context():
    prefix, suffix = "a" * 2000 + "\ndef run(cmd):\n    ", "\n\nprint(run)\n" + "b" * 1000
    head, tail = fim_context(prefix, suffix)
    assert len(head) == 1500 and prefix.endswith(head) and len(tail) == 500 and suffix.startswith(tail)
    [system, user] = completion_messages(head, tail, "python")
    assert system.role == "system" and user.role == "user"
    assert user.content.startswith(f"Complete the python code at <CURSOR>:\n```python\n{head}<CURSOR>{tail}\n```")
    assert user.content == generation_messages(
        f"Complete the python code at <CURSOR>:\n```python\n{head}<CURSOR>{tail}\n```", "python")[1].content


def test_compact_keeps_what_a_pair_needs():
    small = REPAIRED.compact()
    assert [a.prompt for a in small.attempts] == ["", ""] and [a.raw for a in small.attempts] == ["", ""]
    assert small.best is small.attempts[1] and small.text == SAFE and small.clean
    assert editor_pairs(small, messages=MESSAGES, language="python", uri=URI) \
        == editor_pairs(REPAIRED, messages=MESSAGES, language="python", uri=URI)


def test_collected_pairs_are_appended_with_the_fim_context_once_per_key(tmp_path):
    path = tmp_path / "deep" / "pairs.jsonl"
    settings = Settings(collect_pairs=True, collect_pairs_path=str(path))
    warnings = []
    collector = PairCollector(warnings.append)
    fim = {"prefix": "def run(cmd):\n    ", "suffix": "\n"}
    assert collector.collect(settings, REPAIRED, messages=MESSAGES, language="python", uri=URI, fim=fim,
                             key="s1") == 1
    assert collector.collect(settings, REPAIRED, messages=MESSAGES, language="python", uri=URI, fim=fim,
                             key="s1") == 0  # accepted by edit, then by command: kept once
    assert collector.collect(settings, REPAIRED, messages=MESSAGES, language="python", uri=URI) == 1
    first, second = read_pairs(path)
    assert first.meta["fim"] == fim and "fim" not in second.meta
    assert warnings == []


def test_off_writes_nothing_and_makes_no_folder(tmp_path):
    path = tmp_path / "pairs" / "editor-pairs.jsonl"
    collector = PairCollector(lambda message: None)
    for settings in (Settings(), Settings(collect_pairs_path=str(path))):
        assert collector.collect(settings, REPAIRED, messages=MESSAGES, language="python", uri=URI) == 0
    assert list(tmp_path.iterdir()) == []


def test_a_failing_write_warns_once_and_never_raises(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    settings = Settings(collect_pairs=True, collect_pairs_path=str(blocker / "pairs.jsonl"))
    warnings = []
    collector = PairCollector(warnings.append)
    for key in ("s1", "s2", None):
        assert collector.collect(settings, REPAIRED, messages=MESSAGES, language="python", uri=URI, key=key) == 0
    assert len(warnings) == 1
    assert "could not save preference pairs" in warnings[0] and str(blocker) in warnings[0]


def test_the_settings_and_the_default_path():
    settings, problems = parse_settings({"collectPairs": True, "collectPairsPath": "~/pairs.jsonl"})
    assert problems == [] and settings.collect_pairs and pairs_path(settings).is_absolute()
    assert pairs_path(Settings(collect_pairs=True)) == default_path()
    assert default_path().parts[-2:] == ("pairs", "editor-pairs.jsonl")
    bad, problems = parse_settings({"collectPairs": "yes", "collectPairsPath": "relative/pairs.jsonl"})
    assert bad == Settings() and len(problems) == 2
    assert "collectPairs" in problems[0] and "true or false" in problems[0]
    assert "collectPairsPath" in problems[1] and "absolute path" in problems[1]
