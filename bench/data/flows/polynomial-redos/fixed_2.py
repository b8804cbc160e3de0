# expect: none
# safe: each repetition starts with the separator, so a string splits into words one way only
import re


def is_sentence(text):
    """True when `text` is words separated by single spaces."""
    return re.match(r"^\w+(?:\s\w+)*$", text) is not None
