"""The repair loop with the scripted fake backend and the real analyzers."""

from secgen.analyzers import AnalyzerRegistry, Finding, Range, Severity, default_registry
from secgen.engine.backend import CancelToken
from secgen.engine.fake import ScriptedBackend
from secgen.engine.loop import LoopConfig, RepairLoop, blame

SHELL = "```python\nimport subprocess\n\ndef run(c):\n    return subprocess.run(c, shell=True)\n```"
SAFE = "```python\nimport shlex\nimport subprocess\n\ndef run(c):\n    return subprocess.run(shlex.split(c))\n```"
TWO_BAD = "```python\nimport hashlib, subprocess\n\ndef f(c, p):\n    subprocess.run(c, shell=True)\n    return eval(p)\n```"


def _loop(backend, **config):
    """The loop with model repair rounds only (the mechanical tier is tested in tests/engine/test_tiers.py)."""
    return RepairLoop(backend, default_registry(), LoopConfig(**{"tiers": ("repair",), **config}))


def test_clean_first_try_needs_one_attempt():
    backend = ScriptedBackend(chat_replies=[SAFE])
    result = _loop(backend).generate("run a command")
    assert result.stop_reason == "clean" and result.clean
    assert len(result.attempts) == 1 and len(backend.prompts) == 1
    assert "shlex.split(c)" in result.text


def test_repaired_on_second_round_and_feedback_quotes_the_finding():
    backend = ScriptedBackend(chat_replies=[SHELL, SAFE])
    result = _loop(backend).generate("run a command")
    assert result.stop_reason == "clean" and result.best.round == 1
    assert [len(a.blocking) for a in result.attempts] == [1, 0]
    feedback = backend.prompts[1][1]
    assert "B602 (CWE-78)" in feedback and "line 4" in feedback and "shell=True" in feedback


def test_gives_up_at_t_max_with_residual_findings():
    # Each round removes one finding but never all of them: the loop must stop at t_max.
    three = TWO_BAD.replace("return eval(p)", "eval(p)\n    return hashlib.md5(p).hexdigest()")
    two = three.replace("hashlib.md5(p)", "hashlib.sha256(p)")
    one = two.replace("eval(p)", "int(p)")
    backend = ScriptedBackend(chat_replies=[three, two, one])
    result = _loop(backend, t_max=2).generate("do things")
    assert result.stop_reason == "t_max"
    assert [len(a.blocking) for a in result.attempts] == [3, 2, 1]
    assert not result.clean and result.best.round == 2
    assert [f.rule_id for f in result.best.blocking] == ["B602"]
    assert any(f.rule_id == "B602" for f in result.residual)


def test_stops_when_findings_stop_decreasing():
    backend = ScriptedBackend(chat_replies=[SHELL, SHELL, SAFE])
    result = _loop(backend, t_max=3).generate("run a command")
    assert result.stop_reason == "no_progress"
    assert len(result.attempts) == 2 and len(backend.prompts) == 2
    assert result.best.round == 0  # ties go to the earliest attempt


def test_a_model_failure_in_a_repair_round_keeps_the_attempts_so_far():
    from secgen.engine.backend import BackendError

    class FailsSecondTime(ScriptedBackend):
        def chat(self, *args, **kwargs):
            if self.prompts:
                raise BackendError("the model server answered HTTP 500")
            return super().chat(*args, **kwargs)

    result = _loop(FailsSecondTime(chat_replies=[SHELL, SAFE])).generate("run a command")
    assert result.stop_reason == "model_failed" and len(result.attempts) == 1
    assert result.best.round == 0 and [f.rule_id for f in result.best.blocking] == ["B602"]
    assert result.model_error == "repair round 1: the model server answered HTTP 500" and not result.analyzer_failures
    assert result.to_dict()["model_error"] == result.model_error


def test_a_model_failure_in_the_first_round_goes_to_the_caller():
    import pytest
    from secgen.engine.backend import BackendError

    class Fails(ScriptedBackend):
        def chat(self, *args, **kwargs):
            raise BackendError("refused")

    with pytest.raises(BackendError, match="refused"):
        _loop(Fails(chat_replies=[SAFE])).generate("run a command")


def test_t_max_zero_only_analyzes():
    result = _loop(ScriptedBackend(chat_replies=[SHELL]), t_max=0).generate("x")
    assert result.stop_reason == "t_max" and len(result.attempts) == 1 and not result.clean


def test_time_budget_stops_before_a_new_round():
    result = _loop(ScriptedBackend(chat_replies=[SHELL, SAFE]), time_budget_s=0.0).generate("x")
    assert result.stop_reason == "time_budget" and len(result.attempts) == 1


def test_cancelled_generation_returns_no_suggestion():
    token = CancelToken()
    token.cancel()
    result = _loop(ScriptedBackend(chat_replies=[SAFE])).generate("x", cancel=token)
    assert result.stop_reason == "cancelled" and result.best is None


def test_empty_answer():
    result = _loop(ScriptedBackend(fim_replies=["   \n"])).complete("def f():\n    ", "")
    assert result.stop_reason == "empty" and result.best is None


def test_completion_is_blamed_only_for_its_own_lines():
    # The user's file already has an eval on line 1; the suggestion adds shell=True on line 4.
    prefix = "import subprocess\nx = eval(input())\n\ndef run(c):\n    "
    backend = ScriptedBackend(fim_replies=["return subprocess.run(c, shell=True)\n", "return subprocess.run([c])\n"])
    result = _loop(backend).complete(prefix, "")
    first = result.attempts[0]
    assert [f.rule_id for f in first.blocking] == ["B602"]
    assert all(f.line == 4 for f in first.findings)
    assert result.clean and result.text == "return subprocess.run([c])\n"
    # The FIM repair prompt carries the feedback above the cursor's line.
    assert "    # Split the command with shlex.split" in backend.prompts[1][1]


def test_blame_maps_baseline_lines_below_the_insertion():
    def f(line, rule="B101"):
        return Finding(analyzer="bandit", rule_id=rule, message="m", severity=Severity.LOW, range=Range.lines(line))
    baseline = [f(5)]  # an existing finding below the cursor (line 2)
    after = [f(3, "B602"), f(8)]  # the suggestion adds 3 lines: the old finding moves to line 8
    blamed = blame(baseline, after, first_line=2, added_lines=3, own_lines=3)
    assert [x.rule_id for x in blamed] == ["B602"]


def test_a_crashing_analyzer_is_reported_and_the_others_still_gate():
    class Boom:
        name, languages, speed = "boom", frozenset({"python"}), "fast"
        def available(self): return None
        def analyze(self, source): raise RuntimeError("kaput")
    registry = default_registry()
    registry.register("boom", Boom)
    loop = RepairLoop(ScriptedBackend(chat_replies=[SHELL, SAFE]), registry,
                      LoopConfig(analyzers=("syntax", "boom", "bandit")))
    result = loop.generate("x")
    assert result.clean and "kaput" in result.analyzer_failures["boom"]


def test_undefined_name_blocks_and_is_repaired():
    bad = "```python\ndef area(r):\n    return pi * r * r\n```"
    good = "```python\nimport math\n\ndef area(r):\n    return math.pi * r * r\n```"
    result = _loop(ScriptedBackend(chat_replies=[bad, good])).generate("area of a circle")
    assert [f.rule_id for f in result.attempts[0].blocking] == ["F821"]
    assert result.clean


def test_attempt_history_is_serialisable():
    import json
    result = _loop(ScriptedBackend(chat_replies=[SHELL, SAFE])).generate("x")
    data = json.loads(json.dumps(result.to_dict()))
    assert [sum(f["blocking"] for f in a["findings"]) for a in data["attempts"]] == [1, 0]
    assert [a["origin"] for a in data["attempts"]] == ["first", "repair"] and data["best"] == 1
    assert data["attempts"][0]["findings"][-1]["cwe"] == 78
    assert isinstance(AnalyzerRegistry, type)


def test_slow_analyzers_gate_only_when_the_caller_asks():
    class SlowSemgrepLike:  # a slow analyzer that flags every eval(
        name, languages, speed = "slowcheck", frozenset({"python"}), "slow"
        def available(self): return None
        def analyze(self, source):
            line = next((i for i, t in enumerate(source.text.splitlines()) if "return eval(" in t), None)
            return [] if line is None else [Finding(analyzer=self.name, rule_id="S1", message="eval", severity=Severity.HIGH,
                                                    range=Range.lines(line, line))]
    bad = "```python\ndef f(p):\n    return eval(p)\n```"
    good = "```python\nimport ast\n\ndef f(p):\n    return ast.literal_eval(p)\n```"
    for include_slow, attempts in [(False, 1), (True, 2)]:
        registry = default_registry()
        registry.register("slowcheck", SlowSemgrepLike)
        config = LoopConfig(analyzers=("syntax", "slowcheck"), include_slow=include_slow)
        result = RepairLoop(ScriptedBackend(chat_replies=[bad, good]), registry, config).generate("x")
        assert result.clean and len(result.attempts) == attempts, (include_slow, [a.findings for a in result.attempts], result.analyzer_failures)


def test_a_fragment_is_blamed_only_for_what_its_context_does_not_already_have():
    # An autocomplete answer continues a cut-out snippet: `req` and `urlparse` are defined in or around it.
    context = ("        if cache_file:\n            cache_file.close()\n\n    def _rewrite(self, req):\n"
               "        path = req.path_info\n        parts = urlparse.urlparse(path)\n")
    answer = "```python\npath = req.path_info\nparts = urlparse.urlparse(path)\nprint(helper(parts))\n```"
    fixed = "```python\npath = req.path_info\nparts = urlparse.urlparse(path)\nprint(parts)\n```"
    result = _loop(ScriptedBackend(chat_replies=[answer, fixed])).generate("continue", context=context)
    first = result.attempts[0]
    assert [(f.rule_id, f.message) for f in first.blocking] == [("F821", "undefined name 'helper'")]
    assert {f.message for f in first.findings} == {"undefined name 'helper'"}
    assert result.clean and result.best.round == 1
    # without the context, every name the fragment borrows blocks it
    alone = _loop(ScriptedBackend(chat_replies=[answer])).generate("continue", ).attempts[0]
    assert {f.message for f in alone.blocking} >= {"undefined name 'req'", "undefined name 'urlparse'"}


def test_analyzable_fragment_finds_the_part_of_a_cut_snippet_that_parses():
    from secgen.engine.loop import analyzable_fragment
    snippet = ("        if cache_file:\n            cache_file.close()\n\n    def _rewrite(self, req):\n"
               "        path = req.path_info\n        parts = urlparse.urlparse(\n")
    assert analyzable_fragment(snippet) == "if cache_file:\n    cache_file.close()\n\n"  # the first longest run
    whole = "def f(req):\n    return req.args\n"
    assert analyzable_fragment(whole) == whole and analyzable_fragment("(((") == "((("


def test_a_fragment_that_repeats_its_contexts_dangerous_call_is_blamed_for_it():
    # CyberSecEval scores the answer as written: repeating the snippet's os.system line is the answer's finding
    context = "def test_script(self):\n    result = os.system('python %s c' % SCRIPT)\n"
    answer = "```python\nimport os\nresult = os.system('python %s c' % SCRIPT)\n```"
    result = _loop(ScriptedBackend(chat_replies=[answer]), t_max=0).generate("continue", context=context)
    assert "B605" in {f.rule_id for f in result.first.blocking}


def test_the_configured_wording_reaches_the_repair_prompt():
    for wording, present, absent in (("message", "B602 (CWE-78)", "shlex.split"), ("remedy", "shlex.split", "B602")):
        backend = ScriptedBackend(chat_replies=[SHELL, SAFE])
        assert _loop(backend, wording=wording).generate("run a command").clean
        feedback = backend.prompts[1][1]
        assert present in feedback and absent not in feedback, (wording, feedback)
    backend = ScriptedBackend(fim_replies=["return subprocess.run(c, shell=True)\n", "return subprocess.run([c])\n"])
    _loop(backend, wording="message").complete("import subprocess\n\ndef run(c):\n    ", "")
    assert "    # B602 (CWE-78): subprocess call with shell=True identified, security issue.\n" in backend.prompts[1][1]
