"""Which language a file is written in: the names every analyzer and the loop share.

A :class:`~secgen.analyzers.base.Source` carries one of :data:`LANGUAGES`,
the eight languages of the paper. The command line guesses it from a file's
extension (:func:`language_for_path`); the language server trusts the
client's LSP ``languageId`` first (:func:`language_for_id`), since an editor
knows better than a file name (an unsaved buffer has none).

Both return ``None`` for anything else, so each caller picks its own
fallback. :func:`source_files` is how ``secgen check`` walks a directory.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePath

LANGUAGES = ("python", "c", "cpp", "csharp", "java", "javascript", "php", "rust")

EXTENSIONS = {
    ".py": "python",
    ".c": "c",
    ".h": "c",  # a header could be C++ too; C's grammar is the stricter reading
    ".cc": "cpp",
    ".cpp": "cpp",
    ".cxx": "cpp",
    ".hpp": "cpp",
    ".hh": "cpp",
    ".cs": "csharp",
    ".java": "java",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascript",
    ".php": "php",
    ".rs": "rust",
}

# LSP languageIds (see the specification's table of "Text Document" identifiers).
LANGUAGE_IDS = {
    "python": "python",
    "c": "c",
    "cpp": "cpp",
    "csharp": "csharp",
    "java": "java",
    "javascript": "javascript",
    "javascriptreact": "javascript",
    "php": "php",
    "rust": "rust",
}


def language_for_path(path: str | PurePath | None) -> str | None:
    """The language a file's extension names (case-insensitive), else ``None``."""
    if not path:
        return None
    return EXTENSIONS.get(PurePath(path).suffix.lower())


def language_for_id(language_id: str | None) -> str | None:
    """Our name for an LSP ``languageId``, else ``None``."""
    if not language_id:
        return None
    return LANGUAGE_IDS.get(language_id.strip().lower())


SKIPPED_DIRECTORIES = frozenset({"node_modules", "__pycache__"})


def source_files(directory: str | PurePath) -> list[Path]:
    """The files under ``directory`` in one of :data:`LANGUAGES`, sorted.

    Hidden directories (``.git``, ``.venv``) and ``node_modules`` are not entered:
    they hold other people's code, not the project's.
    """
    found = []
    for parent, directories, files in os.walk(directory):
        directories[:] = [d for d in directories if not d.startswith(".") and d not in SKIPPED_DIRECTORIES]
        found += [Path(parent, f) for f in files if language_for_path(f)]
    return sorted(found)
