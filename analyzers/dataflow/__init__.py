"""Where data goes: a taint analyzer for Python, driven by rule files.

Bandit and the ICD look at one call at a time. Most vulnerabilities small
models write are about flows: a file name from the request joined onto a
directory and opened (CWE-22), a parameter interpolated into HTML (79), a URL
built from user input and fetched (918). ``DataflowAnalyzer`` (registry name
``dataflow``) follows values from sources to sinks in one in-process pass
over the AST per function (:mod:`secgen.analyzers.dataflow.taint`), with summaries of
the file's own functions, and reports each flow with the category id as the
rule id (``path-injection``), the category's CWE, and a one-sentence message
naming the variable and the sink and saying what a fix looks like, which is
what the model reads in the repair round. It also runs the pattern rules of
the categories Bandit misses variants of (``jwt.decode`` with verification
off, ``Path.mkdir(mode=0o777)``, nested-quantifier regexes...). The rules
are data (``analyzers/dataflow/rules/*.yaml``, :mod:`secgen.analyzers.dataflow.loader`).

Sources are the request objects of Flask (``request.args``...), Django (a
``request`` parameter) and FastAPI (route handlers' parameters, a
``Request`` parameter), ``input()``, ``sys.argv`` and ``argparse`` results,
``os.environ`` / ``os.getenv``, and the parameters of the function being
written. The command line and the environment are local sources (whoever runs
a tool chooses them): their findings are capped at low severity, so they
inform but never block. A completion is a function whose callers are unknown,
so its parameters are untrusted, except (``secgen.analyzers.dataflow.params``):

* parameters named like infrastructure or numbers (``self``, ``cls``,
  ``conn``, ``cursor``, ``db``, ``session``, ``logger``, ``app``,
  ``client``, ``config``, ``n``, ``count``, ``timeout``... the list is
  ``parameters.trusted_names`` in ``rules/_common.yaml``);
* parameters annotated with a non-string type: ``int``, ``float``,
  ``bool``, dates, ``UUID``, ``Callable``, infrastructure classes, and
  containers and unions of those (``list[int]``, ``Optional[float]``);
* parameters whose default is a number or a bool (``retries=3``), and
  FastAPI dependencies (``= Depends(...)``);
* parameters of a function that is called elsewhere in the same file: its
  callers are known, so the flows are checked through the function's summary
  instead (an argument from ``request.args`` that reaches ``open()`` inside
  the helper is reported at that ``open()``, naming ``request.args``).

Parameters of route handlers are request data, not ``parameter`` sources,
unless typed (``<int:id>``, ``count: int``). Parameter sources are weaker
evidence than the request: their findings have at most medium confidence, and
each rule says in ``parameters:`` what a flow from one must look like to
count, so that ordinary helpers stay quiet. A helper whose job is to open the
path it is given (``def load(path): open(path)``) is not reported; a
parameter joined onto a base directory and opened is (``require: {shape:
joined}``). A parameter reaches SQL only when it was built into text that
reads as SQL, a shell only when it was built into the command line, HTML only
when it was built into markup with an HTML element around it, a URL only when
it supplies the host. Where Bandit already blocks the call whatever its
argument (``eval``/``exec``, ``pickle``/``yaml.load``), and for log lines,
regexes and partial SSRF, parameter findings are low severity; redirects and
NoSQL (unless the value was decoded from JSON) ignore parameters.

Precision, measured on code that is not expected to be vulnerable (findings
per 1,000 lines, with this module's rules as of issue 9):

* HumanEval's 164 canonical solutions (prompt + solution, 3,361 lines): one
  finding, 0.30 per 1,000 lines, none at severity medium or above:
  HumanEval/160 builds an expression from its ``operator`` and ``operand``
  parameters and ``eval``s it, reported at low severity (Bandit's B307
  reports the ``eval`` too);
* the stdlib's json, csv, argparse, pathlib and email packages (15,940
  lines): three findings, 0.19 per 1,000 lines, all low severity:
  ``json/tool.py`` opens the output file named on its command line
  (``argv`` is a low-severity source), and argparse's
  ``_get_nargs_pattern`` builds a regex from an action's ``nargs``, which
  ``_match_argument`` then matches (a parameter built into a pattern, low).

Beyond those corpora, HTML-building helpers whose inputs are trusted
(``pydoc``'s HTML writer) are reported by the parameter-in-markup rule: the
analyzer cannot know that every caller escapes first.

Suppression works as with Bandit: a ``# nosec`` comment on a line that a
finding starts or ends on silences every finding there, and ``# nosec
path-injection`` (ids separated by commas or spaces; Bandit's own ``B602``
style ids may sit beside them) silences only those categories.

A file with a syntax error gives no findings (the ``syntax`` analyzer reports
it), and a pathological one (nesting deep enough to exhaust the recursion
limit) gives none either rather than an exception. A malformed rule file
raises :class:`~secgen.analyzers.dataflow.loader.RuleError` when the analyzer is built,
which the registry reports as a failed analyzer.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

from secgen.analyzers.base import Source
from secgen.analyzers.finding import Finding, Position, Range
from secgen.analyzers.dataflow.loader import RuleSet, default_rules, load_rules
from secgen.analyzers.dataflow.taint import RawFinding, analyze_module
from secgen.analyzers.syntax import char_column, clamp, parse, python_lines


class DataflowAnalyzer:
    name = "dataflow"
    languages = frozenset({"python"})
    speed = "fast"

    def __init__(self, rules_dir: Path | str | None = None) -> None:
        self.rules: RuleSet = default_rules() if rules_dir is None else load_rules(rules_dir)

    def available(self) -> str | None:
        return None

    def analyze(self, source: Source) -> list[Finding]:
        try:
            tree = parse(source.text, source.path)
            raw = analyze_module(self.rules, tree, source.text)
        except (SyntaxError, ValueError):
            return []  # the syntax analyzer reports it
        except RecursionError:  # nesting deeper than the parser or the walk can follow: nothing to say
            return []
        lines = python_lines(source.text)
        findings = [self._finding(item, lines) for item in raw]
        nosec = nosec_lines(source.text)
        if nosec:
            findings = [f for f in findings if not _suppressed(f, nosec)]
        findings.sort(key=lambda f: (f.range.start, f.rule_id))
        return findings

    def _finding(self, item: RawFinding, lines: list[str]) -> Finding:
        return Finding(
            analyzer=self.name,
            rule_id=item.rule.category,
            message=item.message,
            severity=item.severity,
            confidence=item.confidence,
            cwe=item.rule.cwe,
            range=_node_range(item.node, lines),
            extra=dict(item.extra),
        )


_NOSEC = re.compile(r"#\s*nosec\b(.*)")


def nosec_lines(text: str) -> dict[int, frozenset[str] | None]:
    """0-based line -> the ids its ``# nosec`` comment names (``None``: a bare ``# nosec``, everything)."""
    if "nosec" not in text:
        return {}
    found: dict[int, frozenset[str] | None] = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT and (match := _NOSEC.search(token.string)):
                ids = frozenset(w for w in re.split(r"[\s,]+", match.group(1)) if w and not w.startswith("#"))
                found[token.start[0] - 1] = ids or None
    except (tokenize.TokenError, SyntaxError):
        pass  # the file parsed, so this is rare (a form feed, say); keep what was read
    return found


def _suppressed(finding: Finding, nosec: dict[int, frozenset[str] | None]) -> bool:
    for line in {finding.range.start.line, finding.range.end.line}:
        if line in nosec and (nosec[line] is None or finding.rule_id in nosec[line]):
            return True
    return False


def _node_range(node: ast.AST, lines: list[str]) -> Range:
    """The node's span in 0-based lines and code-point columns (``ast`` counts UTF-8 bytes)."""
    first = min(max(getattr(node, "lineno", 1) - 1, 0), len(lines) - 1)
    start = clamp(lines, first, char_column(lines[first], getattr(node, "col_offset", 0) or 0))
    last = min(max((getattr(node, "end_lineno", None) or first + 1) - 1, first), len(lines) - 1)
    end = clamp(lines, last, char_column(lines[last], getattr(node, "end_col_offset", None) or 0))
    if end <= start:
        end = Position(line=start.line, column=len(lines[start.line]))
    return Range(start=start, end=end)
