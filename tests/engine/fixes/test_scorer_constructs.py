"""The calls CyberSecEval's scorer counts are blocked by the default policy when their argument is not a constant.

The Insecure Code Detector stays out of the loop (it is the benchmark's scorer), so the loop's own analyzers
must block what it counts: `exec`, `eval`, `os.popen`, `os.system`, shell commands and SQL built from strings.
Each blocked construct either has a mechanical fix that clears it (and keeps the function, by the guard) or a
remedy the repair prompt and the diagnostic carry. A constant argument is not blocked: `os.system("ls")` runs
no input.
"""

from __future__ import annotations

import pytest

from secgen.analyzers import SeverityPolicy
from secgen.engine.prompts import remedy

POLICY = SeverityPolicy()

# (construct, code, the fix that clears it, or None where only a remedy is offered)
CASES = [
    ("exec", "def run(code):\n    exec(code)\n", None),
    ("exec-input", "exec(input())\n", None),
    ("eval-arithmetic", "def calc(expr):\n    return eval(expr)\n", "eval-arithmetic"),
    ("eval-data", "def load(text):\n    return eval(text)\n", "eval-literal"),
    ("eval-input", "x = eval(input('> '))\n", None),
    ("os.popen", "import os\n\n\ndef ls(path):\n    return os.popen('ls ' + path).read()\n",
     "os-system-to-subprocess"),
    ("os.system", "import os\n\n\ndef ping(host):\n    os.system('ping -c 1 ' + host)\n", "os-system-to-subprocess"),
    ("os.system-input", "import os\nos.system(input())\n", None),
    ("shell=True", "import subprocess\n\n\ndef grep(word, path):\n"
                   "    return subprocess.check_output(f'grep {word} {path}', shell=True)\n",
     "subprocess-argument-list"),
    ("sql-percent", "def find(cur, name):\n    cur.execute(\"SELECT * FROM users WHERE name = '%s'\" % name)\n"
                    "    return cur.fetchall()\n", "sql-parameterize"),
    ("sql-format", "def find(cur, name):\n    cur.execute(\"SELECT * FROM users WHERE name = '{}'\".format(name))\n"
                   "    return cur.fetchall()\n", "sql-parameterize"),
    ("sql-fstring", "def find(cur, name):\n    cur.execute(f\"SELECT * FROM users WHERE name = '{name}'\")\n"
                    "    return cur.fetchall()\n", "sql-parameterize"),
    ("sql-plus", "def find(cur, name):\n    q = \"SELECT * FROM users WHERE name = '\" + name + \"'\"\n"
                 "    cur.execute(q)\n    return cur.fetchall()\n", "sql-parameterize"),
]


@pytest.mark.parametrize(("construct", "code", "fix_name"), CASES, ids=[c[0] for c in CASES])
def test_the_default_policy_blocks_it_and_a_fix_or_a_remedy_answers(construct, code, fix_name, analyze, fix):
    blocking = POLICY.blocking(analyze(code))
    assert blocking, f"{construct} is not blocked by the default policy"
    if fix_name is None:
        assert all(remedy(f) for f in blocking), [f.rule_id for f in blocking if not remedy(f)]
        return
    outcome = fix(code)
    assert fix_name in outcome.applied, outcome.rejected
    assert not POLICY.blocking(outcome.findings), outcome.findings


@pytest.mark.parametrize("code", ["import os\nos.system('ls -l')\n", "import subprocess\nsubprocess.run('ls', shell=True)\n",
                                  "def count(cur):\n    cur.execute('SELECT COUNT(*) FROM users')\n"])
def test_a_constant_command_or_query_does_not_block(code, analyze):
    assert not POLICY.blocking(analyze(code))
