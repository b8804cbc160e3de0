# expect: regex-injection line 7
import re


def find_mentions(text, name):
    """Every line of `text` that mentions @name."""
    return [line for line in text.splitlines() if re.search("@" + name + r"\b", line)]
