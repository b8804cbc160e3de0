"""``language_of``: the document's language from its LSP languageId, else its file's extension."""

from __future__ import annotations

import pytest
from pygls.workspace import TextDocument

from secgen.server.diagnostics import language_of


@pytest.mark.parametrize(("uri", "language_id", "language"), [
    ("file:///p/main.rs", "rust", "rust"),
    ("file:///p/App.jsx", "javascriptreact", "javascript"),
    ("file:///p/Program.cs", "csharp", "csharp"),
    ("file:///p/x.h", "cpp", "cpp"),  # the client knows better than the extension
    ("file:///p/script", "python", "python"),
    ("file:///p/main.rs", None, "rust"),
    ("file:///p/index.php", "", "php"),
    ("file:///p/lib.hpp", "plaintext", "cpp"),
    ("untitled:Untitled-1", None, "python"),
    ("file:///p/main.go", "go", "go"),  # no analyzer claims it: not read as Python
])
def test_language_of(uri, language_id, language):
    assert language_of(TextDocument(uri, "", language_id=language_id)) == language
