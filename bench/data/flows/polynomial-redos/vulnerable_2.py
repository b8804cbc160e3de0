# expect: polynomial-redos line 7
import re


def is_sentence(text):
    """True when `text` is words separated by single spaces."""
    return re.match(r"^(\w+\s?)+$", text) is not None
