"""import-stdlib beyond its worked examples: one import for many uses, merging, the module/member choice,
and the undefined names it must leave to the model tiers."""

from __future__ import annotations

from dataclasses import replace

import pytest

from secgen.engine.fixes.base import Document
from secgen.engine.fixes.imports import IMPORT_STDLIB


def _proposals(text, analyze):
    doc = Document(text)
    return [IMPORT_STDLIB.apply(doc, f) for f in analyze(text) if f.rule_id == "F821"]


def test_many_uses_of_a_module_make_one_import(analyze, fix):
    text = "def area(r):\n    return math.pi * r ** 2 + math.floor(r) - math.ceil(r)\n"
    assert len(_proposals(text, analyze)) == 3
    outcome = fix(text)
    assert outcome.text == "import math\n" + text and not outcome.findings


def test_a_finding_after_the_import_is_there_gets_none(analyze):
    text = "import math\n\n\ndef f(x):\n    return math.sqrt(x) + undefined_thing\n"
    doc = Document(text)
    finding = next(f for f in analyze(text) if f.rule_id == "F821")
    assert IMPORT_STDLIB.apply(doc, replace(finding, message="undefined name 'math'")) is None


CASES = {
    "typing-merge": ("from typing import List\n\n\n"
                     "def f(xs: List[int]) -> Optional[Dict[str, int]]:\n    return None\n",
                     "from typing import List, Dict, Optional\n\n\n"
                     "def f(xs: List[int]) -> Optional[Dict[str, int]]:\n    return None\n"),
    "string-annotation": ('import os\n\n\ndef f(x: "Union[int, str]"):\n    return os.sep, x\n',
                          'import os\nfrom typing import Union\n\n\n'
                          'def f(x: "Union[int, str]"):\n    return os.sep, x\n'),
    "member": ("import sys\n\n\ndef top(words):\n    return Counter(words).most_common(1), sys.argv\n",
               "import sys\nfrom collections import Counter\n\n\n"
               "def top(words):\n    return Counter(words).most_common(1), sys.argv\n"),
    "submodules": ("def fetch(url):\n    return urllib.parse.quote(url), urllib.request.Request(url)\n",
                   "import urllib.parse\nimport urllib.request\n"
                   "def fetch(url):\n    return urllib.parse.quote(url), urllib.request.Request(url)\n"),
    "datetime-module": ("def tomorrow():\n    return datetime.date.today() + datetime.timedelta(days=1)\n",
                        "import datetime\n"
                        "def tomorrow():\n    return datetime.date.today() + datetime.timedelta(days=1)\n"),
    "datetime-class": ("def stamp():\n    return datetime.now().isoformat()\n",
                       "from datetime import datetime\ndef stamp():\n    return datetime.now().isoformat()\n"),
    "time-function": ("def elapsed(start):\n    return time() - start\n",
                      "from time import time\ndef elapsed(start):\n    return time() - start\n"),
}


@pytest.mark.parametrize(("text", "fixed"), CASES.values(), ids=CASES.keys())
def test_import_stdlib(text, fixed, fix):
    outcome = fix(text)
    assert outcome.text == fixed, outcome.rejected
    assert not any(f.rule_id == "F821" for f in outcome.findings)


LEFT_ALONE = {
    "third-party": "def total(xs):\n    return np.sum(xs) + pd.Series(xs).sum()\n",
    # Module names that are really forgotten variables: the attribute is not the module's.
    "string-method": "def shout(s):\n    return string.upper()\n",
    "list-method": "def push(x):\n    queue.append(x)\n    return x\n",
    "passed-around": "def dump(obj):\n    return serialize(json, obj)\n",
    "mixed-datetime": "def both():\n    return datetime.now(), datetime.date.today()\n",
    "bound-elsewhere": "def a():\n    math = 3\n    return math\n\n\ndef b():\n    return math.floor(2.5)\n",
    "private": "def f():\n    return _thread.get_ident()\n",
}


@pytest.mark.parametrize("text", LEFT_ALONE.values(), ids=LEFT_ALONE.keys())
def test_import_stdlib_declines(text, analyze, fix):
    assert _proposals(text, analyze)
    assert not any(_proposals(text, analyze))
    assert fix(text).text == text
