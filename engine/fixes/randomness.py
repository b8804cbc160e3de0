"""The mechanical fix for predictable randomness where a secret is made.

* ``secure-random``: ``random`` making a token, password, key, OTP, salt or nonce
  becomes ``secrets``. Bandit's B311 is low severity, so it blocks only under a
  stricter policy (and in the editor's "fix this finding"); its tests and worked
  examples run the tier with ``always_block``.

Whether the value is a secret is read from names: the function's, the assignment targets', and the
task's description (``RANDOM_WORDS``, ``RANDOM_TEXT``). A seeded ``random`` is reproducible on purpose
and left alone. The name-splitting and import-dropping helpers are :mod:`secgen.engine.fixes.crypto`'s.
"""

from __future__ import annotations

import ast
import re

from secgen.analyzers import Finding
from secgen.engine.fixes.base import Document, Edit, SimpleFix
from secgen.engine.fixes.crypto import _head, _stands_alone, drop_unused_import, words

RANDOM_WORDS = frozenset({"token", "tokens", "password", "passwords", "passwd", "pwd", "passphrase", "secret",
                          "secrets", "otp", "salt", "nonce", "csrf", "key", "keys", "apikey", "session", "sid",
                          "auth", "credential", "credentials", "pin", "verification", "captcha", "cookie", "iv",
                          "reset", "activation", "invite", "confirmation"})
RANDOM_TEXT = re.compile(r"(?i)\b(tokens?|passw(or)?ds?|secrets?|otp|one[- ]time|salts?|nonces?|csrf|api[ _-]?keys?"
                         r"|session (ids?|keys?)|verification codes?|pin codes?)\b")


# -- secure-random ---------------------------------------------------------------------------------------------------

def _random_for_security(doc: Document, call: ast.Call) -> bool:
    names: set[str] = set()
    function = doc.function_of(call)
    if function is not None:
        names.add(function.name)
    statement = doc.statement_of(call)
    targets = getattr(statement, "targets", None) or [getattr(statement, "target", None)]
    for target in filter(None, targets):
        names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
        names |= {n.attr for n in ast.walk(target) if isinstance(n, ast.Attribute)}
        names |= {n.value for n in ast.walk(target) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    return any(words(n) & RANDOM_WORDS for n in names) or bool(RANDOM_TEXT.search(doc.context))


def _simple_int(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) or (isinstance(node, ast.Constant) and type(node.value) is int)


def _secrets_call(doc: Document, call: ast.Call, member: str) -> tuple[ast.AST, str] | None:
    """(node to replace, its ``secrets`` spelling) for ``random.<member>(...)``."""
    args = call.args
    plain = not call.keywords and not any(isinstance(a, ast.Starred) for a in args)
    if member == "choice":
        return call.func, "secrets.choice"
    if member == "getrandbits":
        return call.func, "secrets.randbits"
    if member == "randrange" and plain and len(args) == 1:
        return call.func, "secrets.randbelow"
    if member == "randint" and plain and len(args) == 2 and all(_simple_int(a) for a in args):
        low, high = args
        zero = isinstance(low, ast.Constant) and low.value == 0
        if isinstance(low, ast.Constant) and isinstance(high, ast.Constant):
            bound = str(high.value - low.value + 1)
        else:
            bound = f"{doc.segment(high)}{'' if zero else f' - {doc.segment(low)}'} + 1"
        shift = "" if zero else f" + {doc.segment(low)}"
        text = f"secrets.randbelow({bound}){shift}"
        return call, text if not shift or _stands_alone(doc, call) else f"({text})"
    if member in ("random", "uniform", "sample", "choices", "shuffle", "randrange", "randint", "triangular",
                  "betavariate", "expovariate", "gauss", "normalvariate", "randbytes"):
        return call.func, f"secrets.SystemRandom().{member}"
    return None  # seed, getstate, Random(...): nothing to swap


def _seeded(doc: Document) -> bool:
    return any(doc.qualified(c.func) == "random.seed" for c in doc.nodes(ast.Call))


def _secure_random(doc: Document, finding: Finding) -> list[Edit] | None:
    for call in doc.nodes_at(finding):
        name = doc.qualified(call.func) or ""
        if doc.column(call) != finding.range.start.column or not name.startswith("random.") or name.count(".") != 1:
            continue
        if not _random_for_security(doc, call) or _seeded(doc) \
                or ("secrets" in doc.names_in_scope(call) and doc.imports().get("secrets") != "secrets"):
            return None  # not a secret, reproducible on purpose, or ``secrets`` is something else here
        swap = _secrets_call(doc, call, name.split(".")[1])
        if swap is None:
            return None
        replaced, text = swap
        start, end = doc.span(replaced)
        edits = [Edit(start=start, end=end, new=text)]
        if secrets_import := doc.ensure_import("import secrets"):
            edits.append(secrets_import)
        if drop := drop_unused_import(doc, _head(call.func), call.func):
            edits.append(drop)
        return edits
    return None


SECURE_RANDOM = SimpleFix(
    name="secure-random",
    rules=frozenset({"B311"}),
    description="random for a token, password, key, OTP, salt or nonce -> secrets (B311 blocks only when asked)",
    function=_secure_random,
)

FIXES = (SECURE_RANDOM,)
