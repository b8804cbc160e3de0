"""The shell-command fixes on the shapes the small model writes, through the real analyzers.

Beside the worked examples (``test_examples.py``): what each command shape becomes, the shapes
that must be left to the model tiers (shell syntax, a value choosing the program, a command line
typed by a user, a rewrite other code would see), and the fixed code run for real, with benign
and hostile values.
"""

from __future__ import annotations

import pytest

from secgen.analyzers import SeverityPolicy
from secgen.engine.fixes.base import Document, apply_edits
from secgen.engine.fixes.commands import FIXES
from secgen.engine.guard import function_guard

ARGUMENT_LIST, OS_SYSTEM = FIXES
POLICY = SeverityPolicy()


def fixed_by(fix, text: str, analyze) -> str | None:
    """``text`` with ``fix`` applied to each of its blocking findings, bottom-up; None when it changed nothing."""
    current, changed = text, True
    while changed:
        changed = False
        findings = sorted((f for f in POLICY.blocking(analyze(current)) if f.rule_id in fix.rules),
                          key=lambda f: (f.line, f.range.start.column), reverse=True)
        for finding in findings:
            edits = fix.apply(Document(current), finding)
            if edits:
                current, changed = apply_edits(current, edits), True
                break
    return None if current == text else current


def assert_clean(fix, before: str, after: str, analyze) -> None:
    """``after`` has none of the fix's rules, no blocking finding ``before`` lacked, and passes the guard."""
    found = analyze(after)
    assert not fix.rules & {f.rule_id for f in found}, found
    old = {(f.analyzer, f.rule_id) for f in POLICY.blocking(analyze(before))}
    assert {(f.analyzer, f.rule_id) for f in POLICY.blocking(found)} <= old
    assert function_guard(before, after) is None


HEAD = "import subprocess\n\n\n"


@pytest.mark.parametrize(("body", "expected"), [
    pytest.param("def f(p):\n    subprocess.run(f\"grep '{p}' log.txt\", shell=True)\n",
                 "def f(p):\n    subprocess.run([\"grep\", str(p), \"log.txt\"])\n", id="quoted-value"),
    pytest.param("def f(p):\n    subprocess.run('tar -czf b.tgz --directory=' + p, shell=True)\n",
                 "def f(p):\n    subprocess.run(['tar', '-czf', 'b.tgz', f'--directory={p}'])\n", id="joined-value"),
    pytest.param("def f(n, host):\n    subprocess.call('ping -c {} {}'.format(n, host), shell=True)\n",
                 "def f(n, host):\n    subprocess.call(['ping', '-c', str(n), str(host)])\n", id="format"),
    pytest.param("def f(host: str):\n    subprocess.Popen(f'ping -c 1 {host}', shell=True)\n",
                 "def f(host: str):\n    subprocess.Popen(['ping', '-c', '1', host])\n", id="str-parameter"),
    pytest.param("def f(x):\n    subprocess.run(args='echo %s %d' % (x, x), shell=True)\n",
                 "def f(x):\n    subprocess.run(args=['echo', str(x), str(int(x))])\n", id="percent-keyword"),
    pytest.param("def f(x):\n    subprocess.run(f'echo {x!r} {x:>5}', shell=True)\n",
                 "def f(x):\n    subprocess.run(['echo', f'{x!r}', f'{x:>5}'])\n", id="conversion-and-spec"),
])
def test_command_string_becomes_argument_list(body, expected, analyze):
    after = fixed_by(ARGUMENT_LIST, HEAD + body, analyze)
    assert after == HEAD + expected
    assert_clean(ARGUMENT_LIST, HEAD + body, after, analyze)


@pytest.mark.parametrize("body", [
    pytest.param("def f(p):\n    subprocess.run(f'cat {p} | grep x', shell=True)\n", id="pipe"),
    pytest.param("def f(p):\n    subprocess.run(f'echo {p} > out.txt', shell=True)\n", id="redirect"),
    pytest.param("def f(p):\n    subprocess.run(f'make && ./run {p}', shell=True)\n", id="and-and"),
    pytest.param("def f(d):\n    subprocess.run(f'rm {d}/*.log', shell=True)\n", id="glob"),
    pytest.param("def f(p):\n    subprocess.run(f'cp {p} $HOME', shell=True)\n", id="variable"),
    pytest.param("def f(p):\n    subprocess.run(f'touch {p} a\\\\ b', shell=True)\n", id="backslash"),
    pytest.param("def f(t):\n    subprocess.run(f'{t} --version', shell=True)\n", id="value-is-program"),
    pytest.param("def f(d):\n    subprocess.run(f'cd {d}', shell=True)\n", id="shell-builtin"),
    pytest.param("def f(p):\n    subprocess.run(f'LANG=C sort {p}', shell=True)\n", id="environment-prefix"),
    pytest.param("def f(p):\n    subprocess.run(f\"grep 'a {p}\", shell=True)\n", id="unbalanced-quote"),
    pytest.param("def f(p, sh):\n    subprocess.run(f'ls {p}', shell=sh)\n", id="shell-not-constant"),
    pytest.param("def f(p):\n    subprocess.run(f'ls {p}', shell=True, executable='/bin/bash')\n", id="executable"),
    pytest.param("def f(p):\n    subprocess.run(['ls', p], shell=True)\n", id="list-with-shell"),
])
def test_shell_syntax_and_unclear_shapes_are_left_alone(body, analyze):
    assert fixed_by(ARGUMENT_LIST, HEAD + body, analyze) is None


def test_command_line_typed_by_a_user_is_left_alone(analyze):
    """``shlex.split(input())`` would let the user choose the program: the dataflow analyzer says so, so no fix."""
    vulnerable = HEAD + "def f():\n    cmd = input('command: ')\n    subprocess.run(cmd, shell=True)\n"
    assert fixed_by(ARGUMENT_LIST, vulnerable, analyze) is None
    split = vulnerable.replace("import subprocess\n", "import shlex\nimport subprocess\n") \
        .replace("subprocess.run(cmd, shell=True)", "subprocess.run(shlex.split(cmd))")
    assert "command-line-injection" in {f.rule_id for f in POLICY.blocking(analyze(split))}


def test_route_parameter_is_not_a_callers_command_line(analyze):
    vulnerable = ("import subprocess\nfrom flask import Flask\napp = Flask(__name__)\n\n\n"
                  "@app.route('/run/<cmd>')\ndef run(cmd):\n    return subprocess.check_output(cmd, shell=True)\n")
    assert fixed_by(ARGUMENT_LIST, vulnerable, analyze) is None


def test_command_seen_by_other_code_is_not_rewritten(analyze):
    """Rewriting ``cmd`` into a list would change what ``print(cmd)`` shows: the two-step rewrite refuses."""
    vulnerable = HEAD + ("def f(host):\n    cmd = 'ping -c 1 ' + host\n    print(cmd)\n"
                         "    subprocess.run(cmd, shell=True)\n")
    assert fixed_by(ARGUMENT_LIST, vulnerable, analyze) is None


def test_shlex_import_joins_existing_imports(analyze):
    vulnerable = ('"""Tools."""\nimport subprocess\n\n\n'
                  'def run(command: str):\n    subprocess.run(command, shell=True)\n')
    after = fixed_by(ARGUMENT_LIST, vulnerable, analyze)
    assert after == ('"""Tools."""\nimport subprocess\nimport shlex\n\n\n'
                     'def run(command: str):\n    subprocess.run(shlex.split(command))\n')
    assert_clean(ARGUMENT_LIST, vulnerable, after, analyze)


@pytest.mark.parametrize(("vulnerable", "expected"), [
    pytest.param("import os\n\n\ndef f(x):\n    os.system('ls ' + x)\n    return os.path.join(x, 'a')\n",
                 "import os\nimport subprocess\n\n\ndef f(x):\n    subprocess.run(['ls', x], check=False)\n"
                 "    return os.path.join(x, 'a')\n", id="os-still-used"),
    pytest.param("from os import system\nimport sys\n\n\ndef f(x):\n    system('ls ' + x)\n",
                 "import sys\nimport subprocess\n\n\ndef f(x):\n    subprocess.run(['ls', x], check=False)\n",
                 id="from-import"),
    pytest.param("import os, sys\n\n\ndef f(x):\n    out = os.popen('ls ' + x).read().strip()\n    return out\n",
                 "import sys\nimport subprocess\n\n\ndef f(x):\n"
                 "    out = subprocess.run(['ls', x], capture_output=True, text=True, check=False).stdout.strip()\n"
                 "    return out\n", id="popen-read-chained"),
    pytest.param("import os\n\n\ndef f(cmd):\n    status = os.system(cmd)\n    return status\n",
                 "import subprocess\nimport shlex\n\n\ndef f(cmd):\n"
                 "    status = subprocess.run(shlex.split(cmd), check=False).returncode\n    return status\n",
                 id="callers-command-line"),
    pytest.param("import os\nimport subprocess\n\n\ndef f(x):\n    cmd = f'ls -l {x}'\n    os.system(cmd)\n",
                 "import subprocess\n\n\ndef f(x):\n    cmd = ['ls', '-l', str(x)]\n"
                 "    subprocess.run(cmd, check=False)\n", id="two-step"),
    pytest.param("import os\n\n\ndef f(a, b):\n    os.system('touch ' + a)\n    os.system('touch ' + b)\n",
                 "import subprocess\n\n\ndef f(a, b):\n    subprocess.run(['touch', a], check=False)\n"
                 "    subprocess.run(['touch', b], check=False)\n", id="two-calls-one-import"),
])
def test_os_shell_calls_become_subprocess_run(vulnerable, expected, analyze):
    after = fixed_by(OS_SYSTEM, vulnerable, analyze)
    assert after == expected
    assert_clean(OS_SYSTEM, vulnerable, after, analyze)


@pytest.mark.parametrize("vulnerable", [
    pytest.param("import os\n\n\ndef f(x):\n    for line in os.popen('ls ' + x):\n        print(line)\n",
                 id="popen-iterated"),
    pytest.param("import os\n\n\ndef f(x):\n    with os.popen('ls ' + x) as out:\n        return out.read()\n",
                 id="popen-with"),
    pytest.param("import os\n\n\ndef f(x):\n    os.system(f'ls {x} | wc -l')\n", id="pipe"),
    pytest.param("import os\n\n\ndef f():\n    os.system(input('command: '))\n", id="typed-by-user"),
])
def test_os_shapes_left_alone(vulnerable, analyze):
    assert fixed_by(OS_SYSTEM, vulnerable, analyze) is None


GREET = HEAD + ("def greet(name):\n    return subprocess.run(f\"echo hello {name}\", shell=True,\n"
                "                          capture_output=True, text=True).stdout\n")


def test_fixed_command_runs_the_same_program_and_keeps_hostile_text_as_one_argument(analyze):
    after = fixed_by(ARGUMENT_LIST, GREET, analyze)
    before_ns, after_ns = {}, {}
    exec(compile(GREET, "<before>", "exec"), before_ns)
    exec(compile(after, "<after>", "exec"), after_ns)
    assert after_ns["greet"]("bob") == before_ns["greet"]("bob") == "hello bob\n"
    assert before_ns["greet"]("bob; echo pwned") == "hello bob\npwned\n"  # what the fix removes
    assert after_ns["greet"]("bob; echo pwned") == "hello bob; echo pwned\n"
