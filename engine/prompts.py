"""Every prompt secgen sends to a model, in one place.

* :func:`fim_prompt`: Qwen2.5-Coder's fill-in-the-middle layout. llama-cpp-
  python's own ``suffix=`` path uses FIM token ids of 0 in current releases,
  so the prompt is built here as text and the special tokens are parsed by the
  tokenizer.
* :func:`generation_messages`: the first chat turn for ``secgen generate``.
* :func:`repair_messages`: the paper's feedback step for chat: the previous
  code and every finding (rule, CWE, line, message) go back to the model.
* :func:`repair_fim_prefix`: the feedback for a completion at a cursor: each
  finding's remedy is written as a comment just above the cursor's line, so
  the model fills the same hole again with the instruction in view.
* :func:`guide_comment` and :func:`avoided`: the guided re-decode's hint (the
  remedy as a one-line comment above the flagged line) and the text it steers
  away from (a logit bias where the backend has one).

**Feedback wordings** (:data:`WORDINGS`) say how a repair round words the
findings, so they can be compared (``--wording`` on the benchmarks):

* ``full``: line, rule, CWE, severity, the analyzer's message and the remedy;
* ``message``: line, rule, CWE and the analyzer's message: the seed paper's
  "instruction enriched with the analyzer's messages", nothing added;
* ``remedy``: only what to write instead (the message where no remedy is
  known), no rule ids.

Each path keeps the wording measured best for it (:data:`DEFAULT_WORDING`);
a completion's feedback is always comments above the cursor's line.
"""

from __future__ import annotations

import re
from typing import Sequence

from secgen.analyzers import Finding
from secgen.engine.backend import ChatMessage

FIM_PREFIX = "<|fim_prefix|>"
FIM_SUFFIX = "<|fim_suffix|>"
FIM_MIDDLE = "<|fim_middle|>"
# Qwen2.5-Coder ends a fill with any of these; never show them to a user.
FIM_STOPS = ("<|endoftext|>", "<|fim_pad|>", "<|file_sep|>", "<|im_end|>", "<|repo_name|>",
             "<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>", "<|im_start|>")
CHAT_STOPS = ("<|im_end|>", "<|endoftext|>")

SYSTEM_PROMPT = "You are a helpful {language} coding assistant."
DISPLAY_NAMES = {"c": "C", "cpp": "C++", "csharp": "C#", "javascript": "JavaScript", "php": "PHP"}

# Short remedies for the findings a small model most often gets wrong. The
# analyzer's own message says what is wrong; these say what to write instead.
REMEDIES = {
    "B102": "do not use exec on data; parse it or dispatch on known values",
    "B105": "read the secret from the environment (os.environ) instead of hard-coding it",
    "B106": "read the secret from the environment (os.environ) instead of hard-coding it",
    "B108": "use the tempfile module instead of a fixed path in /tmp",
    "B301": "do not unpickle untrusted data; use json.loads instead and drop the pickle import",
    "B303": "use hashlib.sha256, or hashlib.pbkdf2_hmac / scrypt for passwords",
    "B306": "use tempfile.NamedTemporaryFile or mkstemp instead of mktemp",
    "B307": "use ast.literal_eval instead of eval",
    "B310": "check the URL scheme is http or https before opening it",
    "B311": "use the secrets module for anything security related",
    "B324": "use hashlib.sha256, or hashlib.pbkdf2_hmac / hashlib.scrypt with a random salt for passwords",
    "B403": "use json instead of pickle for untrusted data",
    "B506": "use yaml.safe_load",
    "B602": "split the command with shlex.split and call subprocess.run(args, capture_output=True, text=True) without shell=True",
    "B603": "pass a fixed program and a list of arguments",
    "B604": "pass a list of arguments and keep shell=False",
    "B605": "use subprocess.run([\"program\", arg], check=False) with a list of arguments instead of os.system",
    "B607": "use the full path of the program",
    "B608": "use a parameterized query: cursor.execute(\"... WHERE name = ?\", (name,))",
    "B113": "pass a timeout, e.g. requests.get(url, timeout=10)",
    "B201": "do not run Flask with debug=True; call app.run() without debug",
    "B202": "check every member's path stays inside the destination, or use extractall(dest, filter='data')",
    "B501": "keep certificate verification on (verify=True)",
    "F821": "define or import the name before using it",
    "syntax-error": "fix the syntax so the code compiles",
}
# Language-neutral remedies by CWE, for findings whose rule has none above (ICD's rules in
# eight languages, SARIF tools, Svace): the weakness, not the rule, says what to do.
CWE_REMEDIES = {
    22: "resolve the path and check it stays inside the intended directory before using it",
    78: "do not pass input to a shell; run a fixed program with a list of arguments",
    79: "escape the value for HTML before writing it into the page",
    89: "use a parameterized query with placeholders instead of building the SQL string",
    94: "do not evaluate code built from input; parse the data instead",
    95: "do not evaluate code built from input; parse the data instead",
    119: "check every index and length against the buffer's size",
    120: "bound every copy by the destination's size (snprintf, strncpy with an explicit terminator)",
    134: "use a constant format string and pass the value as an argument",
    190: "check the arithmetic for overflow before using the result as a size",
    295: "keep certificate verification on",
    327: "use a modern algorithm: SHA-256 for hashing, AES-GCM for encryption, a salted KDF for passwords",
    328: "use SHA-256, or a salted key-derivation function (PBKDF2, scrypt, Argon2) for passwords",
    338: "use the platform's cryptographically secure random generator",
    502: "do not deserialize untrusted data with a native serializer; use JSON",
    611: "disable external entities and DTDs in the XML parser",
    676: "replace the dangerous function with its bounded, safe counterpart",
    798: "read the secret from the environment or a secrets store instead of hard-coding it",
    918: "check the URL against an allow-list of hosts before requesting it",
}
# What a guided re-decode steers away from, by rule and by CWE: the flagged construct's own words. Each
# becomes a logit bias on its first token, so only words whose first token says little else are listed.
AVOID = {
    "B102": ("exec",), "B307": ("eval",), "B301": ("pickle",), "B403": ("pickle",), "B302": ("marshal",),
    "B602": ("shell",), "B604": ("shell",), "B605": ("system", "popen"), "B324": ("md5", "sha1"),
    "B303": ("md5", "sha1"), "B306": ("mktemp",), "B201": ("debug",), "B501": ("verify",),
}
CWE_AVOID = {78: ("shell", "system", "popen"), 94: ("eval", "exec"), 95: ("eval", "exec"), 502: ("pickle", "marshal"),
             327: ("md5", "sha1"), 328: ("md5", "sha1")}
# How a line comment starts, per language (remedies for completions are written as comments)
LINE_COMMENT = {"python": "#", "php": "//"}


def remedy(finding: Finding) -> str | None:
    """What to do about ``finding``: its rule's remedy, else its CWE's, else ``None``."""
    return REMEDIES.get(finding.rule_id) or (CWE_REMEDIES.get(finding.cwe) if finding.cwe else None)


def avoided(finding: Finding) -> tuple[str, ...]:
    """The words a guided re-decode of ``finding``'s line steers away from (empty when none is known)."""
    return AVOID.get(finding.rule_id) or (CWE_AVOID.get(finding.cwe, ()) if finding.cwe else ())


def guide_comment(finding: Finding, indent: str, language: str = "python") -> str:
    """The one-line hint above the flagged line: ``    # Use yaml.safe_load.`` (no newline)."""
    return f"{indent}{LINE_COMMENT.get(language, '//')} {_instruction(finding)}"


def render_messages(messages: Sequence[ChatMessage]) -> str:
    """Chat turns as one text ("role: content"), as attempt histories and the fake backend see them."""
    return "\n\n".join(f"{m.role}: {m.content}" for m in messages)


def fim_prompt(prefix: str, suffix: str) -> str:
    return f"{FIM_PREFIX}{prefix}{FIM_SUFFIX}{suffix}{FIM_MIDDLE}"


WORDINGS = ("full", "message", "remedy")
# The wording each repair path uses unless told otherwise. Chat repairs quote everything: one repair round
# alone made 1 of 15 flagged CyberSecEval answers clean with `full`, 1 with `message`, 0 with `remedy`, and
# on HumanEval's 6 flagged answers only `remedy` made one clean, which then failed its tests (docs/results.md,
# "Feedback wording"). A completion's comments carry only the remedy (an earlier, unrecorded comparison).
DEFAULT_WORDING = {"chat": "full", "fim": "remedy"}


def check_wording(wording: str | None) -> str | None:
    """``wording`` if it is one of :data:`WORDINGS` (or None, the path's default); ``ValueError`` otherwise."""
    if wording is not None and wording not in WORDINGS:
        raise ValueError(f"unknown feedback wording {wording!r}; choose from {', '.join(WORDINGS)}")
    return wording


def _instruction(finding: Finding) -> str:
    """The remedy as a sentence, or "Avoid: <message>." where no remedy is known."""
    advice = remedy(finding)
    return f"{advice[0].upper()}{advice[1:]}." if advice else f"Avoid: {' '.join(finding.message.split()).rstrip('.')}."


def describe_finding(finding: Finding, *, line_offset: int = 0, wording: str = "full") -> str:
    """One finding for a repair prompt, 1-based line for people; by wording:

    ``full``: ``line 3: B602 (CWE-78), high: <message>; fix: <remedy>``; ``message``: the same without the
    remedy; ``remedy``: ``line 3: <Remedy>.``
    """
    where = f"line {finding.line + 1 - line_offset}"
    if wording == "remedy":
        return f"{where}: {_instruction(finding)}"
    text = f"{where}: {finding.label()}, {finding.severity.name.lower()}: {finding.message}"
    advice = remedy(finding) if wording == "full" else None
    return f"{text}; fix: {advice}" if advice else text


def generation_messages(task: str, language: str = "python") -> list[ChatMessage]:
    return [
        ChatMessage(role="system", content=SYSTEM_PROMPT.format(language=DISPLAY_NAMES.get(language, language.capitalize()))),
        ChatMessage(role="user", content=f"{task.strip()}\n\nReply with the complete code in one ```{language} code block."),
    ]


def repair_messages(
    task: str, code: str, findings: Sequence[Finding], language: str = "python", *, wording: str | None = None
) -> list[ChatMessage]:
    wording = check_wording(wording) or DEFAULT_WORDING["chat"]
    listing = "\n".join(f"- {describe_finding(f, wording=wording)}" for f in findings)
    heading = "Change this code:" if wording == "remedy" else "Static analyzers checked this code and reported:"
    feedback = (
        f"{heading}\n{listing}\n\n"
        f"Rewrite the code so that every reported problem is gone and it still does the task. "
        f"Reply with the complete corrected code in one ```{language} code block."
    )
    return [
        *generation_messages(task, language),
        ChatMessage(role="assistant", content=f"```{language}\n{code.rstrip()}\n```"),
        ChatMessage(role="user", content=feedback),
    ]


def repair_fim_prefix(prefix: str, findings: Sequence[Finding], language: str = "python", *,
                      wording: str | None = None) -> str:
    """The prefix with the feedback written as comments just above the cursor's line.

    A code model reads comments as instructions for the code below them. By default
    (``remedy``) each comment is the finding's remedy, or "Avoid: <message>" where
    none is known; ``message`` writes "<rule> (CWE-n): <message>", ``full`` adds the
    remedy to that. The comments are the language's line comments.
    """
    wording = check_wording(wording) or DEFAULT_WORDING["fim"]
    head, newline, current = prefix.rpartition("\n")
    indent = re.match(r"[ \t]*", current).group(0)
    mark = LINE_COMMENT.get(language, "//")
    notes = []
    for f in findings:
        note = _instruction(f)
        if wording != "remedy":
            said = f"{f.label()}: {' '.join(f.message.split()).rstrip('.')}."
            note = f"{said} {note}" if wording == "full" and remedy(f) else said
        if f"{indent}{mark} {note}" not in notes:
            notes.append(f"{indent}{mark} {note}")
    return head + newline + "\n".join(notes) + "\n" + current


_FENCE = re.compile(r"```[ \t]*([\w+#.-]*)[ \t]*\n(.*?)(?:```|\Z)", re.S)


def has_closed_block(reply: str) -> bool:
    """True once a chat reply holds a complete fenced code block: nothing after it is needed."""
    return bool(re.search(r"```[^\n]*\n.*?\n```", reply, re.S))


def extract_code(reply: str, language: str = "python") -> str:
    """The code in a chat reply: the longest fenced block (preferring the language), else the reply."""
    blocks = [(lang.lower(), body) for lang, body in _FENCE.findall(reply)]
    if not blocks:
        return reply.strip("\n") + "\n" if reply.strip() else ""
    preferred = [b for lang, b in blocks if lang in (language, "py" if language == "python" else language)]
    body = max(preferred or [b for _, b in blocks], key=len)
    return body.rstrip() + "\n"
