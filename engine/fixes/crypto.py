"""Mechanical fixes for fast hashes (``secure-random``, for predictable randomness, is in ``randomness.py``).

* ``password-kdf``: a password hashed with a fast hash (the dataflow analyzer's
  ``weak-sensitive-data-hashing``; Bandit's B324/B303 on a password-named value)
  becomes PBKDF2-HMAC-SHA256 with 600,000 iterations and a fresh 16-byte salt kept in
  front of the derived key (``"<salt hex>:<key hex>"`` for ``hexdigest()``, ``salt + key``
  for ``digest()``). When the code already mixes in a random salt, that salt is used
  and the code's own storage format kept. A file that also *checks* a hash (compares
  one, calls ``compare_digest``, has a verify/login/check function) is left to the
  model tiers: a fresh salt would make the check fail for every password.
* ``hash-not-for-security``: MD5/SHA-1 of something that is not a secret (a
  checksum, a cache key, an ETag, HumanEval/162's "md5 of text") gets
  ``usedforsecurity=False``: the digest stays identical and the code now says what
  it means. pycryptodome's ``MD5.new``/``SHA.new`` (Bandit's B303) become hashlib's.

Whether a value is secret is read from names: the words of the hashed expression and
of the assignments it comes from (``request.form["password"]`` counts), the
function's name, and the task's description. When they do not settle it, a fix
returns None and the model tiers decide.
"""

from __future__ import annotations

import ast
import re

from secgen.analyzers import Finding
from secgen.engine.fixes.base import Document, Edit, SimpleFix, insert_before

DATAFLOW_RULE = "weak-sensitive-data-hashing"
KDF_ITERATIONS = "600_000"  # OWASP 2023 for PBKDF2-HMAC-SHA256; the dataflow rule asks for >= 600000

# The dataflow rule's ``password`` source kind (analyzers/dataflow/rules/weak-sensitive-data-hashing.yaml);
# tests/engine/fixes/test_crypto.py checks the two stay the same.
PASSWORD_NAMES = re.compile(r"(?i)(^|_|\b)(passw(or)?d|passwd|pwd|passphrase|pin_?code)(_|$|\b)")
PASSWORD_EXCLUDE = re.compile(r"(?i)(hash|hashed|digest|salt|_len|length|policy|reset|forgot|strength|field|prompt"
                              r"|label|_url$|_path$|_file$)")
SECRET_WORDS = frozenset({"password", "passwd", "pwd", "pw", "pass", "passphrase", "secret", "token", "credential", "credentials",
                          "apikey", "auth", "login", "otp", "pin", "signature", "private"})
SECRET_TEXT = re.compile(r"(?i)\b(passw(or)?ds?|passphrases?|secrets?|credentials?|api[ _-]?keys?|auth\w*|log ?in)\b")
FAST_HASHES = frozenset({"md4", "md5", "sha1", "sha224", "sha256", "sha384", "sha512", "sha3_224", "sha3_256",
                         "sha3_384", "sha3_512", "blake2b", "blake2s", "ripemd160"})
WEAK_HASHES = frozenset({"md4", "md5", "sha1"})
PYCRYPTO_HASHES = {f"{package}.Hash.{module}.new": algorithm for package in ("Crypto", "Cryptodome")
                   for module, algorithm in (("MD5", "md5"), ("SHA", "sha1"), ("SHA1", "sha1"))}
HASH_OBJECT_USES = frozenset({"update", "digest", "hexdigest", "copy", "digest_size", "block_size"})
DIGEST_READERS = frozenset({"int", "len", "fromhex", "unhexlify", "a2b_hex", "b16decode", "UUID"})
VERIFY_NAMES = re.compile(r"(?i)(verify|check|compare|authenticat|log_?in|validate|match)")


def words(identifier: str) -> set[str]:
    """``generateAPIToken_v2`` -> {generate, api, token, v2}: an identifier's lower-case words."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", identifier))
    return {w.lower() for w in re.split(r"[\W_]+", spaced) if w}


# -- what a hashed value is ------------------------------------------------------------------------------------------

def _assigned_values(scope: ast.AST, name: str) -> list[ast.AST]:
    found = []
    for node in ast.walk(scope):
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.NamedExpr)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == name for target in targets for t in ast.walk(target)):
                found.append(node.value)
        elif isinstance(node, (ast.For, ast.comprehension)) and any(
                isinstance(t, ast.Name) and t.id == name for t in ast.walk(node.target)):
            found.append(node.iter)
    return found


def origin_names(doc: Document, expr: ast.AST, depth: int = 3) -> set[str]:
    """Names, attributes and short string keys in ``expr`` and in what its local names were assigned from."""
    scope = doc.function_of(expr) or doc.tree
    found: set[str] = set()
    todo, seen = [(expr, depth)], set()
    while todo:
        node, left = todo.pop()
        for n in ast.walk(node):
            if isinstance(n, ast.Name):
                found.add(n.id)
                if left and n.id not in seen:
                    seen.add(n.id)
                    todo.extend((value, left - 1) for value in _assigned_values(scope, n.id))
            elif isinstance(n, ast.Attribute):
                found.add(n.attr)
            elif isinstance(n, ast.Constant) and isinstance(n.value, str) and len(n.value) <= 40:
                found.add(n.value)
    return found


def is_password(names: set[str]) -> bool:
    return any(PASSWORD_NAMES.search(n) and not PASSWORD_EXCLUDE.search(n) for n in names)


def looks_secret(doc: Document, call: ast.Call, data: ast.AST | None) -> bool:
    """The hash could be protecting a secret: secret-like names in its data, its function, what the function's
    callers pass it, or the task."""
    names = set()
    for fed in [data] if data is not None else _updates(doc, call):
        names |= origin_names(doc, fed)
    function = doc.function_of(call)
    if function is not None:
        names.add(function.name)
        for caller in doc.nodes(ast.Call):
            if getattr(caller.func, "id", getattr(caller.func, "attr", None)) == function.name:
                for argument in [*caller.args, *(k.value for k in caller.keywords)]:
                    names |= origin_names(doc, argument, depth=1)
    return is_password(names) or any(words(n) & SECRET_WORDS or {"api", "key"} <= words(n) for n in names) \
        or bool(SECRET_TEXT.search(doc.context))


def _updates(doc: Document, call: ast.Call) -> list[ast.AST]:
    """What ``h = hashlib.md5()`` is fed: the arguments of ``h.update(...)`` (or of ``hashlib.md5().update(...)``)."""
    parent = doc.parents.get(call)
    if isinstance(parent, ast.Attribute) and parent.attr == "update":
        return list(doc.parents[parent].args) if isinstance(doc.parents.get(parent), ast.Call) else []
    if not (isinstance(parent, ast.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0], ast.Name)):
        return []
    name = parent.targets[0].id
    return [argument for update in ast.walk(doc.function_of(call) or doc.tree) if isinstance(update, ast.Call)
            and isinstance(update.func, ast.Attribute) and update.func.attr == "update"
            and isinstance(update.func.value, ast.Name) and update.func.value.id == name for argument in update.args]


# -- finding the hash call ------------------------------------------------------------------------------------------

def _algorithm(doc: Document, call: ast.Call) -> tuple[str, str] | None:
    """(algorithm, how it is called: hashlib | new | pycrypto) for a hash constructor, else None."""
    name = doc.qualified(call.func) or ""
    if name.startswith("hashlib.") and name[8:] in FAST_HASHES:
        return name[8:], "hashlib"
    if name == "hashlib.new" and call.args and isinstance(call.args[0], ast.Constant) \
            and isinstance(call.args[0].value, str) and call.args[0].value.lower() in FAST_HASHES:
        return call.args[0].value.lower(), "new"
    if name in PYCRYPTO_HASHES:
        return PYCRYPTO_HASHES[name], "pycrypto"
    return None


def _hashed_data(call: ast.Call, how: str) -> ast.AST | None | bool:
    """The hashed argument; None when there is none (an incremental hash); False for a shape not understood."""
    skip = 1 if how == "new" else 0
    data_keywords = ("data",) if how == "pycrypto" else ("data", "string")
    keywords = [k for k in call.keywords if k.arg != "usedforsecurity"]
    positional = call.args[skip:]
    if any(isinstance(a, ast.Starred) for a in positional) or len(positional) + len(keywords) > 1:
        return False
    if keywords:
        return keywords[0].value if keywords[0].arg in data_keywords else False
    return positional[0] if positional else None


def hash_at(doc: Document, finding: Finding) -> tuple[ast.Call, str, str, ast.AST | None] | None:
    """(call, algorithm, how, data) for the hash constructor the finding starts at."""
    for call in doc.nodes_at(finding):
        if call.lineno - 1 != finding.line or doc.column(call) != finding.range.start.column:
            continue
        if (found := _algorithm(doc, call)) is not None:
            data = _hashed_data(call, found[1])
            return None if data is False else (call, *found, data)
    return None


def _finished(doc: Document, call: ast.Call) -> ast.Call | None:
    """``call.hexdigest()`` / ``call.digest()`` around ``call``, else None."""
    attribute = doc.parents.get(call)
    outer = doc.parents.get(attribute)
    if isinstance(attribute, ast.Attribute) and attribute.attr in ("hexdigest", "digest") \
            and isinstance(outer, ast.Call) and outer.func is attribute and not outer.args and not outer.keywords:
        return outer
    return None


def _hashlib_prefix(doc: Document, call: ast.Call, how: str) -> tuple[str, list[Edit]]:
    """How to spell ``hashlib`` at ``call`` and the import edit it needs."""
    func = call.func
    if how != "pycrypto" and isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) \
            and doc.imports().get(func.value.id) == "hashlib":
        return func.value.id, []
    edit = doc.ensure_import("import hashlib")
    return "hashlib", [edit] if edit else []


# -- imports a rewrite leaves unused ----------------------------------------------------------------------------------

def _inside(doc: Document, node: ast.AST, outer: ast.AST) -> bool:
    while node is not None:
        if node is outer:
            return True
        node = doc.parents.get(node)
    return False


def drop_unused_import(doc: Document, local: str, replaced: ast.AST) -> Edit | None:
    """The edit removing the import of ``local`` when its only use is inside ``replaced``; None otherwise."""
    if any(n.id == local and not _inside(doc, n, replaced) for n in doc.nodes(ast.Name)):
        return None
    for statement in doc.nodes((ast.Import, ast.ImportFrom)):
        for index, alias in enumerate(statement.names):
            if (alias.asname or alias.name.split(".")[0]) != local:
                continue
            if len(statement.names) > 1:
                start, end = doc.span(alias)
                if index + 1 < len(statement.names):
                    end = doc.span(statement.names[index + 1])[0]
                else:
                    start = doc.span(statement.names[index - 1])[1]
                return Edit(start=start, end=end, new="")
            return _delete_statement(doc, statement)
    return None


def _delete_statement(doc: Document, statement: ast.stmt) -> Edit | None:
    start, end = doc.line_offset(statement.lineno - 1), doc.line_offset(statement.end_lineno)
    own_start, own_end = doc.span(statement)
    parent = doc.parents.get(statement)
    block = next((getattr(parent, f) for f in ("body", "orelse", "finalbody")
                  if statement in getattr(parent, f, [])), [])
    if doc.text[start:own_start].strip() or doc.text[own_end:end].strip() or len(block) < 2:
        return None  # shares its line, or is its block's only statement
    return Edit(start=start, end=end, new="")


# -- password-kdf ------------------------------------------------------------------------------------------------------

def _verifies_hashes(doc: Document, function: ast.AST | None) -> bool:
    """The file checks a hash somewhere: a fresh salt per call would break that check."""
    if any(VERIFY_NAMES.search(f.name) for f in doc.nodes((ast.FunctionDef, ast.AsyncFunctionDef))):
        return True
    if any((doc.qualified(c.func) or "").endswith("compare_digest") for c in doc.nodes(ast.Call)):
        return True
    producers = {"hexdigest", "digest"} | ({function.name} if function is not None else set())
    tainted: set[str] = set()
    for _ in range(3):  # names assigned from a digest, or from the hashing function's result
        for node in doc.nodes(ast.Assign):
            if _mentions(node.value, producers | tainted):
                tainted |= {t.id for target in node.targets for t in ast.walk(target) if isinstance(t, ast.Name)}
    return any(_mentions(c, producers | tainted) for c in doc.nodes(ast.Compare))


def _mentions(node: ast.AST, names: set[str]) -> bool:
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and n.id in names:
            return True
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in names:
            return True
    return False


def _simple_statement(doc: Document, node: ast.AST) -> ast.stmt | None:
    """The statement holding ``node`` when a line can go above it: simple, alone on its line, no lambda between."""
    current = node
    while not isinstance(current, ast.stmt):
        current = doc.parents[current]
        if isinstance(current, (ast.Lambda, ast.comprehension, ast.ListComp, ast.SetComp, ast.DictComp,
                                ast.GeneratorExp)):
            return None
    if not isinstance(current, (ast.Return, ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Expr)):
        return None
    line_start = doc.line_offset(current.lineno - 1)
    return None if doc.text[line_start:doc.span(current)[0]].strip() else current


def _existing_salt(doc: Document, data: ast.AST) -> tuple[ast.AST, str] | None:
    """``salt + pw.encode()`` with ``salt = os.urandom(...)`` in the function: (password bytes, salt name)."""
    if not (isinstance(data, ast.BinOp) and isinstance(data.op, ast.Add)):
        return None
    for salt, rest in ((data.left, data.right), (data.right, data.left)):
        if isinstance(salt, ast.Name) and "salt" in salt.id.lower():
            sources = _assigned_values(doc.function_of(data) or doc.tree, salt.id)
            if sources and all(isinstance(s, ast.Call) and doc.qualified(s.func) in
                               ("os.urandom", "secrets.token_bytes") for s in sources):
                return rest, salt.id
    return None


def _password_kdf(doc: Document, finding: Finding) -> list[Edit] | None:
    found = hash_at(doc, finding)
    if found is None or found[3] is None:
        return None  # not a hash call, or the incremental shape (h = md5(); h.update(pw))
    call, _, how, data = found
    outer = _finished(doc, call)
    if outer is None or _verifies_hashes(doc, doc.function_of(call)) \
            or finding.rule_id != DATAFLOW_RULE and not is_password(origin_names(doc, data)):
        return None
    hashlib, edits = _hashlib_prefix(doc, call, how)
    digest = outer.func.attr == "digest"
    if reused := _existing_salt(doc, data):  # the code keeps its own salt: only the hash changes
        secret, salt = reused
        new = _pbkdf2(doc, hashlib, secret, salt) + ("" if digest else ".hex()")
    else:
        statement = _simple_statement(doc, outer) if _taken_whole(doc, outer) else None
        if statement is None or "os" in doc.names_in_scope(call) and doc.imports().get("os") != "os":
            return None  # no line can go above it, the value is sliced or parsed, or ``os`` is something else
        salt = doc.fresh_name(call, "salt")
        key = _pbkdf2(doc, hashlib, data, salt)
        new = f"{salt} + {key}" if digest else f'{salt}.hex() + ":" + {key}.hex()'
        if os_import := doc.ensure_import("import os"):
            edits.append(os_import)
        edits.append(insert_before(doc, statement, [f"{salt} = os.urandom(16)"]))
    if how == "pycrypto" and (drop := drop_unused_import(doc, _head(call.func), outer)):
        edits.append(drop)
    start, end = doc.span(outer)
    return [*edits, Edit(start=start, end=end, new=new)]


def _pbkdf2(doc: Document, hashlib: str, secret: ast.AST, salt: str) -> str:
    return f'{hashlib}.pbkdf2_hmac("sha256", {doc.segment(secret)}, {salt}, {KDF_ITERATIONS})'


def _head(node: ast.AST) -> str:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else ""


def _stands_alone(doc: Document, node: ast.AST) -> bool:
    """``node`` can become ``a + b`` without parentheses, and its value is taken whole (not sliced, parsed...)."""
    parent = doc.parents.get(node)
    if isinstance(parent, ast.Call):
        return node in parent.args and (doc.qualified(parent.func) or "").split(".")[-1] not in DIGEST_READERS
    return isinstance(parent, (ast.Return, ast.Assign, ast.AnnAssign, ast.Expr, ast.keyword, ast.FormattedValue,
                               ast.List, ast.Tuple, ast.Set, ast.Dict))


def _taken_whole(doc: Document, digest: ast.Call) -> bool:
    """The digest, and the name it is assigned to, are only stored, returned or passed on: a longer value fits."""
    if not _stands_alone(doc, digest):
        return False
    parent = doc.parents[digest]
    if not isinstance(parent, (ast.Assign, ast.AnnAssign)):
        return True
    targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
    if not all(isinstance(t, (ast.Name, ast.Attribute, ast.Subscript)) for t in targets):
        return False
    names = {t.id for t in targets if isinstance(t, ast.Name)}
    scope = doc.function_of(digest) or doc.tree
    uses = [n for n in ast.walk(scope) if isinstance(n, ast.Name) and n.id in names and isinstance(n.ctx, ast.Load)]
    return all(_stands_alone(doc, n) for n in uses)


# -- hash-not-for-security --------------------------------------------------------------------------------------------

def _hash_not_for_security(doc: Document, finding: Finding) -> list[Edit] | None:
    found = hash_at(doc, finding)
    if found is None:
        return None
    call, algorithm, how, data = found
    if algorithm not in WEAK_HASHES or looks_secret(doc, call, data):
        return None
    flag = next((k for k in call.keywords if k.arg == "usedforsecurity"), None)
    if flag is not None:
        return None  # already says; an explicit True is the author's call
    if how != "pycrypto":
        at = doc.span(call)[1] - 1  # before the closing parenthesis
        comma = ", " if call.args or call.keywords else ""
        return [Edit(start=at, end=at, new=f"{comma}usedforsecurity=False")]
    if not _used_as_hash_object(doc, call):
        return None
    hashlib, edits = _hashlib_prefix(doc, call, how)
    argument = f"{doc.segment(data)}, " if data is not None else ""
    start, end = doc.span(call)
    edits.append(Edit(start=start, end=end, new=f"{hashlib}.{algorithm}({argument}usedforsecurity=False)"))
    if drop := drop_unused_import(doc, _head(call.func), call):
        edits.append(drop)
    return edits


def _used_as_hash_object(doc: Document, call: ast.Call) -> bool:
    """pycryptodome's object is only updated and read (hashlib's has no ``oid`` or ``new``)."""
    parent = doc.parents.get(call)
    if isinstance(parent, ast.Attribute):
        return parent.attr in HASH_OBJECT_USES
    if not (isinstance(parent, ast.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0], ast.Name)):
        return False
    name, scope = parent.targets[0].id, doc.function_of(call) or doc.tree
    uses = [n for n in ast.walk(scope) if isinstance(n, ast.Name) and n.id == name and n is not parent.targets[0]]
    return bool(uses) and all(isinstance(doc.parents.get(n), ast.Attribute) and doc.parents[n].attr in
                              HASH_OBJECT_USES for n in uses)


PASSWORD_KDF = SimpleFix(
    name="password-kdf",
    rules=frozenset({DATAFLOW_RULE, "B324", "B303"}),
    description="a password hashed with a fast hash -> salted PBKDF2-HMAC-SHA256, 600,000 iterations",
    function=_password_kdf,
)
HASH_NOT_FOR_SECURITY = SimpleFix(
    name="hash-not-for-security",
    rules=frozenset({"B324", "B303"}),
    description="MD5/SHA-1 of a non-secret value (checksum, cache key) -> usedforsecurity=False",
    function=_hash_not_for_security,
)

FIXES = (PASSWORD_KDF, HASH_NOT_FOR_SECURITY)
