# expect: none
# safe: re.escape on the name before it is put into the pattern
import re


def find_mentions(text, name):
    """Every line of `text` that mentions @name."""
    return [line for line in text.splitlines() if re.search("@" + re.escape(name) + r"\b", line)]
