"""The data-flow fixes beyond their worked examples: more shapes they fix, and shapes they must leave alone.

Every "left alone" case asserts that the fix itself returns nothing for the real finding (not only
that the tier's re-analysis refused its edit): a guard written where it does not protect, or an
escape applied to markup, would silence the analyzer while breaking the code or leaving it open.
"""

from __future__ import annotations

import textwrap

import pytest

from secgen.engine.fixes import all_fixes
from secgen.engine.fixes.base import Document
from secgen.engine.fixes.flows import FIXES
from secgen.engine.fixes.paths import FIXES as PATH_FIXES

FIX = {f.name: f for f in FIXES + PATH_FIXES}


def code(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def proposals(analyze, name: str, text: str) -> list:
    """What fix ``name`` proposes for each finding of its rules in ``text`` (at least one must exist)."""
    fix = FIX[name]
    findings = [f for f in analyze(text) if f.rule_id in fix.rules]
    assert findings, f"no {sorted(fix.rules)} finding in:\n{text}"
    return [fix.apply(Document(text), f) for f in findings]


def fixed_clean(fix, analyze, text: str, name: str) -> str:
    outcome = fix(text)
    assert name in outcome.applied, outcome.rejected
    assert not FIX[name].rules & {f.rule_id for f in analyze(outcome.text)}
    return outcome.text


def test_flow_fixes_are_registered():
    names = {f.name for f in all_fixes()}
    assert {"path-containment", "log-newlines", "escape-html", "redirect-allow-list"} <= names


def test_full_ssrf_has_no_fix_since_its_guard_needs_hosts_the_author_chooses(fix):
    assert not any("ssrf" in f.rules for f in FIX.values())
    text = code('''
        import requests
        from flask import Flask, request

        app = Flask(__name__)


        @app.route("/preview")
        def preview():
            url = request.args["url"]
            return requests.get(url, timeout=5).text
    ''')
    assert fix(text).text == text


# --- path-containment ---------------------------------------------------------------------------------

def test_path_formatted_onto_a_literal_directory_is_resolved_and_contained(fix, analyze):
    text = code('''
        import os


        def read_upload(filename):
            with open(f"uploads/{filename}") as f:
                return f.read()
    ''')
    assert fixed_clean(fix, analyze, text, "path-containment") == code('''
        import os


        def read_upload(filename):
            path = os.path.realpath(f"uploads/{filename}")
            if os.path.commonpath([path, os.path.realpath("uploads")]) != os.path.realpath("uploads"):
                raise ValueError("path outside the base directory")
            with open(path) as f:
                return f.read()
    ''')


def test_resolved_but_unchecked_path_gets_only_the_check(fix, analyze):
    text = code('''
        import os

        BASE = "/srv/data"


        def load(name):
            path = os.path.realpath(os.path.join(BASE, name))
            with open(path) as f:
                return f.read()
    ''')
    assert fixed_clean(fix, analyze, text, "path-containment") == code('''
        import os

        BASE = "/srv/data"


        def load(name):
            path = os.path.realpath(os.path.join(BASE, name))
            if os.path.commonpath([path, os.path.realpath(BASE)]) != os.path.realpath(BASE):
                raise ValueError("path outside the base directory")
            with open(path) as f:
                return f.read()
    ''')


def test_one_check_guards_every_sink_of_a_joined_path(fix, analyze):
    text = code('''
        import os

        CACHE = "/srv/cache"


        def evict(key):
            path = os.path.join(CACHE, key)
            size = os.path.getsize(path)
            os.remove(path)
            return size
    ''')
    fixed = fixed_clean(fix, analyze, text, "path-containment")
    assert fixed.count("commonpath") == 1 and "os.remove(path)" in fixed


def test_sink_chained_with_a_method_is_the_call_fixed(fix, analyze):
    text = code('''
        import os


        def save_note(name, data):
            open(os.path.join("notes", name), "w").write(data)
    ''')
    fixed = fixed_clean(fix, analyze, text, "path-containment")
    assert 'open(path, "w").write(data)' in fixed and 'os.path.realpath(os.path.join("notes", name))' in fixed


def test_pathlib_receiver_in_parentheses_becomes_the_resolved_name(fix, analyze):
    text = code('''
        from pathlib import Path


        def read_note(name):
            return (Path("notes") / name).read_text()
    ''')
    fixed = fixed_clean(fix, analyze, text, "path-containment")
    assert "path = (Path(\"notes\") / name).resolve()" in fixed and "return path.read_text()" in fixed


@pytest.mark.parametrize("text", [
    pytest.param('''
        from flask import Flask, request

        app = Flask(__name__)


        @app.route("/read")
        def read():
            filename = request.args.get("file")
            with open(filename) as f:
                return f.read()
    ''', id="bare-name-no-base"),
    pytest.param('''
        import os
        from flask import Flask, request

        app = Flask(__name__)


        @app.route("/read")
        def read():
            folder = request.args.get("dir")
            name = request.args.get("name")
            with open(os.path.join(folder, name)) as f:
                return f.read()
    ''', id="base-chosen-by-the-request"),
    pytest.param('''
        import os
        from flask import Flask, request

        app = Flask(__name__)


        @app.route("/read")
        def read():
            names = request.args.getlist("name")
            return [open(os.path.join("data", n)).read() for n in names]
    ''', id="sink-inside-a-comprehension"),
    pytest.param('''
        import os
        from flask import Flask, request

        app = Flask(__name__)


        @app.route("/read")
        def read():
            name = request.args.get("name")
            if name: return open(os.path.join("data", name)).read()
            return ""
    ''', id="sink-after-a-colon-on-one-line"),
    pytest.param('''
        import os


        def clear(filename):
            os.remove(os.path.join("/tmp/cache", filename))
    ''', id="temp-dir-literal-base"),
])
def test_path_shapes_without_a_standard_guard_are_left_alone(analyze, fix, text):
    text = code(text)
    assert all(p is None for p in proposals(analyze, "path-containment", text))
    assert "path-containment" not in fix(text).applied


# --- log-newlines ---------------------------------------------------------------------------------------

def test_only_string_fields_of_a_log_call_are_stripped(fix, analyze):
    text = code('''
        import logging
        from flask import Flask, request

        app = Flask(__name__)


        @app.route("/buy")
        def buy():
            item = request.args.get("item")
            count = request.args.get("count", type=int)
            logging.info("bought %d of %s", count, item)
            return "ok"
    ''')
    fixed = fixed_clean(fix, analyze, text, "log-newlines")
    assert 'logging.info("bought %d of %s", count, str(item).replace("\\r", "").replace("\\n", ""))' in fixed


@pytest.mark.parametrize("call", [
    'logging.info("user %s and %s", user)',  # fields and arguments do not line up
    'logging.info(FORMAT, user)',  # the fields are not in the call
    'logging.info("user %s", *[user])',  # which argument lands in which field is not in the text
    'logging.info("first line\\nuser " + user)',  # the message has line breaks of its own to keep
])
def test_log_calls_whose_fields_are_unclear_are_left_alone(analyze, call):
    text = code('''
        import logging

        FORMAT = "user %s"


        def main():
            user = input("user: ")
            CALL
    ''').replace("CALL", call)
    assert all(p is None for p in proposals(analyze, "log-newlines", text))


# --- escape-html ----------------------------------------------------------------------------------------

def test_format_method_fields_are_escaped(fix, analyze):
    text = code('''
        from flask import Flask, request

        app = Flask(__name__)


        @app.route("/greet")
        def greet():
            return "<p>Hi {}</p>".format(request.args.get("who"))
    ''')
    fixed = fixed_clean(fix, analyze, text, "escape-html")
    assert 'return "<p>Hi {}</p>".format(html.escape(str(request.args.get("who"))))' in fixed
    assert "import html\n" in fixed


@pytest.mark.parametrize("text", [
    pytest.param('''
        from flask import Flask, request

        app = Flask(__name__)


        @app.route("/list")
        def listing():
            q = request.args.get("q", "")
            items = "".join(f"<li>{x}</li>" for x in q.split(","))
            return f"<ul>{items}</ul>"
    ''', id="value-is-markup-itself"),
    pytest.param('''
        from flask import Flask, request

        app = Flask(__name__)


        @app.route("/raw")
        def raw():
            return request.data
    ''', id="bytes-returned-as-is"),
    pytest.param('''
        from flask import Flask, request

        app = Flask(__name__)


        @app.route("/debug")
        def debug():
            name = request.args.get("name")
            return f"<pre>{name!r}</pre>"
    ''', id="repr-conversion"),
])
def test_markup_that_escaping_would_break_is_left_alone(analyze, fix, text):
    text = code(text)
    assert all(p is None for p in proposals(analyze, "escape-html", text))
    assert fix(text).text == text


def test_no_escape_when_html_and_escape_are_both_taken(analyze):
    text = code('''
        def escape(text):
            return text


        def row(user):
            html = "<td>" + user + "</td>"
            return html
    ''')
    assert proposals(analyze, "escape-html", text) == [None]


# --- redirect-allow-list ------------------------------------------------------------------------------------

def test_redirect_to_a_url_built_in_place_is_left_alone(analyze, fix):
    text = code('''
        from flask import Flask, request, redirect

        app = Flask(__name__)


        @app.route("/out")
        def out():
            host = request.args.get("host")
            return redirect(f"https://{host}/welcome")
    ''')
    assert proposals(analyze, "redirect-allow-list", text) == [None]
    assert fix(text).text == text


def test_redirect_check_keeps_local_paths_and_refuses_other_sites():
    """The check the fix writes, run: a path on this site passes, anything a browser takes off-site does not."""
    example = FIX["redirect-allow-list"].examples[0].fixed
    check = [line.strip() for line in example.splitlines() if "next_url" in line and "request" not in line][:2]
    namespace: dict = {}
    exec(f"def allowed(next_url):\n    {check[0]}\n        {check[1]}\n    return next_url\n", namespace)
    allowed = namespace["allowed"]
    assert allowed("/account?tab=2") == "/account?tab=2"
    for hostile in ("https://evil.example", "//evil.example", "/\\evil.example", "javascript:alert(1)", "", None):
        assert allowed(hostile) == "/"
