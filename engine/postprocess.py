"""Turn a raw fill-in-the-middle answer into a suggestion worth showing.

Applied before analysis, in this order:

1. cut at the end of the enclosing block: the first non-blank line indented
   less than the cursor's line ends the suggestion (at top level, a second
   ``def``/``class`` does);
2. drop text that repeats the suffix: from the first line that equals the
   first non-blank line of the suffix, and any tail that overlaps its head;
3. drop empty or whitespace-only suggestions, and (Python) comment-only ones;
4. never turn a parseable document into an unparseable one: trim lines from
   the end until the document parses again, or drop the suggestion.

Step 4 is Python-only; other languages get steps 1-3.
"""

from __future__ import annotations

import ast
import re
import warnings

_TOP_LEVEL_START = re.compile(r"(def |class |async def |@|if __name__)")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def cursor_indent(prefix: str) -> int:
    """Indentation of the block the cursor is in: that of the cursor's line."""
    current = prefix.rpartition("\n")[2]
    if current.strip():
        return _indent(current)
    return len(current)


def cut_at_block_end(suggestion: str, prefix: str) -> str:
    base = cursor_indent(prefix)
    if base == 0 and not prefix.rpartition("\n")[2]:
        # The cursor is at column 0 of an empty line: the suggestion's own first line sets the block.
        first = next((line for line in suggestion.splitlines() if line.strip()), "")
        base = _indent(first)
    lines = suggestion.splitlines(keepends=True)
    kept: list[str] = []
    seen_top_level = False
    for i, line in enumerate(lines):
        # The first line continues the cursor's line; its indentation is the prefix's.
        if i == 0 or not line.strip():
            kept.append(line)
            seen_top_level = seen_top_level or (base == 0 and bool(_TOP_LEVEL_START.match(line)))
            continue
        if _indent(line) < base:
            break
        if base == 0 and _indent(line) == 0 and _TOP_LEVEL_START.match(line):
            if seen_top_level:
                break
            seen_top_level = True
        kept.append(line)
    return "".join(kept)


def drop_suffix_repeat(suggestion: str, suffix: str) -> str:
    suffix_lines = [line.strip() for line in suffix.splitlines() if line.strip()]
    if not suffix_lines:
        return suggestion
    first = suffix_lines[0]
    lines = suggestion.splitlines(keepends=True)
    if len(first) > 3:
        for i, line in enumerate(lines[1:], start=1):
            if line.strip() == first:
                lines = lines[:i]
                break
    text = "".join(lines)
    # The model sometimes finishes the cursor's line with exactly what follows it.
    head = suffix.split("\n", 1)[0]
    if head.strip() and text.rstrip("\n").endswith(head):
        text = text[: len(text.rstrip("\n")) - len(head)]
    return text


def _parses(text: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text)
    except (SyntaxError, ValueError):
        return False
    return True


def keep_parseable(suggestion: str, prefix: str, suffix: str) -> str | None:
    """The longest line-prefix of the suggestion that keeps a parseable document parseable."""
    if not _parses(prefix + suffix):
        return suggestion
    lines = suggestion.splitlines(keepends=True)
    for end in range(len(lines), 0, -1):
        candidate = "".join(lines[:end])
        if not candidate.endswith("\n") and suffix and not suffix.startswith("\n") and end < len(lines):
            candidate += "\n"
        if candidate.strip() and _parses(prefix + candidate + suffix):
            return candidate
    return None


def postprocess(raw: str, prefix: str, suffix: str, *, language: str = "python") -> str | None:
    """The cleaned suggestion, or ``None`` when nothing worth showing remains."""
    text = raw.replace("\r\n", "\n")
    text = cut_at_block_end(text, prefix)
    text = drop_suffix_repeat(text, suffix)
    text = text.rstrip(" \t")
    # At most one trailing newline: blank lines after a suggestion are noise.
    if text.endswith("\n"):
        text = text.rstrip("\n") + "\n"
    if not text.strip():
        return None
    if language == "python" and all(line.lstrip().startswith("#") for line in text.splitlines() if line.strip()):
        return None  # only comments: nothing to accept
    if language == "python":
        return keep_parseable(text, prefix, suffix)
    return text


# A request for something that runs on its own: its module-level calls are the point, not examples.
_WANTS_SCRIPT = re.compile(r"\b(script|program|command[- ]line|cli|main|app|application|server|daemon|demo|run it|"
                           r"print|example usage|usage example|test cases?)\b", re.I)


def drop_example_calls(code: str, task: str) -> str:
    """A ``generate`` answer without the example calls and prints the model adds after the requested code.

    Statements after the last top-level ``def``/``class`` that run on import (calls, prints, loops,
    assignments nothing above uses, ``if __name__ == "__main__":`` blocks) are dropped, unless the task
    asks for a script, an app or printed output. Imports stay. An answer that does not parse, or that has
    no function or class, is returned as it is.
    """
    if _WANTS_SCRIPT.search(task):
        return code
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return code
    defs = [i for i, node in enumerate(tree.body) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                                        ast.ClassDef))]
    if not defs:
        return code
    used = {n.id for d in defs for n in ast.walk(tree.body[d]) if isinstance(n, ast.Name)}
    drop = []
    for node in tree.body[defs[-1] + 1:]:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) \
            else []
        if any(isinstance(t, ast.Name) and t.id in used for t in targets):
            continue
        drop.append((node.lineno - 1, node.end_lineno))
    if not drop:
        return code
    lines = code.splitlines(keepends=True)
    for start, end in reversed(drop):
        while start > 0 and lines[start - 1].startswith("#"):  # the comment that introduces the example
            start -= 1
        del lines[start:end]
    return "".join(lines).rstrip() + "\n"
