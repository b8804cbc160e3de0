"""Security findings in a snippet: Bandit's tests, run in-process.

Bandit is the security check behind every suggestion (shell injection, weak
hashes, unsafe deserialisation, SQL built from strings, ...). Its command line
scans files; a subprocess per suggestion would cost far more than the check
itself, so this analyzer drives the same machinery Bandit's ``BanditManager``
uses for one file: a ``BanditNodeVisitor`` over the snippet with the
manager's test set, and ``# nosec`` / ``# nosec B602`` comments parsed by
Bandit's own parser, so suppressions behave exactly as on the command line.

The manager (and its test set) is slow to build, so it is built once per
analyzer and shared under a lock; everything per snippet is built fresh.
Bandit's 1-based lines and UTF-8 byte columns become 0-based lines and
code-point columns here.

Speed: Bandit's visitor calls its pre-visit, visit and post-visit hooks on
every node of the tree, building a context and running an (empty) test list
for names, loads, operators and the like, which are most of a snippet's
nodes and can never be reported. :class:`_SnippetVisitor` walks the same tree
in the same order and sets the same parent and sibling links the tests read,
but calls the hooks only for node types that have a visit method or tests,
and its tester (:class:`_LeanTester`) skips the ``# nosec`` lookup Bandit
makes after each test that found nothing, only to log it. The results are
Bandit's own (a test compares them with the stock visitor's on the fixture
corpus, the examples and the HumanEval solutions). The tree is the one
:func:`~secgen.analyzers.syntax.parse` already built for the other analyzers.

One correction to Bandit's own verdicts: B413 ("pyCrypto is no longer
maintained") fires on every ``import Crypto...``, but pycryptodome, the
maintained drop-in, installs the same ``Crypto`` package. Where ``Crypto``
resolves to pycryptodome in this environment, B413 is reported at low
severity (not blocking by default) with a message saying so; elsewhere it
stays as Bandit has it.
"""

from __future__ import annotations

import ast
import functools
import io
import logging
import os
import threading
import tokenize
import warnings

from secgen.analyzers.base import Source
from secgen.analyzers.finding import Confidence, Finding, Position, Range, Severity
from secgen.analyzers.syntax import char_column, clamp, parse, python_lines

_formatwarning = warnings.formatwarning
# Bandit loads its report formatters as plugins when imported; one whose extra is missing
# (sarif) is logged at ERROR by stevedore, although this analyzer never formats reports.
logging.getLogger("stevedore.extension").setLevel(logging.CRITICAL)
try:
    with warnings.catch_warnings():
        # stevedore, loading Bandit's plugins, deprecates an argument Bandit still passes.
        warnings.simplefilter("ignore", DeprecationWarning)
        from bandit.core import config as bandit_config
        from bandit.core import constants, docs_utils, metrics
        from bandit.core import context as b_context
        from bandit.core import tester as b_tester
        from bandit.core import manager as bandit_manager
        from bandit.core import node_visitor
except ImportError as exc:  # reported by available(), so only this analyzer is disabled
    _IMPORT_ERROR: str | None = (
        "bandit is not installed: pip install bandit"
        if (exc.name or "").partition(".")[0] == "bandit"
        else f"bandit cannot be imported: {exc}"
    )
else:
    _IMPORT_ERROR = None
finally:
    # Importing bandit swaps the process-wide warnings formatter for its own.
    warnings.formatwarning = _formatwarning

# Bandit also ranks "UNDEFINED"; no shipped test reports it.
_SEVERITY = {"LOW": Severity.LOW, "MEDIUM": Severity.MEDIUM, "HIGH": Severity.HIGH}
_CONFIDENCE = {"LOW": Confidence.LOW, "MEDIUM": Confidence.MEDIUM, "HIGH": Confidence.HIGH}


class BanditAnalyzer:
    name = "bandit"
    languages = frozenset({"python"})
    speed = "fast"

    def __init__(self, *, pruned: bool = True) -> None:
        self._pruned = pruned  # False: Bandit's own visitor and parse, the baseline `secgen bench latency` times
        self._lock = threading.Lock()
        self._manager = None
        self._urls: dict[str, str] = {}

    def available(self) -> str | None:
        return _IMPORT_ERROR

    def analyze(self, source: Source) -> list[Finding]:
        data = source.text.encode("utf-8", errors="surrogatepass")
        with self._lock:
            manager = self._manager or self._build_manager()
            try:
                tree = parse(source.text, source.path) if self._pruned else None
                issues = _run_tests(manager, tree, data, _visitor_filename(source.path))
            except (SyntaxError, ValueError):
                return []  # the syntax analyzer reports it
            lines = python_lines(source.text)
            return [self._finding(issue, lines) for issue in issues]

    def _build_manager(self):
        logging.getLogger("bandit").setLevel(logging.ERROR)  # its nosec parser warns about ordinary comment words
        self._manager = bandit_manager.BanditManager(bandit_config.BanditConfig(), "file")
        return self._manager

    def _finding(self, issue, lines: list[str]) -> Finding:
        severity, message = _SEVERITY.get(issue.severity, Severity.INFO), issue.text
        if issue.test_id == "B413" and (library := crypto_library()) is not None:
            severity = Severity.LOW
            message = (f"`Crypto` here is {library}, the maintained successor of the retired pyCrypto that "
                       f"Bandit's B413 warns about; use its modern modes (AES-GCM, PKCS#1 OAEP).")
        return Finding(
            analyzer=self.name,
            rule_id=issue.test_id,
            message=message,
            severity=severity,
            confidence=_CONFIDENCE.get(issue.confidence, Confidence.LOW),
            cwe=issue.cwe.id or None,
            range=_issue_range(issue, lines),
            extra={"test": issue.test, "more_info": self._more_info(issue.test_id)},
        )

    def _more_info(self, test_id: str) -> str:
        # get_url rewrites the shared blacklist entries it reads; called under the lock, once per id.
        if test_id not in self._urls:
            self._urls[test_id] = docs_utils.get_url(test_id)
        return self._urls[test_id]


@functools.lru_cache(maxsize=1)
def crypto_library() -> str | None:
    """``"pycryptodome"`` when the ``Crypto`` package installed here is pycryptodome (not pyCrypto), else None."""
    from importlib import metadata, util

    try:
        metadata.distribution("pycryptodome")
    except metadata.PackageNotFoundError:
        return None
    try:
        metadata.distribution("pycrypto")
        return None  # both installed: whichever wrote Crypto last wins; do not guess
    except metadata.PackageNotFoundError:
        pass
    return "pycryptodome" if util.find_spec("Crypto") is not None else None


def _visitor_filename(path: str | None) -> str:
    """The file name Bandit's log lines show; only the base name is kept.

    The visitor derives a module name from it: a bare name makes it log a
    warning, and a deep path makes it probe the disk for ``__init__.py`` files.
    """
    return "./" + (os.path.basename(path or "") or "snippet.py")


def _run_tests(manager, tree: ast.Module | None, data: bytes, filename: str) -> list:
    """What ``BanditManager._parse_file`` does for one file, minus the file and the bookkeeping.

    With no ``tree``, Bandit's own visitor parses ``data`` and visits every node (the baseline).
    """
    file_metrics = metrics.Metrics()
    file_metrics.begin(filename)
    visitor = (_SnippetVisitor if tree is not None else node_visitor.BanditNodeVisitor)(
        filename,
        io.BytesIO(data),
        manager.b_ma,
        manager.b_ts,
        manager.debug,
        _nosec_lines(data),
        file_metrics,
    )
    if tree is not None:
        visitor.check(tree)
    else:
        visitor.process(data)
    return sorted(visitor.tester.results, key=lambda i: (i.lineno, i.col_offset, i.test_id))


if _IMPORT_ERROR is None:

    class _SnippetVisitor(node_visitor.BanditNodeVisitor):
        """Bandit's node visitor, with its hooks called only where a test can run (see the module docstring)."""

        _HOOKED = frozenset(name[len("visit_"):] for name in dir(node_visitor.BanditNodeVisitor)
                            if name.startswith("visit_"))

        def __init__(self, *args) -> None:
            super().__init__(*args)
            self._active = self._HOOKED | frozenset(self.testset.tests)
            self.tester = _LeanTester(self.testset, self.debug, self.tester.nosec_lines, self.tester.metrics)

        def check(self, tree: ast.Module) -> None:
            """``BanditNodeVisitor.process`` on a tree parsed already: every node, then the whole-file tests."""
            self.generic_visit(tree)
            self.context = {"file_data": self.fdata, "filename": self.fname, "lineno": 0,
                            "linerange": [0, 1], "col_offset": 0}
            self.update_scores(self.tester.run_tests(self.context, "File"))

        def generic_visit(self, node: ast.AST) -> None:
            for name in node._fields:
                value = getattr(node, name, None)
                if type(value) is list:
                    last = len(value) - 1
                    for index, item in enumerate(value):
                        if isinstance(item, ast.AST):
                            self._enter(item, node, value[index + 1] if index < last else None)
                elif isinstance(value, ast.AST):
                    self._enter(value, node, None)

        def _enter(self, child: ast.AST, parent: ast.AST, sibling) -> None:
            # the links Bandit's tests read (the next list item, AST or not, is the sibling), then the hooks
            child._bandit_sibling = sibling
            child._bandit_parent = parent
            if child.__class__.__name__ in self._active:
                self.pre_visit(child)
                self.visit(child)
                self.generic_visit(child)
                self.post_visit(child)
            else:
                self.generic_visit(child)


if _IMPORT_ERROR is None:

    class _NodeContext(b_context.Context):
        """One node's context, read by every test that runs on it; the called function's names worked out once.

        Bandit gives each test its own copy of the context: no test (and no property of ``Context``)
        writes to it, and most of the call tests start by asking for the qualified name of the call
        (a property, looked up tens of thousands of times per snippet). Here the two names are plain
        attributes (class attributes that are not descriptors, so the instance's values are found
        before ``Context``'s properties).
        """

        call_function_name = call_function_name_qual = None

        def __init__(self, raw_context: dict) -> None:
            super().__init__(raw_context)
            self.call_function_name = b_context.Context.call_function_name.fget(self)
            self.call_function_name_qual = b_context.Context.call_function_name_qual.fget(self)

    class _LeanTester(b_tester.BanditTester):
        """Bandit's tester with less done per test that finds nothing (most of them, on most nodes).

        The tests of a node share one :class:`_NodeContext`; a result is completed, checked against
        ``# nosec`` and scored as Bandit's tester does. Left out: looking for a ``# nosec`` comment after
        a test that found nothing, which Bandit does only to log a warning (its log is set to errors),
        and the file test for bidirectional control characters (``trojansource``) on a text that has
        none of them.
        """

        def run_tests(self, raw_context, checktype):
            scores = {"SEVERITY": [0] * len(constants.RANKING), "CONFIDENCE": [0] * len(constants.RANKING)}
            context = _NodeContext(raw_context)
            for test, config in self._plan(checktype):
                if test is _TROJANSOURCE and not _has_bidi(raw_context["file_data"]):
                    continue
                try:
                    result = test(context) if config is _NO_CONFIG else test(context, config)
                    if result is not None and self._keep(result, test, raw_context):
                        for key, rank in (("SEVERITY", result.severity), ("CONFIDENCE", result.confidence)):
                            scores[key][constants.RANKING.index(rank)] += constants.RANKING_VALUES[rank]
                except Exception as exc:  # what Bandit's tester does with a test that breaks
                    self.report_error(test.__name__, context, exc)
                    if self.debug:
                        raise
            return scores

        def _plan(self, checktype: str) -> list:
            """The tests of a node type, each with its configuration: worked out once per test set."""
            plans = self.testset.__dict__.setdefault("_secgen_plans", {})
            if checktype not in plans:
                plans[checktype] = [(test, getattr(test, "_config", _NO_CONFIG))
                                    for test in self.testset.get_tests(checktype)]
            return plans[checktype]

        def _keep(self, result, test, context: dict) -> bool:
            """Fill in what the test left out, as Bandit does; False when a ``# nosec`` comment skips it."""
            skip = self._get_nosecs_from_contexts(context, test_result=result)
            filename = context["filename"]
            result.fname = filename.decode("utf-8") if isinstance(filename, bytes) else filename
            result.fdata = context["file_data"]
            if result.lineno is None:
                result.lineno = context["lineno"]
            if result.linerange == []:
                result.linerange = context["linerange"]
            if result.col_offset == -1:
                result.col_offset = context["col_offset"]
            result.end_col_offset = context.get("end_col_offset", 0)
            result.test = test.__name__
            if result.test_id == "":
                result.test_id = test._test_id
            if skip is not None:
                if not skip:
                    self.metrics.note_nosec()
                    return False
                if result.test_id in skip:
                    self.metrics.note_skipped_test()
                    return False
            self.results.append(result)
            return True


_NO_CONFIG = object()
if _IMPORT_ERROR is None:
    from bandit.plugins.trojansource import BIDI_CHARACTERS, trojansource as _TROJANSOURCE
    _BIDI = tuple(char.encode("utf-8") for char in BIDI_CHARACTERS)


def _has_bidi(file_data: io.BytesIO) -> bool:
    """Whether ``trojansource`` can report something: the text holds a character it looks for, in UTF-8
    or in the encoding a coding comment names."""
    data = file_data.getvalue()
    return b"coding" in data or any(char in data for char in _BIDI)


def _nosec_lines(data: bytes) -> dict[int, set[str] | None]:
    """Line number -> tests to skip there (an empty set skips all), as Bandit reads them."""
    nosec: dict[int, set[str] | None] = {}
    if b"nosec" not in data:
        return nosec  # Bandit's pattern is case-sensitive, so no comment here can suppress anything
    try:
        for token in tokenize.tokenize(io.BytesIO(data).readline):
            if token.type == tokenize.COMMENT:
                nosec[token.start[0]] = bandit_manager._parse_nosec_comment(token.string)
    except tokenize.TokenError:
        pass
    return nosec


def _issue_range(issue, lines: list[str]) -> Range:
    """Bandit's region as its SARIF formatter draws it: lineno/col to the last line of linerange."""
    first = min(max((issue.lineno or 1) - 1, 0), len(lines) - 1)
    start = clamp(lines, first, char_column(lines[first], max(issue.col_offset, 0)))
    last = max(issue.linerange or [issue.lineno or 1]) - 1
    last = min(max(last, start.line), len(lines) - 1)
    end = clamp(lines, last, char_column(lines[last], issue.end_col_offset or 0))
    if end <= start:
        end = Position(line=start.line, column=len(lines[start.line]))
    return Range(start=start, end=end)
