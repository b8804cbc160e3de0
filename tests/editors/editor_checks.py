"""What the editor tests share: a missing editor or tool is a skip, or a failure under ``make test``; and
the question every real-model editor test asks of the code it ends with."""

from __future__ import annotations

import os

import pytest

from secgen.analyzers import SeverityPolicy, Source, default_registry


def missing(what: str):
    """Skip for ``what``, or fail where CI requires every tool (``SECGEN_REQUIRE_TOOLS=1``, as ``make test`` sets)."""
    if os.environ.get("SECGEN_REQUIRE_TOOLS") == "1":
        pytest.fail(what)
    pytest.skip(what)


def blocking(code: str) -> list[str]:
    """The blocking findings of the default analyzers on ``code``, as labels."""
    policy = SeverityPolicy()
    return [f.label() for f in default_registry().analyze(Source(text=code)).findings if policy.is_blocking(f)]
