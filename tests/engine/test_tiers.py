"""The loop's repair tiers with the scripted fake backend and the real analyzers.

Mechanical fixes (no model), guided re-decoding (the answer continued from the flagged line, greedy then
seeded samples), model repair rounds, the function guard over all of them, continuation of a cut answer,
and the completion budget.
"""

from __future__ import annotations

import pytest

from secgen.analyzers import default_registry
from secgen.engine.backend import GenerationParams
from secgen.engine.fake import ScriptedBackend
from secgen.engine.loop import LoopConfig, RepairLoop


def _block(code: str) -> str:
    return f"```python\n{code}```"


YAML = "import yaml\n\n\ndef load(text):\n    return yaml.load(text)\n"
# A pipe: no mechanical fix rewrites it; only a model can
PIPE = "import subprocess\n\n\ndef count(folder):\n    return subprocess.run('ls ' + folder + ' | wc -l', shell=True)\n"
PIPE_HEAD = "import subprocess\n\n\ndef count(folder):\n"


def _loop(backend, **config):
    return RepairLoop(backend, default_registry(), LoopConfig(**config))


def test_a_mechanical_fix_needs_no_second_model_call():
    backend = ScriptedBackend(chat_replies=[_block(YAML), _block("raise SystemExit\n")])
    result = _loop(backend).generate("load the YAML text")
    assert result.clean and result.stop_reason == "clean"
    assert [a.origin for a in result.attempts] == ["first", "fix"]
    assert result.best.fixes == ("yaml-safe-load",) and "yaml.safe_load(text)" in result.text
    assert len(backend.prompts) == 1


def test_a_repair_that_drops_what_the_function_does_is_refused_and_never_the_answer():
    silenced = "import subprocess\n\n\ndef count(folder):\n    return 0\n"
    backend = ScriptedBackend(chat_replies=[_block(PIPE), _block(silenced)])
    result = _loop(backend, tiers=("fix", "repair")).generate("count the files in a folder")
    repair = result.attempts[-1]
    assert repair.origin == "repair" and not repair.blocking
    assert repair.rejected == "the repair removes what count does (process)"
    assert result.best is result.first and not result.clean and result.stop_reason == "no_progress"


def test_guided_redecoding_keeps_the_lines_before_the_flagged_one_and_hints_above_it():
    continuation = "    return subprocess.run(['ls', folder], capture_output=True)\n```"
    backend = ScriptedBackend(chat_replies=[_block(PIPE)], continues=True, rules=[
        {"kind": "chat", "match": r"assistant: ```python\n", "reply": continuation}])
    result = _loop(backend).generate("count the files in a folder")
    assert [a.origin for a in result.attempts] == ["first", "guided"]
    guided = result.best
    assert result.clean and guided.seed is None
    assert guided.text == PIPE_HEAD + "    return subprocess.run(['ls', folder], capture_output=True)\n"
    kind, prompt = backend.prompts[1]
    # the answer so far is the first answer up to the flagged line, then the remedy as a comment
    assert prompt.endswith("assistant: ```python\n" + PIPE_HEAD + "    # Split the command with shlex.split and call "
                           "subprocess.run(args, capture_output=True, text=True) without shell=True.\n")


def test_guided_samples_are_seeded_and_the_first_clean_one_is_kept():
    still = "    return subprocess.run('ls ' + folder + ' | wc -l', shell=True)\n```"
    clean = "    return subprocess.run(['ls', folder])\n```"
    backend = ScriptedBackend(chat_replies=[_block(PIPE), still, still, clean, clean], continues=True)
    result = _loop(backend, samples=3).generate("count the files in a folder")
    guided = [a for a in result.attempts if a.origin == "guided"]
    assert [a.seed for a in guided] == [None, 1, 2]
    assert result.best is guided[-1] and result.clean


def test_without_continuation_the_guided_tier_is_skipped():
    backend = ScriptedBackend(chat_replies=[_block(PIPE), _block(PIPE)])  # continues=False: an HTTP server, say
    result = _loop(backend).generate("count the files in a folder")
    assert [a.origin for a in result.attempts] == ["first", "repair"]


def test_an_answer_cut_at_max_tokens_is_continued_not_repaired():
    head = "```python\nimport yaml\n\n\ndef load(text):\n"
    chunks = -(-len(head) // 4)  # the fake streams four characters a chunk
    backend = ScriptedBackend(chat_replies=[head, "    return yaml.safe_load(text)\n```"], continues=True)
    result = _loop(backend, params=GenerationParams(max_tokens=chunks)).generate("load the YAML text")
    assert len(result.attempts) == 1 and result.clean
    assert result.text == "import yaml\n\n\ndef load(text):\n    return yaml.safe_load(text)\n"
    assert backend.prompts[1][1].endswith("assistant: " + head)


def test_the_completion_budget_bounds_repairs_by_the_first_answers_time():
    backend = ScriptedBackend(chat_replies=[_block(PIPE)] * 4, chunk_delay_s=0.03)
    result = _loop(backend, tiers=("repair",), repair_budget_x=1.0).generate("count the files in a folder")
    assert result.stop_reason == "time_budget" and len(result.attempts) == 1
    assert result.first.seconds >= 0.5  # the budget's floor is half a second


@pytest.mark.parametrize("tiers", [("fix",), ("fix", "repair")])
def test_tiers_can_be_chosen(tiers):
    backend = ScriptedBackend(chat_replies=[_block(PIPE), _block(PIPE)])
    result = _loop(backend, tiers=tiers).generate("count the files in a folder")
    assert {a.origin for a in result.attempts} == {"first"} | ({"repair"} if "repair" in tiers else set())


def test_a_redecode_refused_for_a_missing_import_is_accepted_once_the_import_is_added():
    pickled = "import pickle\n\n\ndef load_session(data):\n    return pickle.loads(data)\n"
    backend = ScriptedBackend(chat_replies=[_block(pickled), "    return json.loads(data)\n```"], continues=True)
    result = _loop(backend, samples=0).generate("restore the session the client sent")
    guided, fixed = result.attempts[1:]
    assert guided.origin == "guided" and guided.rejected == "the repair uses undefined name(s) json"
    assert fixed.origin == "fix" and fixed.fixes == ("import-stdlib",) and not fixed.rejected
    assert result.best is fixed and result.clean and "import json" in result.text


COUNTED = ("import subprocess\n\n\ndef count(folder):\n"
           "    result = subprocess.run('ls ' + folder + ' | wc -l', shell=True, capture_output=True)\n"
           "    print('counted', folder)\n    return result.returncode\n\n\ndef check_count():\n"
           "    assert count('.') == 0\n")


def test_a_guided_redecode_stops_where_it_writes_the_original_again_and_keeps_the_rest():
    # the model would go on past the original's next line; the loop stops it there and keeps the original's rest
    continuation = ("    result = subprocess.run(['ls', folder], capture_output=True)\n"
                    "    print('counted', folder)\n    return 0\n```")
    backend = ScriptedBackend(chat_replies=[_block(COUNTED)], continues=True, rules=[
        {"kind": "chat", "match": r"assistant: ```python\n", "reply": continuation}])
    result = _loop(backend).generate("count the files in a folder")
    guided = result.best
    assert guided.origin == "guided" and result.clean and not guided.rejected
    assert guided.text == COUNTED.replace("'ls ' + folder + ' | wc -l', shell=True", "['ls', folder]")
    assert guided.tokens < -(-len(continuation) // 4)  # the stream was closed before its end


def test_a_guided_fill_stops_where_it_writes_the_suggestion_again():
    prefix = "import subprocess\n\n\ndef count(folder):\n"
    fill = ("    result = subprocess.run('ls ' + folder, shell=True, capture_output=True)\n"
            "    print('counted', folder)\n    return result.returncode\n")
    redecoded = "    result = subprocess.run(['ls', folder], capture_output=True)\n    print('counted', folder)\n    x = 1\n"
    backend = ScriptedBackend(fim_replies=[fill], continues=True, rules=[
        {"kind": "fim", "match": r"# ", "reply": redecoded}])
    result = _loop(backend, tiers=("guided",)).complete(prefix, "\n")
    guided = result.best
    assert guided.origin == "guided" and result.clean
    assert guided.text == fill.replace("'ls ' + folder, shell=True", "['ls', folder]")


@pytest.mark.parametrize("generated, expected", [
    ("new = 1\n", None),  # the replacing line alone never rejoins
    ("new = 1\n    print(x)\n", (len("new = 1\n    print(x)\n"), 1)),
    ("new = 1\n    # a comment\n\n    print(x)\n", (len("new = 1\n    # a comment\n\n    print(x)\n"), 1)),
    ("new = 1\n    print(x)", None),  # a line still being written
    ("new = 1\n    other()\n    return x\n", (len("new = 1\n    other()\n    return x\n"), 2)),
])
def test_rejoin_point(generated, expected):
    from secgen.engine.loop import rejoin_point

    assert rejoin_point(generated, ["    print(x)\n", "    return x\n"]) == expected
    assert rejoin_point("a\nb\nc\nd\ne\n    return x\n", ["    print(x)\n", "    return x\n"]) is None  # too far
