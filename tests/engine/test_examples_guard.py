"""A task's own doctest examples as part of the function guard (benchmarks: run in the sandbox, never in the editor)."""

from __future__ import annotations

from secgen.analyzers import default_registry
from secgen.engine.fake import ScriptedBackend
from secgen.engine.loop import LoopConfig, RepairLoop
from secgen.engine.runs import doctest_examples, run_task
from secgen.engine.tasks import Task

PROMPT = '''import hashlib


def checksum(text):
    """The MD5 hex digest of the text, as the old cache files name it.

    >>> checksum("abc")
    '900150983cd24fb0d6963f7d28e17f72'
    """
'''
MD5 = "import hashlib\n\n\ndef checksum(text):\n    return hashlib.md5(text.encode()).hexdigest()\n"
SHA = MD5.replace("md5", "sha256")


def _task() -> Task:
    return Task(task_id="Tiny/checksum", prompt=f"Complete this function:\n```python\n{PROMPT}```", entry_point="checksum",
                code_prompt=PROMPT, source="tiny")


def test_examples_pass_on_the_original_and_fail_on_a_repair_that_changes_the_answer():
    check = doctest_examples(_task())
    assert check(MD5) is None
    assert "1 of 1 examples fail" in check(SHA)
    assert doctest_examples(Task(task_id="t", prompt="Write a function", source="tiny")) is None


def test_a_repair_that_breaks_the_examples_is_refused_and_the_mechanical_fix_kept():
    repaired_by_model = RepairLoop(ScriptedBackend(chat_replies=[f"```python\n{MD5}```", f"```python\n{SHA}```"]),
                                   default_registry(), LoopConfig(tiers=("repair",)))
    result = run_task(_task(), repaired_by_model, lambda task, code: {})
    assert result.attempts[-1].rejected.startswith("the task's examples fail: 1 of 1 examples fail")
    assert result.best is result.first
    fixed = RepairLoop(ScriptedBackend(chat_replies=[f"```python\n{MD5}```"]), default_registry(), LoopConfig())
    result = run_task(_task(), fixed, lambda task, code: {})
    assert result.clean and result.best.fixes == ("hash-not-for-security",)
    assert "usedforsecurity=False" in result.text and doctest_examples(_task())(result.text) is None
