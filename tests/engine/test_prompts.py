from secgen.analyzers import Confidence, Finding, Range, Severity
from secgen.engine import prompts


def _finding(line=2, rule="B602", cwe=78):
    return Finding(analyzer="bandit", rule_id=rule, message="subprocess call with shell=True identified",
                   severity=Severity.HIGH, confidence=Confidence.HIGH, cwe=cwe, range=Range.lines(line))


def test_fim_prompt_layout():
    assert prompts.fim_prompt("a", "b") == "<|fim_prefix|>a<|fim_suffix|>b<|fim_middle|>"


def test_repair_messages_quote_rule_cwe_line_message_and_code():
    messages = prompts.repair_messages("run a command", "import subprocess\nsubprocess.run(c, shell=True)\n", [_finding(1)])
    feedback = messages[-1].content
    assert "line 2" in feedback and "B602 (CWE-78)" in feedback and "shell=True identified" in feedback
    assert messages[-2].role == "assistant" and "subprocess.run(c, shell=True)" in messages[-2].content
    assert "shlex.split" in feedback  # the remedy for this rule


def test_repair_fim_prefix_puts_remedies_above_cursor_line_with_its_indent():
    prefix = "def run(c):\n    out = "
    unknown = _finding(1, rule="B999", cwe=None)
    new = prompts.repair_fim_prefix(prefix, [_finding(1), _finding(1), unknown])
    assert new.endswith("\n    out = ")
    lines = new.splitlines()
    assert lines[0] == "def run(c):"
    assert lines[1].startswith("    # Split the command with shlex.split") and lines[1].endswith(".")
    assert lines[2] == "    # Avoid: subprocess call with shell=True identified."
    assert len(lines) == 4  # the duplicate finding adds no second comment


def test_repair_fim_prefix_at_start_of_document():
    assert prompts.repair_fim_prefix("x = ", [_finding(0)]).endswith("\nx = ")


def test_extract_code_prefers_longest_block_in_language():
    reply = "Here:\n```bash\nls\n```\nand\n```python\nimport os\nprint(os.getcwd())\n```\nDone."
    assert prompts.extract_code(reply) == "import os\nprint(os.getcwd())\n"


def test_extract_code_without_fence_and_unterminated_fence():
    assert prompts.extract_code("x = 1") == "x = 1\n"
    assert prompts.extract_code("```python\nx = 1\ny = 2") == "x = 1\ny = 2\n"
    assert prompts.extract_code("  \n") == ""


def test_has_closed_block():
    assert not prompts.has_closed_block("Sure!\n```python\nx = 1\n")
    assert prompts.has_closed_block("Sure!\n```python\nx = 1\n```")


def test_a_rule_without_remedy_gets_its_cwe_remedy_in_every_language():
    strcpy = Finding(analyzer="icd-regex", rule_id="bugprone-strcpy", message="Potential buffer overflow due to use of strcpy",
                     severity=Severity.HIGH, cwe=120, range=Range.lines(5, 5))
    feedback = prompts.repair_messages("copy a name", "strcpy(dst, src);\n", [strcpy], "c")[-1].content
    assert "bugprone-strcpy (CWE-120)" in feedback and "fix: bound every copy by the destination's size" in feedback
    new = prompts.repair_fim_prefix("void f(char *d, const char *s) {\n    ", [strcpy], "c")
    assert new.splitlines()[1] == "    // Bound every copy by the destination's size (snprintf, strncpy with an explicit terminator)."
    assert prompts.repair_fim_prefix("x = ", [strcpy], "rust").startswith("// Bound")
    assert prompts.remedy(Finding(analyzer="x", rule_id="y", message="m", severity=Severity.HIGH, cwe=None,
                                  range=Range.lines(0, 0))) is None


def test_each_chat_wording_says_what_it_names():
    code, [finding] = "import subprocess\nsubprocess.run(c, shell=True)\n", [_finding(1)]
    full, message, advice = (prompts.repair_messages("run a command", code, [finding], wording=w)[-1].content
                             for w in ("full", "message", "remedy"))
    assert full == prompts.repair_messages("run a command", code, [finding])[-1].content  # chat's default
    assert "B602 (CWE-78)" in full and "shell=True identified" in full and "shlex.split" in full
    assert "B602 (CWE-78)" in message and "shell=True identified" in message and "shlex.split" not in message
    assert "B602" not in advice and "identified" not in advice
    assert advice.startswith("Change this code:\n- line 2: Split the command with shlex.split")


def test_each_completion_wording_says_what_it_names():
    prefix = "def run(c):\n    out = "
    comment = {w: prompts.repair_fim_prefix(prefix, [_finding(1)], wording=w).splitlines()[1]
               for w in ("full", "message", "remedy")}
    assert prompts.repair_fim_prefix(prefix, [_finding(1)]).splitlines()[1] == comment["remedy"]  # completion's default
    assert comment["remedy"].startswith("    # Split the command") and "B602" not in comment["remedy"]
    assert comment["message"] == "    # B602 (CWE-78): subprocess call with shell=True identified."
    assert comment["full"].startswith(comment["message"] + " Split the command with shlex.split")


def test_an_unknown_wording_is_refused_by_name():
    import pytest

    with pytest.raises(ValueError, match="unknown feedback wording 'terse'; choose from full, message, remedy"):
        prompts.repair_messages("x", "x = 1\n", [_finding(0)], wording="terse")
