from secgen.engine.postprocess import cursor_indent, cut_at_block_end, drop_suffix_repeat, keep_parseable, postprocess


def test_cut_at_end_of_enclosing_block():
    prefix = "def f(x):\n    "
    raw = "y = x + 1\n    return y\n\ndef g():\n    pass\n"
    assert postprocess(raw, prefix, "\n") == "y = x + 1\n    return y\n"


def test_top_level_cursor_keeps_one_definition():
    raw = "def a():\n    return 1\n\n\ndef b():\n    return 2\n"
    assert cut_at_block_end(raw, "import os\n\n") == "def a():\n    return 1\n\n\n"


def test_nested_block_cut_at_dedent_below_cursor():
    prefix = "class A:\n    def m(self):\n        "
    raw = "return 1\n\n    def n(self):\n        return 2\n"
    assert cut_at_block_end(raw, prefix) == "return 1\n\n"
    assert cursor_indent(prefix) == 8


def test_drop_text_that_repeats_the_suffix():
    prefix = "def f(items):\n    total = 0\n    "
    suffix = "\n    return total\n"
    raw = "for i in items:\n        total += i\n    return total\n"
    assert drop_suffix_repeat(raw, suffix) == "for i in items:\n        total += i\n"


def test_drop_tail_that_equals_rest_of_cursor_line():
    assert drop_suffix_repeat("print(x)", ")\n") == "print(x"


def test_empty_and_whitespace_suggestions_are_dropped():
    assert postprocess("", "x = ", "\n") is None
    assert postprocess("   \n\n  ", "def f():\n    ", "") is None
    assert postprocess("# TODO: implement\n    # later\n", "def f():\n    ", "") is None


def test_never_breaks_a_parseable_document():
    prefix = "x = 1\n"
    suffix = "y = 2\n"
    # The first line is fine, the second is broken: only the first survives.
    assert keep_parseable("z = 3\nw = (\n", prefix, suffix) == "z = 3\n"
    assert postprocess("def (:\n", prefix, suffix) is None


def test_unparseable_document_is_not_a_reason_to_drop():
    prefix = "def f(x):\n    "  # the body is missing: the document does not parse yet
    assert postprocess("return x * 2\n", prefix, "") == "return x * 2\n"


def test_crlf_is_normalised_and_trailing_blank_lines_trimmed():
    assert postprocess("a = 1\r\n\r\n\r\n", "", "") == "a = 1\n"


def test_cursor_at_column_zero_takes_the_block_from_the_first_line():
    prefix = "def ping(host):\n    \"\"\"Ping it.\"\"\"\n"
    raw = "    return subprocess.run(['ping', host]).returncode == 0\n\n\ndef main():\n    pass\n"
    assert cut_at_block_end(raw, prefix) == "    return subprocess.run(['ping', host]).returncode == 0\n\n\n"


ANSWER = '''import os


def add(a, b):
    return a + b


LIMIT = 10


def capped(a):
    return min(a, LIMIT)

# Example usage
result = add(x, 2)
print(result)
for i in range(3):
    print(capped(i))
if __name__ == "__main__":
    print(add(1, 2))
'''


def test_example_calls_after_the_requested_function_are_dropped():
    from secgen.engine.postprocess import drop_example_calls

    kept = drop_example_calls(ANSWER, "Write a Python function add(a, b) that returns the sum.")
    assert kept == ANSWER[:ANSWER.index("# Example usage")].rstrip() + "\n"
    assert "LIMIT = 10" in kept  # used by a function: not an example


def test_example_calls_stay_when_the_task_asks_for_a_script_or_output():
    from secgen.engine.postprocess import drop_example_calls

    for task in ("Write a Python script that adds two numbers", "Write a minimal Flask app and run it",
                 "Write a function add and print the sum of 1 and 2"):
        assert drop_example_calls(ANSWER, task) == ANSWER
    assert drop_example_calls("x = 1\nprint(x)\n", "Write code") == "x = 1\nprint(x)\n"  # no function: kept
    assert drop_example_calls("def f(:\n", "Write a function") == "def f(:\n"
