"""The fixture corpus of ``secgen bench analyzers``: weakness categories, and files that say what they contain.

``bench/data/flows/<category>/`` holds, for every category below, small
Python files in the shapes small models write (Flask, Django and FastAPI
views, helpers with parameters, scripts reading ``input()`` or ``sys.argv``):
``vulnerable_<n>.py`` has the flaw, ``fixed_<n>.py`` is the same task done
safely. The files are analyzed, never run or imported (they are package data,
and outside pytest's ``testpaths``). Each one opens with a header::

    # expect: path-injection line 14          a vulnerable file: the 1-based line of the sink
    # expect: sql-injection line 17, 18       more than one line when the flaw shows in more than one
                                               statement (the query built on one, run on the next)
    # expect: none                            a fixed file, and on the next line what makes it safe:
    # safe: realpath + commonpath keep the path under UPLOAD_DIR

``bench/data/flows-holdout/`` has the same layout, two vulnerable and two
fixed files per category, written blind: by a writer who saw neither the
analyzer's rules nor this corpus (``secgen bench analyzers --corpus
bench/data/flows-holdout``). It is the fair test of recall and false alarms;
the main corpus was written alongside the analyzer.

The categories are the data-flow analyzer's rule ids (issue 9), after
CodeQL's Python security queries, each with the CWE its rule file names
(``cwe:`` in ``analyzers/dataflow/rules/<id>.yaml``, read from there, never
restated here). ``related_cwes`` and
``related_rules`` say which findings of *other* tools name the same weakness:
Bandit files ``eval`` under CWE-78 and its XML parser warnings under CWE-20,
ICD files MD5 under CWE-328, and so on (see :meth:`Category.relevant`).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from secgen.analyzers import Finding
from secgen.analyzers.dataflow.loader import category_cwes

CORPUS_ROOT = Path(__file__).resolve().parent / "data" / "flows"
TARGETED = frozenset({"dataflow"})  # analyzers whose rule ids are the categories themselves


@dataclass(frozen=True, kw_only=True)
class Category:
    id: str
    cwe: int
    flow: bool  # a source-to-sink flaw, or one visible in a single call or constant
    related_cwes: frozenset[int] = frozenset()
    related_rules: frozenset[str] = frozenset()

    def relevant(self, finding: Finding) -> bool:
        """Whether ``finding`` names this weakness: by rule id, by this CWE, or by a CWE or rule that means it."""
        return (finding.rule_id == self.id or finding.rule_id in self.related_rules
                or (finding.cwe is not None and (finding.cwe == self.cwe or finding.cwe in self.related_cwes)))


_RULE_CWES = category_cwes()  # the CWE of each category is its rule file's (``cwe:``), not restated here


def _category(id: str, flow: bool, cwes: tuple[int, ...] = (), rules: tuple[str, ...] = ()) -> Category:
    if id not in _RULE_CWES:
        raise LookupError(f"bench category {id!r} has no rule file, analyzers/dataflow/rules/{id}.yaml, to say its CWE")
    return Category(id=id, cwe=_RULE_CWES[id], flow=flow, related_cwes=frozenset(cwes), related_rules=frozenset(rules))


# Bandit's XML parser calls (B313-B320) and imports (B405-B410), filed under CWE-20.
_BANDIT_XML = tuple(f"B{n}" for n in (*range(313, 321), *range(405, 411)))

CATEGORIES: tuple[Category, ...] = (
    _category("path-injection", True, (23, 36, 73)),
    _category("command-line-injection", True, (77, 88)),
    _category("code-injection", True, (95,), ("B307", "B102")),  # Bandit: eval and exec as CWE-78
    _category("sql-injection", True, (564,)),
    _category("nosql-injection", True),
    _category("xpath-injection", True),
    _category("ldap-injection", True),
    _category("reflective-xss", True, (80,)),
    _category("ssrf", True),
    _category("url-redirection", True),
    _category("log-injection", True, (93,)),
    _category("xxe", True, (776, 827), _BANDIT_XML),
    _category("unsafe-deserialization", True, (), ("B506",)),  # Bandit: yaml.load as CWE-20
    _category("regex-injection", True, (1333, 625)),
    _category("clear-text-logging-sensitive-data", True, (532, 359)),
    _category("clear-text-storage-sensitive-data", True, (315, 359, 256)),
    _category("stack-trace-exposure", True, (497,)),
    _category("weak-sensitive-data-hashing", True, (327, 328, 759, 760)),  # Bandit B324, ICD's MD5 rules
    _category("polynomial-redos", False, (730,)),
    _category("insecure-temporary-file", False, (378, 379)),
    _category("overly-permissive-file", False, (276, 281)),
    _category("weak-crypto-key", False),
    _category("weak-cryptographic-algorithm", False, (328,)),
    _category("jwt-missing-verification", False),
    _category("insecure-protocol", False, (757,)),
    _category("request-without-cert-validation", False, (297,)),
    _category("flask-debug", False, (489,), ("B201",)),  # Bandit: Flask debug as CWE-94
    _category("hardcoded-credentials", False, (259, 321)),
    _category("bind-socket-all-network-interfaces", False, (605, 1327)),
)
BY_ID = {c.id: c for c in CATEGORIES}


class CorpusError(ValueError):
    """A corpus file that does not say, or does not match, what it contains."""


@dataclass(frozen=True, kw_only=True)
class CorpusFile:
    category: str
    name: str  # "path-injection/vulnerable_1.py"
    vulnerable: bool
    text: str
    expected_lines: tuple[int, ...] = ()  # 1-based sink lines; none in a fixed file
    safe: str = ""  # a fixed file's "# safe:" note

    @property
    def kind(self) -> str:
        return "vulnerable" if self.vulnerable else "fixed"

    def spans(self) -> tuple[tuple[int, int], ...]:
        """For each expected line, the 1-based first and last line of the statement it is in."""
        tree = ast.parse(self.text)
        return tuple(statement_span(tree, line) for line in self.expected_lines)


_EXPECT = re.compile(r"#\s*expect:\s*(?:(?P<none>none)|(?P<category>[a-z0-9-]+)\s+lines?\s+(?P<lines>\d+(?:\s*,\s*\d+)*))\s*$")
_SAFE = re.compile(r"#\s*safe:\s*(?P<note>\S.*)$")
_FILE = re.compile(r"(?P<kind>vulnerable|fixed)_(?P<n>\d+)\.py")


def parse_header(text: str, name: str = "<text>") -> tuple[str | None, tuple[int, ...], str]:
    """``(category, lines, safe note)`` from a corpus file's header: ``(None, (), note)`` for a fixed file."""
    lines = text.splitlines()
    match = _EXPECT.fullmatch(lines[0].strip()) if lines else None
    if match is None:
        raise CorpusError(f"{name}: line 1 is not '# expect: <category> line <N>' or '# expect: none'")
    if match["none"]:
        safe = _SAFE.fullmatch(lines[1].strip()) if len(lines) > 1 else None
        if safe is None:
            raise CorpusError(f"{name}: a fixed file's line 2 must be '# safe: <what makes it safe>'")
        return None, (), safe["note"].strip()
    if match["category"] not in BY_ID:
        raise CorpusError(f"{name}: unknown category {match['category']!r}")
    return match["category"], tuple(int(n) for n in match["lines"].split(",")), ""


def statement_span(tree: ast.Module, line: int) -> tuple[int, int]:
    """The 1-based line span of the innermost statement at ``line``; a compound statement's header only.

    ``with open(path) as f:`` spans its header lines, not its body; a call split over three lines spans three.
    A line outside every statement (a decorator, a comment) spans itself.
    """
    best = (line, line)
    best_size = None
    for node in ast.walk(tree):
        if not isinstance(node, ast.stmt):
            continue
        first, last = node.lineno, node.end_lineno or node.lineno
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
            last = max(first, body[0].lineno - 1)  # the header: up to the first statement of the body
        if first <= line <= last and (best_size is None or last - first < best_size):
            best, best_size = (first, last), last - first
    return best


def read_file(path: Path, root: Path) -> CorpusFile:
    """One corpus file, checked: its name, its header, its category folder, and lines that hold code."""
    name = path.relative_to(root).as_posix()
    file_match = _FILE.fullmatch(path.name)
    if file_match is None:
        raise CorpusError(f"{name}: corpus files are named vulnerable_<n>.py or fixed_<n>.py")
    text = path.read_text(encoding="utf-8")
    try:
        tree = ast.parse(text, filename=name)
    except SyntaxError as exc:
        raise CorpusError(f"{name}: not valid Python: {exc.msg} (line {exc.lineno})") from None
    category, lines, safe = parse_header(text, name)
    vulnerable = file_match["kind"] == "vulnerable"
    if vulnerable != (category is not None):
        raise CorpusError(f"{name}: a {file_match['kind']} file's header must be "
                          + ("'# expect: <category> line <N>'" if vulnerable else "'# expect: none'"))
    if category is not None and category != path.parent.name:
        raise CorpusError(f"{name}: its header names {category!r}, its folder {path.parent.name!r}")
    source_lines = text.splitlines()
    code_lines = {n for node in ast.walk(tree) if isinstance(node, ast.stmt)
                  for n in range(node.lineno, (node.end_lineno or node.lineno) + 1)}
    for line in lines:
        if not 1 <= line <= len(source_lines) or line not in code_lines or not source_lines[line - 1].strip():
            raise CorpusError(f"{name}: expected line {line} holds no code")
    return CorpusFile(category=path.parent.name, name=name, vulnerable=vulnerable, text=text,
                      expected_lines=lines, safe=safe)


def _order(path: Path) -> tuple[bool, int, str]:
    match = _FILE.fullmatch(path.name)
    return (match is None or match["kind"] != "vulnerable", int(match["n"]) if match else 0, path.name)


def load_corpus(root: Path | None = None, categories: tuple[Category, ...] = CATEGORIES) -> list[CorpusFile]:
    """Every corpus file under ``root``, in category order, vulnerable before fixed, by number."""
    root = Path(root) if root is not None else CORPUS_ROOT
    if not root.is_dir():
        raise CorpusError(f"no corpus at {root}")
    known = {c.id for c in categories}
    unknown = sorted(p.name for p in root.iterdir() if p.is_dir() and p.name not in known and not p.name.startswith(("_", ".")))
    if unknown:
        raise CorpusError(f"{root}: folders that are no category: {', '.join(unknown)}")
    files = []
    for category in categories:
        folder = root / category.id
        paths = sorted(folder.glob("*.py")) if folder.is_dir() else []
        paths.sort(key=_order)
        files.extend(read_file(p, root) for p in paths)
    return files


# -- the scoring rule (see secgen.bench.analyzers) -------------------------------------------


def _touches(finding: Finding, first: int, last: int) -> bool:
    """Whether the finding's lines meet the 1-based lines ``first..last``."""
    return finding.range.start.line + 1 <= last and finding.range.end.line + 1 >= first


def hits(file: CorpusFile, findings: Iterable[Finding]) -> list[Finding]:
    """The findings that find ``file``'s flaw: any finding on an expected line, or one that names the
    category within the statement at an expected line."""
    category = BY_ID[file.category]
    spans = file.spans()
    return [f for f in findings
            if any(_touches(f, line, line) for line in file.expected_lines)
            or (category.relevant(f) and any(_touches(f, first, last) for first, last in spans))]


def false_alarms(file: CorpusFile, findings: Iterable[Finding], analyzer: str) -> list[Finding]:
    """The findings that are false alarms on the fixed ``file``: those that name its category, anywhere;
    for a :data:`TARGETED` analyzer, all of them."""
    if analyzer in TARGETED:
        return list(findings)
    return [f for f in findings if BY_ID[file.category].relevant(f)]
