"""The library-call fixes beyond their worked examples: shapes they must leave to the model tiers, shapes
they rewrite in one go, and a rewrite the function guard refuses. Real analyzers throughout."""

from __future__ import annotations

import pytest

from secgen.analyzers import SeverityPolicy
from secgen.engine.fixes.apis import FIXES, stat_expression, words
from secgen.engine.fixes.xml import FIXES as XML_FIXES
from secgen.engine.fixes.base import Document

BY_NAME = {f.name: f for f in FIXES + XML_FIXES}


@pytest.fixture(scope="module")
def proposal(analyze):
    """``proposal(fix name, text, context="")``: the fix's own edits for the first blocking finding it covers."""
    def run(name: str, text: str, context: str = ""):
        fix_ = BY_NAME[name]
        flagged = [f for f in SeverityPolicy().blocking(analyze(text)) if f.rule_id in fix_.rules]
        assert flagged, f"not flagged: {analyze(text)}"
        return fix_.apply(Document(text, context=context), flagged[0])
    return run


LEFT_ALONE = [
    # yaml: BaseLoader reads every scalar as a string, safe_load would type them; an unknown loader may be safe
    ("yaml-safe-load", "import yaml\n\ndef f(t):\n    return yaml.load(t, Loader=yaml.BaseLoader)\n", ""),
    ("yaml-safe-load", "import yaml\nfrom app import MyLoader\n\ndef f(t):\n"
                       "    return yaml.load(t, Loader=MyLoader)\n", ""),
    # defusedxml's fromstring takes no parser; its sax.parseString reads bytes only
    ("defusedxml", "import xml.etree.ElementTree as ET\n\ndef f(t, p):\n    return ET.fromstring(t, parser=p)\n", ""),
    ("defusedxml", "import xml.sax\n\ndef f(text, handler):\n    xml.sax.parseString(text, handler)\n", ""),
    # lxml's iterparse has no parser argument
    ("lxml-safe-parser", "from lxml import etree\nfrom flask import request\n\ndef f():\n"
                         "    for ev, el in etree.iterparse(request.stream):\n        print(el)\n", ""),
    # mkstemp creates the file: code that needs the name free, or a shape with no name to close, is not rewritten
    ("secure-tempfile", "import tempfile\n\ndef f():\n    return tempfile.mktemp()\n", ""),
    ("secure-tempfile", "import os\nimport tempfile\n\ndef f():\n    d = tempfile.mktemp()\n    os.mkdir(d)\n"
                        "    return d\n", ""),
    ("secure-tempfile", "import subprocess\nimport tempfile\n\ndef f(url):\n    out = tempfile.mktemp()\n"
                        "    subprocess.run([\"curl\", \"-o\", out, url], check=True)\n    return out\n", ""),
    ("secure-tempfile", "import tempfile\n\ndef f(data):\n    path = tempfile.mktemp()\n"
                        "    with open(path, \"x\") as fh:\n        fh.write(data)\n    return path\n", ""),
    ("secure-tempfile", "import tempfile\n\ndef f():\n    path = tempfile.mktemp(); print(path)\n", ""),
    ("secure-tempfile", "from tempfile import mktemp\n\ndef f():\n    name = mktemp()\n    return name\n", ""),
    # **kwargs may already carry a timeout
    ("requests-timeout", "import requests\n\ndef f(url, **kw):\n    return requests.get(url, **kw)\n", ""),
    # a plain-text template must not be HTML-escaped; a variable autoescape is the caller's choice
    ("jinja2-autoescape", "import jinja2\n\ndef f(name):\n    env = jinja2.Environment(loader=jinja2.FileSystemLoader"
                          "(\"t\"))\n    return env.get_template(\"mail.txt\").render(name=name)\n", ""),
    ("jinja2-autoescape", "import jinja2\n\ndef make(escape):\n    return jinja2.Environment(autoescape=escape)\n", ""),
    # only literal modes are rewritten
    ("chmod-least-privilege", "import os\nMODE = 0o777\n\ndef f(p):\n    os.chmod(p, MODE)\n", ""),
    # eval of expressions: literal_eval("2+3") raises
    ("eval-literal", "def calc(expr):\n    return eval(expr)\n", ""),
    ("eval-literal", "def f():\n    return eval(\"2+3\")\n", ""),
    ("eval-literal", "def parse(data):\n    return eval(data, {\"__builtins__\": {}})\n", ""),
    ("eval-literal", "def handle(line):\n    return eval(line)\n",
     "Write a calculator that evaluates the arithmetic the user types."),
    ("eval-literal", "def parse_value(a, b):\n    return eval(f\"{a} + {b}\")\n", ""),
    ("eval-literal", "def main():\n    x = eval(input(\"> \"))\n    print(x)\n", ""),
    ("eval-literal", "def main():\n    line = input(\"Enter a line: \")\n    result = eval(line)\n"
                     "    print(result)\n", ""),
    ("eval-literal", "import math\n\ndef main():\n    v = eval(input(\"value: \"))\n    print(math.sqrt(v))\n", ""),
]


@pytest.mark.parametrize(("name", "text", "context"), LEFT_ALONE,
                         ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(LEFT_ALONE)])
def test_shape_is_left_to_the_model(name, text, context, proposal, fix):
    assert proposal(name, text, context) is None
    outcome = fix(text, context=context)
    # an expression eval is eval-arithmetic's (engine/fixes/arithmetic.py), never eval-literal's
    assert name not in outcome.applied and (outcome.text == text or outcome.applied == ("eval-arithmetic",))


def test_exec_is_never_rewritten(fix):
    text = "def run(code):\n    exec(code)\n"
    assert fix(text).text == text


def test_guard_refuses_an_import_swap_that_leaves_a_name_undefined(fix):
    # Every `xml.etree.ElementTree.*` use is a parse defusedxml has, so the import is swapped; but `xml`
    # itself is used too, and without `import xml.etree.ElementTree` it is undefined.
    text = ("import xml.etree.ElementTree\n\ndef parse(text):\n    return xml.etree.ElementTree.fromstring(text)\n\n"
            "def kind():\n    return xml.__name__\n")
    outcome = fix(text)
    assert outcome.text == text
    assert outcome.rejected["defusedxml"].startswith("guard:") and "xml" in outcome.rejected["defusedxml"]


def test_one_import_swap_fixes_every_parse_call(fix, analyze):
    text = ("import xml.etree.ElementTree\n\ndef f(t):\n    return xml.etree.ElementTree.fromstring(t)\n\n"
            "def g(path):\n    try:\n        return xml.etree.ElementTree.parse(path).getroot()\n"
            "    except xml.etree.ElementTree.ParseError:\n        return None\n")
    outcome = fix(text)
    assert outcome.text == text.replace("xml.etree.ElementTree", "defusedxml.ElementTree")
    assert not {f.rule_id for f in analyze(outcome.text)} & BY_NAME["defusedxml"].rules


def test_from_import_keeps_the_builders_from_the_stdlib(fix):
    text = ("from xml.etree.ElementTree import fromstring, Element\n\ndef f(t):\n    root = fromstring(t)\n"
            "    root.append(Element(\"x\"))\n    return root\n")
    assert fix(text).text == text.replace(
        "from xml.etree.ElementTree import fromstring, Element\n",
        "from xml.etree.ElementTree import Element\nfrom defusedxml.ElementTree import fromstring\n")


def test_yaml_loader_imported_by_name_goes_with_it(fix, analyze):
    text = "import yaml\nfrom yaml import FullLoader, YAMLError\n\ndef f(t):\n" \
           "    try:\n        return yaml.load(t, Loader=FullLoader)\n    except YAMLError:\n        return None\n"
    outcome = fix(text)
    assert outcome.text == text.replace("FullLoader, ", "").replace("yaml.load(t, Loader=FullLoader)",
                                                                     "yaml.safe_load(t)")
    assert not analyze(outcome.text)


def test_timeout_and_verify_on_one_call_are_both_fixed(fix):
    text = "import requests\n\ndef f(url, data):\n    return requests.post(url, data=data, verify=False)\n"
    outcome = fix(text)
    assert set(outcome.applied) == {"requests-timeout", "requests-verify"}
    assert outcome.text == text.replace("data=data, verify=False", "data=data, timeout=10")


def test_tempfile_at_the_end_of_a_file_without_newline(fix):
    text = "import tempfile\n\npath = tempfile.mktemp(\".log\")"
    assert fix(text).text == "import tempfile\nimport os\n\nfd, path = tempfile.mkstemp(\".log\")\nos.close(fd)"


@pytest.mark.parametrize(("text", "fixed"), [
    ("import os\n\ndef f(p):\n    os.chmod(p, 511)\n", "import os\n\ndef f(p):\n    os.chmod(p, 0o744)\n"),
    ("from pathlib import Path\n\ndef f(p):\n    Path(p).chmod(0o777)\n",
     "from pathlib import Path\n\ndef f(p):\n    Path(p).chmod(0o744)\n"),
    ("import os\n\ndef f(p):\n    fd = os.open(p, os.O_CREAT | os.O_WRONLY, 0o777)\n    os.close(fd)\n",
     "import os\n\ndef f(p):\n    fd = os.open(p, os.O_CREAT | os.O_WRONLY, 0o755)\n    os.close(fd)\n"),
])
def test_chmod_modes_lose_only_the_flagged_bits(text, fixed, fix):
    assert fix(text).text == fixed


def test_stat_expression_names_each_bit():
    assert stat_expression("stat", 0o744) == "stat.S_IRWXU | stat.S_IRGRP | stat.S_IROTH"
    assert stat_expression("st", 0o4750) == "st.S_ISUID | st.S_IRWXU | st.S_IRGRP | st.S_IXGRP"
    assert stat_expression("stat", 0) == "0"


def test_words_split_identifiers_and_prose():
    assert words("parseConfig_line: Enter a list") == {"parse", "config", "line", "enter", "a", "list"}
