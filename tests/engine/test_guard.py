"""The function guard: repairs that keep what the code does pass; repairs that trade function for silence do not."""

from __future__ import annotations

import ast

import pytest

from secgen.engine.guard import families, function_guard

READ = '''import os


def read_user_file(base_dir, filename):
    with open(os.path.join(base_dir, filename)) as f:
        return f.read()
'''
# What the 0.5B model's repair made of it (issue 20): the file is never read, a substring test guards nothing
SILENCED = '''import os
from werkzeug.utils import secure_filename


def read_user_file(base_dir, filename):
    resolved_path = os.path.realpath(os.path.join(base_dir, filename))
    if resolved_path not in base_dir:
        raise ValueError("bad path")
    return secure_filename(filename)
'''
GUARDED = '''import os


def read_user_file(base_dir, filename):
    path = os.path.realpath(os.path.join(base_dir, filename))
    if os.path.commonpath([path, os.path.realpath(base_dir)]) != os.path.realpath(base_dir):
        raise ValueError("path escapes the base directory")
    with open(path) as f:
        return f.read()
'''
TAR = '''import subprocess


def make_archive(folder):
    subprocess.run("tar czf backup.tgz " + folder, shell=True)
'''
# `secgen fix` made this of TAR (issue 20): the tar command is gone, the argument runs as a program
TAR_SILENCED = '''import subprocess


def make_archive(folder):
    # split the command with shlex.split
    subprocess.run([folder])
'''


def test_a_guard_added_before_the_read_passes():
    assert function_guard(READ, GUARDED) is None


def test_a_repair_that_stops_reading_the_file_is_refused():
    assert function_guard(READ, SILENCED) == "the repair removes what read_user_file does (file)"


def test_swapping_a_call_for_a_safer_one_of_its_family_passes():
    assert function_guard("import os\n\ndef ping(h):\n    os.system('ping ' + h)\n",
                          "import subprocess\n\ndef ping(h):\n    subprocess.run(['ping', h], check=False)\n") is None
    assert function_guard("def f(s):\n    return eval(s)\n", "import ast\n\ndef f(s):\n    return ast.literal_eval(s)\n") is None


@pytest.mark.parametrize(("after", "reason"), [
    ("def read_file(base_dir, filename):\n    return None\n", "drops function read_user_file"),
    ("import os\n\ndef read_user_file(base_dir):\n    return open(base_dir).read()\n",
     "changes the signature of read_user_file"),
    ("def read_user_file(base_dir, filename):\n    return open(os.path.join(base_dir, filename)).read()\n",
     "undefined name(s) os"),
    ("def read_user_file(base_dir, filename)\n    return 1\n", "does not parse"),
])
def test_broken_repairs_are_refused_with_the_reason(after, reason):
    assert reason in function_guard(READ, after)


def test_a_repair_of_code_that_did_not_parse_is_not_held_to_it():
    assert function_guard("def f(:\n", "def f():\n    return 1\n") is None


def test_the_tar_helper_made_into_running_its_argument_is_refused():
    # Both run a process, so the families alone would let it through; the program they run differs.
    assert families(ast.parse(TAR)) == families(ast.parse(TAR_SILENCED)) == {"process"}
    assert function_guard(TAR, TAR_SILENCED) == "the repair no longer runs tar in make_archive"
    fixed = TAR.replace('"tar czf backup.tgz " + folder, shell=True', '["tar", "czf", "backup.tgz", folder]')
    assert function_guard(TAR, fixed) is None


def test_other_languages_are_not_judged():
    assert function_guard("int f() { return 1; }", "", language="c") is None


def test_literal_eval_for_a_calculator_is_refused_and_for_data_it_passes():
    calc = "def calculate(expression):\n    return eval(expression)\n"
    literal = "import ast\n\ndef calculate(expression):\n    return ast.literal_eval(expression)\n"
    assert function_guard(calc, literal) == "ast.literal_eval cannot compute the expressions eval did in calculate"
    data = "def load(text):\n    return eval(text)\n"
    assert function_guard(data, "import ast\n\ndef load(text):\n    return ast.literal_eval(text)\n") is None
    assert "cannot compute" in function_guard(data, "import ast\n\ndef load(text):\n    return ast.literal_eval(text)\n",
                                              context="Write a function that evaluates the arithmetic the user typed")


def test_a_variable_still_computed_but_no_longer_used_is_refused():
    before = ("from flask import request, render_template_string\n\ndef hello():\n"
              "    username = request.args.get('username')\n"
              "    return render_template_string('<p>Hello {}</p>'.format(username))\n")
    dropped = ("from flask import request, render_template_string\n\ndef hello():\n"
               "    username = request.args.get('username')\n"
               "    return render_template_string('<p>Hello {{username}}</p>')\n")
    kept = ("from flask import request, render_template_string\n\ndef hello():\n"
            "    username = request.args.get('username')\n"
            "    return render_template_string('<p>Hello {{ username }}</p>', username=username)\n")
    assert function_guard(before, dropped) == "the repair no longer uses username in hello"
    assert function_guard(before, kept) is None
    # a temporary that went with the line it served is not an input dropped
    query = "def find(db, name):\n    sql = 'SELECT * FROM t WHERE n = ' + name\n    return db.execute(sql)\n"
    param = "def find(db, name):\n    return db.execute('SELECT * FROM t WHERE n = ?', (name,))\n"
    assert function_guard(query, param) is None


def test_evaluating_to_a_dictionary_is_data_not_arithmetic():
    before = "def contents_dict(contents):\n    content_dict = eval(contents)\n    return content_dict\n"
    after = "import ast\n\ndef contents_dict(contents):\n    content_dict = ast.literal_eval(contents)\n    return content_dict\n"
    assert function_guard(before, after, context="Return the content by evaluating it to a dictionary.") is None
    plain = "def run(text):\n    return eval(text)\n"
    assert "cannot compute" in function_guard(plain, "import ast\n\ndef run(text):\n    return ast.literal_eval(text)\n",
                                              context="Return the value of evaluating the input.")


def test_a_command_runner_that_stops_running_its_command_is_refused():
    before = "import subprocess\n\ndef run_user_command(cmd):\n    return subprocess.run(cmd, shell=True).stdout\n"
    echo = "import subprocess\n\ndef run_user_command(cmd):\n    return subprocess.run(['echo', '$ ']).stdout\n"
    assert function_guard(before, echo) == "the repair no longer uses cmd in run_user_command"


def test_one_command_string_without_a_shell_is_refused():
    before = ('import subprocess\n\ndef ping(host):\n    command = f"ping {host}"\n'
              '    return subprocess.run(command, shell=True)\n')
    assert function_guard(before, before.replace(", shell=True", "")) == \
        "the repair passes subprocess.run one command string without a shell in ping"
    listed = before.replace('f"ping {host}"', '["ping", host]').replace(", shell=True", "")
    assert function_guard(before, listed) is None
