"""Document fixes (``secgen fix``, "Fix with analyzer"): mechanical fixes first, then the model on what is left."""

from __future__ import annotations

from secgen.analyzers import default_registry
from secgen.engine.fake import ScriptedBackend
from secgen.engine.fix import fix_document
from secgen.engine.loop import LoopConfig, RepairLoop

DOCUMENT = '''"""Tools."""

import pickle
import subprocess


def run_command(user_input):
    return subprocess.run(user_input, shell=True, capture_output=True).stdout


def load_session(data):
    return pickle.loads(data)
'''


def _fix(backend, **options):
    return fix_document(DOCUMENT, RepairLoop(backend, default_registry(), LoopConfig(t_max=1)), **options)


def test_mechanical_fixes_need_no_model_and_say_which_fix():
    result = _fix(None, use_model=False)
    run, load = result.functions
    assert "subprocess.run(shlex.split(user_input), capture_output=True)" in result.fixed
    assert run.describe() == ("run_command (lines 7-8): 1 blocking -> fixed by subprocess-argument-list "
                              "(mechanical, no model)")
    assert load.tier is None and load.describe() == "load_session (lines 11-12): 1 blocking -> not repaired"
    assert [f.rule_id for f in result.remaining] == ["B301"] and not result.regions
    # the import the fix needs goes with the file's other imports, not above the function
    assert result.fixed.index("import shlex") < result.fixed.index("def run_command")


def test_what_is_left_goes_to_the_model_and_a_guided_re_decode_counts_as_its_repair():
    guided = "    import json\n    return json.loads(data)\n```"
    backend = ScriptedBackend(chat_replies=[guided], continues=True)
    result = _fix(backend)
    load = result.functions[1]
    assert load.tier == "guided" and not result.remaining
    assert load.describe().startswith("load_session (lines 11-12): 1 blocking -> repaired by the model (a guided "
                                      "re-decode")
    assert "json.loads(data)" in result.fixed and "pickle.loads" not in result.fixed
