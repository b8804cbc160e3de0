"""Any command that writes SARIF 2.1.0 becomes an analyzer.

CodeQL, Semgrep, Svacer, Bandit's command line and the rest plug in as a
command template, split like a shell line (``shlex``), with placeholders:

* ``{file}``: the snippet, written to a fresh scratch directory under the
  source's base name (``app.py``) or ``snippet`` plus the language's suffix;
* ``{dir}``: that scratch directory, for tools that scan a tree;
* ``{output}``: a path the tool writes its SARIF to; without it, SARIF is
  read from the tool's stdout (``output="file"`` insists on the placeholder).

For example ``bandit -f sarif -q {file}`` or
``semgrep scan --config auto --sarif --output {output} {dir}``.

The command runs in the scratch directory, never in the user's tree, through
:func:`~secgen.analyzers.process.run_tool`: bounded by ``timeout_s``, killed
with everything it started when it hangs. A non-zero exit status alone is
not a failure (linters exit 1 when they find something); no SARIF, or
something that is not SARIF, is, and so are a timeout and a crash. Each is an
:class:`AnalyzerError` with a one-line reason and the tail of the tool's
stderr, which the registry reports while the other analyzers keep running.
Results are read by :func:`~secgen.analyzers.sarif.read_sarif`, keeping only
those on the scratch file.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import tempfile
from pathlib import Path
from typing import Literal

from secgen.analyzers.base import AnalyzerError, Source
from secgen.analyzers.finding import Finding
from secgen.analyzers.process import run_tool
from secgen.analyzers.sarif import read_sarif

# The scratch file's suffix when the source has no name of its own.
LANGUAGE_SUFFIX = {
    "python": ".py",
    "c": ".c",
    "cpp": ".cpp",
    "csharp": ".cs",
    "go": ".go",
    "java": ".java",
    "javascript": ".js",
    "kotlin": ".kt",
    "php": ".php",
    "ruby": ".rb",
    "rust": ".rs",
    "typescript": ".ts",
}
_PLACEHOLDER = re.compile(r"\{(file|dir|output)\}")


class SarifCommandAnalyzer:
    """An external command, run on a scratch copy of the snippet, whose SARIF becomes findings."""

    def __init__(self, name: str, command: str, *, languages: frozenset[str] = frozenset({"python"}),
                 timeout_s: float = 60.0, speed: Literal["fast", "slow"] = "slow", suffix: str = ".py",
                 output: Literal["stdout", "file"] = "stdout") -> None:
        self.name = name
        self.languages = frozenset(languages)
        self.speed = speed
        self.timeout_s = timeout_s
        self.suffix = suffix  # for a language LANGUAGE_SUFFIX does not know
        self.command = command
        try:
            self._words = shlex.split(command)
        except ValueError as exc:
            self._words, self._bad_template = [], f"cannot split the command {command!r}: {exc}"
        else:
            self._bad_template = None if self._words else "the command is empty"
        self._to_file = any("{output}" in word for word in self._words)
        if output == "file" and not self._to_file and not self._bad_template:
            self._bad_template = "output='file' needs an {output} placeholder in the command"

    def available(self) -> str | None:
        if self._bad_template:
            return self._bad_template
        executable = self._words[0]
        if shutil.which(executable) is None:
            return f"{executable} not found on PATH"
        return None

    def analyze(self, source: Source) -> list[Finding]:
        if self._bad_template:
            raise AnalyzerError(self._bad_template)
        with tempfile.TemporaryDirectory(prefix="secgen-sarif-") as scratch:
            tree = Path(scratch, "src")
            tree.mkdir()
            file = tree / self._file_name(source)
            file.write_text(source.text, encoding="utf-8", errors="surrogatepass")
            output = Path(scratch, "out", "results.sarif")
            output.parent.mkdir()
            values = {"file": str(file), "dir": str(tree), "output": str(output)}
            argv = [_PLACEHOLDER.sub(lambda m: values[m.group(1)], word) for word in self._words]
            run = run_tool(argv, cwd=tree, timeout_s=self.timeout_s)
            tool = Path(argv[0]).name
            if self._to_file:
                text = output.read_text(encoding="utf-8", errors="replace") if output.is_file() else ""
            else:
                text = run.stdout
            if not text.strip():
                status = f"exited with status {run.returncode}" if run.returncode else "exited normally"
                raise AnalyzerError(f"{tool} {status} and wrote no SARIF{_tail(run.tail())}")
            try:
                document = json.loads(text)
                return read_sarif(document, analyzer=self.name, path_suffix=file.name, text=source.text)
            except (ValueError, TypeError, AttributeError) as exc:
                raise AnalyzerError(f"{tool} did not write SARIF 2.1.0 ({_one_line(exc)}){_tail(run.tail())}") from None

    def _file_name(self, source: Source) -> str:
        name = os.path.basename(source.path or "")
        if name in ("", ".", ".."):
            name = "snippet" + LANGUAGE_SUFFIX.get(source.language, self.suffix)
        return name


def _one_line(exc: Exception) -> str:
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__


def _tail(tail: str) -> str:
    return f": {tail}" if tail else ""
