"""Static analyzers behind one result type.

Every analyzer turns source text into :class:`Finding` values with 0-based
ranges (coordinates are converted once, at the analyzer's boundary). The
registry loads analyzers by name; one that fails to load or crashes is
reported and skipped while the others still run. The severity policy decides
which findings block a suggestion in the repair loop.

This package imports nothing else of secgen's.
"""

from secgen.analyzers.finding import Confidence, Finding, Position, Range, Severity, TextEdit
from secgen.analyzers.base import Analyzer, AnalyzerError, Source
from secgen.analyzers.policy import SeverityPolicy
from secgen.analyzers.registry import AnalysisReport, AnalyzerRegistry, default_registry

__all__ = [
    "Analyzer",
    "AnalyzerError",
    "AnalysisReport",
    "AnalyzerRegistry",
    "Confidence",
    "Finding",
    "Position",
    "Range",
    "Severity",
    "SeverityPolicy",
    "Source",
    "TextEdit",
    "default_registry",
]
