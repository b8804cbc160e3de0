"""Logical errors in a snippet that parses: pyflakes, run in-process.

Generated code often calls a name it never defined or imports what it never
uses. pyflakes finds both without importing or running anything, fast enough
to check every suggestion. Its messages get flake8's ``F`` codes, so a rule id
reads the same here as in a project's flake8 config.

Severity follows the design card: the findings that mean the code will fail at
run time (an undefined name, ``return`` outside a function, a duplicate
argument, ...) are ``ERROR`` and block a suggestion; style and hygiene findings
(unused imports and variables, redefinitions) are ``LOW`` and are only shown.
Text that does not parse yields nothing here: the syntax analyzer reports it.
"""

from __future__ import annotations

from pyflakes import checker as pyflakes_checker
from pyflakes import messages as pyflakes_messages

from secgen.analyzers.base import Source
from secgen.analyzers.finding import Confidence, Finding, Position, Range, Severity
from secgen.analyzers.syntax import char_column, clamp, parse, python_lines

# flake8's own table (flake8/plugins/pyflakes.py); a message class missing
# here (a newer pyflakes) falls back to its class name.
FLAKE8_CODES = {
    "UnusedImport": "F401",
    "ImportShadowedByLoopVar": "F402",
    "ImportStarUsed": "F403",
    "LateFutureImport": "F404",
    "ImportStarUsage": "F405",
    "ImportStarNotPermitted": "F406",
    "FutureFeatureNotDefined": "F407",
    "PercentFormatInvalidFormat": "F501",
    "PercentFormatExpectedMapping": "F502",
    "PercentFormatExpectedSequence": "F503",
    "PercentFormatExtraNamedArguments": "F504",
    "PercentFormatMissingArgument": "F505",
    "PercentFormatMixedPositionalAndNamed": "F506",
    "PercentFormatPositionalCountMismatch": "F507",
    "PercentFormatStarRequiresSequence": "F508",
    "PercentFormatUnsupportedFormatCharacter": "F509",
    "StringDotFormatInvalidFormat": "F521",
    "StringDotFormatExtraNamedArguments": "F522",
    "StringDotFormatExtraPositionalArguments": "F523",
    "StringDotFormatMissingArgument": "F524",
    "StringDotFormatMixingAutomatic": "F525",
    "FStringMissingPlaceholders": "F541",
    "TStringMissingPlaceholders": "F542",
    "MultiValueRepeatedKeyLiteral": "F601",
    "MultiValueRepeatedKeyVariable": "F602",
    "TooManyExpressionsInStarredAssignment": "F621",
    "TwoStarredExpressions": "F622",
    "AssertTuple": "F631",
    "IsLiteral": "F632",
    "InvalidPrintSyntax": "F633",
    "IfTuple": "F634",
    "BreakOutsideLoop": "F701",
    "ContinueOutsideLoop": "F702",
    "YieldOutsideFunction": "F704",
    "ReturnOutsideFunction": "F706",
    "DefaultExceptNotLast": "F707",
    "LazyImportNotAtModuleScope": "F708",
    "LazyImportStarNotPermitted": "F709",
    "DoctestSyntaxError": "F721",
    "ForwardAnnotationSyntaxError": "F722",
    "RedefinedWhileUnused": "F811",
    "UndefinedName": "F821",
    "UndefinedExport": "F822",
    "UndefinedLocal": "F823",
    "UnusedIndirectAssignment": "F824",
    "DuplicateArgument": "F831",
    "UnusedVariable": "F841",
    "UnusedAnnotation": "F842",
    "EagerUseOfLazyImport": "F851",
    "RaiseNotImplemented": "F901",
}

# The code fails when run (NameError, or CPython refuses it at compile time).
HARD_ERRORS = frozenset(
    {
        "UndefinedName",
        "UndefinedLocal",
        "UndefinedExport",
        "DuplicateArgument",
        "ReturnOutsideFunction",
        "YieldOutsideFunction",
        "BreakOutsideLoop",
        "ContinueOutsideLoop",
        "TwoStarredExpressions",
    }
)


def rule_id(message: pyflakes_messages.Message) -> str:
    name = type(message).__name__
    return FLAKE8_CODES.get(name, name)


class PyflakesAnalyzer:
    name = "pyflakes"
    languages = frozenset({"python"})
    speed = "fast"

    def available(self) -> str | None:
        return None  # imported at module level: if pyflakes were missing, loading would have failed

    def analyze(self, source: Source) -> list[Finding]:
        try:
            tree = parse(source.text, source.path)
        except (SyntaxError, ValueError):
            return []
        # withDoctest is passed explicitly: pyflakes otherwise reads PYFLAKES_DOCTEST from the environment.
        result = pyflakes_checker.Checker(tree, filename=source.path or "<snippet>", withDoctest=False)
        lines = python_lines(source.text)
        messages = sorted(result.messages, key=lambda m: (m.lineno, m.col))
        return [self._finding(message, lines) for message in messages]

    def _finding(self, message: pyflakes_messages.Message, lines: list[str]) -> Finding:
        kind = type(message).__name__
        return Finding(
            analyzer=self.name,
            rule_id=rule_id(message),
            message=message.message % message.message_args,
            severity=Severity.ERROR if kind in HARD_ERRORS else Severity.LOW,
            confidence=Confidence.HIGH,
            range=_message_range(message, lines),
            extra={"pyflakes": kind},
        )


def _message_range(message: pyflakes_messages.Message, lines: list[str]) -> Range:
    """The named token when it stands at the message's column, else the rest of the line."""
    line = min(max(message.lineno - 1, 0), len(lines) - 1)
    start = clamp(lines, line, char_column(lines[line], message.col))
    text = lines[start.line]
    name = _first_name(message)
    if name and text.startswith(name, start.column):
        return Range(start=start, end=Position(line=start.line, column=start.column + len(name)))
    return Range(start=start, end=Position(line=start.line, column=max(len(text.rstrip()), start.column)))


def _first_name(message: pyflakes_messages.Message) -> str | None:
    args = message.message_args
    # UndefinedLocal for a builtin stores the bare name, not a tuple.
    first = args if isinstance(args, str) else (args[0] if args else None)
    return first if isinstance(first, str) else None
