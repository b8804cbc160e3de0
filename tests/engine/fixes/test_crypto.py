"""The crypto fixes beyond their worked examples: the shapes they must leave alone, and secure-random.

secure-random removes Bandit's B311, which is low severity and so never blocks under the default policy;
its cases run the tier with a policy that blocks B311 (what ``alwaysBlock: ["B311"]`` or the editor's
"fix this finding" does).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from secgen.analyzers import SeverityPolicy
from secgen.engine.fixes import mechanical_fix
from secgen.engine.fixes.base import Document
from secgen.engine.fixes.crypto import HASH_NOT_FOR_SECURITY, PASSWORD_EXCLUDE, PASSWORD_KDF, PASSWORD_NAMES, words
from secgen.engine.fixes.randomness import SECURE_RANDOM
from secgen.engine.guard import function_guard

RULES = Path(__file__).parents[3] / "analyzers" / "dataflow" / "rules" / "weak-sensitive-data-hashing.yaml"


def test_password_names_are_the_dataflow_rules():
    kind = yaml.safe_load(RULES.read_text())["source_kinds"]["password"]
    assert (PASSWORD_NAMES.pattern, PASSWORD_EXCLUDE.pattern) == (kind["names"], kind["exclude"])


def test_words_split_identifiers():
    assert words("generateAPIToken_v2") == {"generate", "api", "token", "v2"}
    assert words("session_id") == {"session", "id"}


def _proposals(fix, text, analyze):
    """What ``fix`` makes of each of ``text``'s findings of its rules (None where it declines)."""
    doc = Document(text)
    return [fix.apply(doc, f) for f in analyze(text) if f.rule_id in fix.rules]


# -- password-kdf -------------------------------------------------------------------------------------------------

LEFT_TO_THE_MODEL = {
    "incremental": "import hashlib\n\n\ndef hash_password(password):\n    h = hashlib.md5()\n"
                   "    h.update(password.encode())\n    return h.hexdigest()\n",
    # A fresh salt would make every check fail: the file verifies what it hashes.
    "verified": "import hashlib\n\n\ndef hash_password(password):\n"
                "    return hashlib.sha256(password.encode()).hexdigest()\n\n\n"
                "def verify_password(password, stored):\n    return hash_password(password) == stored\n",
    "compared": "import hashlib\n\nUSERS = {}\n\n\ndef register(name, password):\n"
                "    USERS[name] = hashlib.sha256(password.encode()).hexdigest()\n\n\n"
                "def can_enter(name, password):\n"
                "    return USERS.get(name) == hashlib.sha256(password.encode()).hexdigest()\n",
    # The salt prefix would be all that is left of a sliced digest.
    "sliced": "import hashlib\nfrom flask import request\n\n\ndef register():\n"
              '    pw = request.form["password"]\n    return hashlib.md5(pw.encode()).hexdigest()[:16]\n',
    "parsed": "import hashlib\n\n\ndef bucket(password):\n"
              "    digest = hashlib.sha256(password.encode()).hexdigest()\n    return int(digest, 16) % 8\n",
    "lambda": "import hashlib\n\nhash_password = lambda password: hashlib.md5(password.encode()).hexdigest()\n",
}


@pytest.mark.parametrize("text", LEFT_TO_THE_MODEL.values(), ids=LEFT_TO_THE_MODEL.keys())
def test_password_kdf_declines(text, analyze, fix):
    assert _proposals(PASSWORD_KDF, text, analyze)
    assert not any(_proposals(PASSWORD_KDF, text, analyze))
    assert "password-kdf" not in fix(text).applied


def test_password_kdf_follows_a_password_into_a_renamed_variable(fix):
    text = ("import hashlib\nfrom flask import request\n\n\ndef register():\n    pw = request.form['password']\n"
            "    stored = hashlib.md5(pw.encode()).hexdigest()\n    return stored\n")
    outcome = fix(text)
    assert outcome.applied == ("password-kdf",) and not outcome.findings
    assert "salt = os.urandom(16)\n    stored = salt.hex() + " in outcome.text


def test_password_kdf_avoids_a_taken_salt_name_and_keeps_pycryptos_import_out(fix):
    text = ("from Crypto.Hash import MD5\n\n\ndef hash_password(password, salt):\n"
            "    return salt, MD5.new(password.encode()).hexdigest()\n")
    outcome = fix(text)
    assert outcome.applied == ("password-kdf",) and not outcome.findings
    assert outcome.text == ("import hashlib\nimport os\n\n\ndef hash_password(password, salt):\n"
                            "    salt2 = os.urandom(16)\n    return salt, salt2.hex() + \":\" + "
                            "hashlib.pbkdf2_hmac(\"sha256\", password.encode(), salt2, 600_000).hex()\n")


def test_password_kdf_declines_where_os_is_a_parameter(analyze):
    text = "import hashlib\n\n\ndef store(password, os):\n    return hashlib.md5(password.encode()).hexdigest()\n"
    assert not any(_proposals(PASSWORD_KDF, text, analyze))


# -- hash-not-for-security ----------------------------------------------------------------------------------------

SECRET_HASHES = {
    "token": "import hashlib\n\n\ndef store_token(token):\n    return hashlib.md5(token.encode()).hexdigest()\n",
    "api-key": "import hashlib\n\n\ndef fingerprint(api_key):\n    return hashlib.sha1(api_key.encode()).hexdigest()\n",
    "function": "import hashlib\n\n\ndef hash_password(s):\n    return hashlib.md5(s.encode()).hexdigest()\n",
    "incremental-password": "import hashlib\n\n\ndef md5_of(user, password):\n    h = hashlib.md5()\n"
                            "    h.update(user.encode())\n    h.update(password.encode())\n    return h.hexdigest()\n",
    # Only the caller shows it is a password (the dataflow analyzer does not follow it here).
    "caller": "import hashlib\nfrom flask import request\n\n\ndef digest(p):\n"
              "    return hashlib.md5(p.encode()).hexdigest()\n\n\n"
              "def register():\n    return digest(request.form['password'])\n",
    "explicit": "import hashlib\n\n\ndef checksum(data):\n"
                "    return hashlib.md5(data, usedforsecurity=True).hexdigest()\n",
}


@pytest.mark.parametrize("text", SECRET_HASHES.values(), ids=SECRET_HASHES.keys())
def test_a_hash_of_a_secret_is_not_marked_not_for_security(text, analyze, fix):
    assert _proposals(HASH_NOT_FOR_SECURITY, text, analyze)
    assert not any(_proposals(HASH_NOT_FOR_SECURITY, text, analyze))
    assert "usedforsecurity=False" not in fix(text).text


def test_the_tasks_description_can_make_a_hash_secret(fix):
    text = "import hashlib\n\n\ndef encode(s):\n    return hashlib.md5(s.encode()).hexdigest()\n"
    assert fix(text).applied == ("hash-not-for-security",)
    assert not fix(text, context="Hash the user's password before storing it.").applied


def test_pycrypto_hash_object_kept_only_when_hashlib_has_what_it_uses(analyze, fix):
    updated = ("from Crypto.Hash import SHA\n\n\ndef digest(chunks):\n    h = SHA.new()\n    for c in chunks:\n"
               "        h.update(c)\n    return h.hexdigest()\n")
    outcome = fix(updated)
    assert outcome.applied == ("hash-not-for-security",) and not outcome.findings
    assert "h = hashlib.sha1(usedforsecurity=False)" in outcome.text and "Crypto" not in outcome.text
    oid = "from Crypto.Hash import MD5\n\n\ndef oid(data):\n    h = MD5.new(data)\n    return h.oid\n"
    assert not any(_proposals(HASH_NOT_FOR_SECURITY, oid, analyze))


# -- secure-random --------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def strict_fix(analyze):
    policy = SeverityPolicy(always_block=frozenset({"B311"}))

    def run(text, context=""):
        return mechanical_fix(text, analyze(text), check=analyze, policy=policy, context=context,
                              guard=function_guard)
    return run


SECURE_RANDOM_CASES = {
    "token": ("import random\nimport string\n\n\ndef generate_token(length=32):\n"
              "    return ''.join(random.choice(string.ascii_letters + string.digits) for _ in range(length))\n",
              "import string\nimport secrets\n\n\ndef generate_token(length=32):\n"
              "    return ''.join(secrets.choice(string.ascii_letters + string.digits) for _ in range(length))\n"),
    "otp": ("import random\n\n\ndef generate_otp():\n    return random.randint(100000, 999999)\n",
            "import secrets\n\n\ndef generate_otp():\n    return secrets.randbelow(900000) + 100000\n"),
    "password": ("import random\n\n\ndef make_password(length, chars):\n    password = []\n"
                 "    for _ in range(length):\n        password.append(random.choice(chars))\n"
                 "    return ''.join(password)\n",
                 "import secrets\n\n\ndef make_password(length, chars):\n    password = []\n"
                 "    for _ in range(length):\n        password.append(secrets.choice(chars))\n"
                 "    return ''.join(password)\n"),
    "from-import": ("from random import choice, randint\n\n\ndef reset_code(n, low, high):\n"
                    "    code = ''.join(choice('0123456789') for _ in range(n))\n"
                    "    return code, randint(low, high) * 2\n",
                    "import secrets\n\n\ndef reset_code(n, low, high):\n"
                    "    code = ''.join(secrets.choice('0123456789') for _ in range(n))\n"
                    "    return code, (secrets.randbelow(high - low + 1) + low) * 2\n"),
    "others": ("import random\n\n\ndef new_session(user):\n    session_id = random.getrandbits(128)\n"
               "    salt = random.sample(range(256), 16)\n    return user, session_id, salt\n",
               "import secrets\n\n\ndef new_session(user):\n    session_id = secrets.randbits(128)\n"
               "    salt = secrets.SystemRandom().sample(range(256), 16)\n    return user, session_id, salt\n"),
}


@pytest.mark.parametrize(("text", "fixed"), SECURE_RANDOM_CASES.values(), ids=SECURE_RANDOM_CASES.keys())
def test_secure_random(text, fixed, analyze, strict_fix, fix):
    assert {f.rule_id for f in analyze(text)} >= {"B311"}
    assert not fix(text).applied  # B311 does not block by default
    outcome = strict_fix(text)
    assert set(outcome.applied) == {"secure-random"}, outcome.rejected
    assert outcome.text == fixed
    assert not any(f.rule_id == "B311" for f in outcome.findings)
    assert not strict_fix(fixed).applied


NOT_SECRET_RANDOMS = {
    "dice": "import random\n\n\ndef roll_dice():\n    return random.randint(1, 6)\n",
    "simulation": "import random\n\n\ndef simulate(steps):\n    position = 0\n    for _ in range(steps):\n"
                  "        position += random.choice([-1, 1])\n    return position\n",
    "seeded": "import random\n\nrandom.seed(42)\n\n\ndef make_token():\n    return random.random()\n",
}


@pytest.mark.parametrize("text", NOT_SECRET_RANDOMS.values(), ids=NOT_SECRET_RANDOMS.keys())
def test_secure_random_leaves_game_and_simulation_randomness(text, analyze, strict_fix):
    assert _proposals(SECURE_RANDOM, text, analyze)
    assert not any(_proposals(SECURE_RANDOM, text, analyze))
    assert strict_fix(text).text == text


def test_secure_random_keeps_random_imported_while_it_is_still_used(strict_fix):
    text = ("import random\n\n\ndef api_token():\n    return random.choice('abcdef')\n\n\n"
            "def roll():\n    return random.randint(1, 6)\n")
    outcome = strict_fix(text)
    assert outcome.text == ("import random\nimport secrets\n\n\ndef api_token():\n    return secrets.choice('abcdef')"
                            "\n\n\ndef roll():\n    return random.randint(1, 6)\n")


def test_secure_random_uses_the_tasks_description(strict_fix):
    text = "import random\n\n\ndef make(n):\n    return random.randint(0, n)\n"
    assert strict_fix(text).text == text
    assert strict_fix(text, context="Generate a one-time password.").text == (
        "import secrets\n\n\ndef make(n):\n    return secrets.randbelow(n + 1)\n")
