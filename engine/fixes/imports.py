"""Mechanical fix for a forgotten standard-library import (pyflakes' F821 ``undefined name``).

The small model often writes ``math.sqrt(x)`` or ``List[int]`` and forgets the
import. ``import-stdlib`` adds it with the file's other imports, for

* a standard-library module used as a module (``math.sqrt``, ``os.path.join``,
  ``urllib.parse.quote`` -> ``import urllib.parse``), each attribute checked on the
  real module, so ``string.upper()`` or ``queue.append(x)`` (a forgotten variable
  that shares a module's name) is not "fixed" into an AttributeError;
* a module whose main member shares its name, used as that member: ``time()``,
  ``copy(x)``, ``datetime.now()`` -> ``from datetime import datetime``
  (``datetime.date.today()`` -> ``import datetime``; a file that mixes both is left alone);
* the ``typing`` names (``List``, ``Optional``...) and a few unambiguous members
  (``defaultdict``, ``Counter``, ``deque``, ``reduce``, ``Path``, ``factorial``, ``sqrt``...), merged into an
  existing ``from <module> import ...`` line when there is one.

A name that is not the standard library's (``np``, ``pd``, ``requests``), or that the
file binds itself, is left to the model tiers. pyflakes reports every use, and the
tier applies one finding at a time: once the import is there the next finding gets
None.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import re
import sys
import typing
from types import ModuleType

from secgen.analyzers import Finding
from secgen.engine.fixes.base import Document, Edit, SimpleFix, rebound

UNDEFINED = re.compile(r"undefined name '([A-Za-z_][A-Za-z0-9_]*)'")

TYPING_NAMES = frozenset({
    "Any", "AnyStr", "Awaitable", "AsyncGenerator", "AsyncIterable", "AsyncIterator", "Callable", "ClassVar",
    "Collection", "Container", "Coroutine", "DefaultDict", "Deque", "Dict", "Final", "FrozenSet", "Generator",
    "Generic", "Hashable", "IO", "Iterable", "Iterator", "List", "Literal", "Mapping", "MutableMapping",
    "MutableSequence", "MutableSet", "NamedTuple", "NoReturn", "Optional", "Protocol", "Sequence", "Set", "Sized",
    "SupportsFloat", "SupportsInt", "TextIO", "Tuple", "Type", "TypeVar", "TypedDict", "Union", "cast", "overload",
})
MEMBERS = {  # a bare name -> the one standard-library module it comes from
    **dict.fromkeys(("defaultdict", "Counter", "OrderedDict", "deque", "namedtuple", "ChainMap"), "collections"),
    **dict.fromkeys(("reduce", "partial", "lru_cache", "wraps", "cmp_to_key", "cached_property"), "functools"),
    **dict.fromkeys(("permutations", "combinations", "combinations_with_replacement", "accumulate", "zip_longest",
                     "groupby", "islice"), "itertools"),
    **dict.fromkeys(("heappush", "heappop", "heapify", "heappushpop", "nlargest", "nsmallest"), "heapq"),
    **dict.fromkeys(("bisect_left", "bisect_right", "insort"), "bisect"),
    **dict.fromkeys(("factorial", "sqrt", "isqrt", "gcd", "lcm", "comb", "perm", "ceil", "floor", "hypot", "prod"),
                    "math"),
    **dict.fromkeys(("ascii_lowercase", "ascii_uppercase", "ascii_letters", "hexdigits", "octdigits"), "string"),
    "Path": "pathlib", "dataclass": "dataclasses", "Enum": "enum", "Decimal": "decimal", "Fraction": "fractions",
    "timedelta": "datetime", "deepcopy": "copy", "ABC": "abc", "abstractmethod": "abc",
}
# Importing these runs something (a browser, a window, a printout) or drags in a GUI: never checked, never added
# (readline can write terminal codes to stdout, which is the language server's channel.)
NOT_IMPORTED = frozenset({"this", "antigravity", "idlelib", "tkinter", "turtle", "turtledemo", "test", "pydoc",
                          "ensurepip", "venv", "lib2to3", "msilib", "winsound", "winreg", "msvcrt", "nt", "readline",
                          "rlcompleter", "curses"})


def _module(name: str) -> ModuleType | None:
    """The standard-library module ``name`` (imported here to check its attributes), None for any other name."""
    if not _is_stdlib(name.split(".")[0]):
        return None
    try:
        return importlib.import_module(name)
    except Exception:  # noqa: BLE001 - a platform's module missing here (or failing to import) is not ours to add
        return None


def _is_stdlib(name: str) -> bool:
    return name in sys.stdlib_module_names and not name.startswith("_") and name not in NOT_IMPORTED


def _chains(doc: Document, name: str) -> list[list[str]] | None:
    """``name``'s uses as attribute chains (``os.path.join`` -> [path, join]; a bare use -> []); None when none."""
    chains = []
    for node in doc.nodes(ast.Name):
        if node.id != name:
            continue
        chain, current = [], node
        while isinstance(parent := doc.parents.get(current), ast.Attribute) and parent.value is current:
            chain.append(parent.attr)
            current = parent
        called = isinstance(doc.parents.get(current), ast.Call) and doc.parents[current].func is current
        chains.append(chain if chain else (["()"] if called else []))
    return chains or None


def _module_imports(name: str, chains: list[list[str]]) -> list[str] | None:
    """``import`` statements that make every chain work on module ``name``; None when one does not."""
    statements = []
    for chain in chains:
        if not chain or chain == ["()"]:
            return None
        dotted = name
        for part in chain:  # walk down submodules: urllib.parse.quote -> import urllib.parse
            if not hasattr(_module(dotted), "__path__") or not _spec(f"{dotted}.{part}"):
                break
            dotted = f"{dotted}.{part}"
        module, depth = _module(dotted), dotted.count(".")
        if module is None or depth < len(chain) and not hasattr(module, chain[depth]):
            return None
        statements.append(f"import {dotted}")
    return list(dict.fromkeys(statements))


def _spec(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _member_import(name: str, chains: list[list[str]]) -> str | None:
    """``from time import time`` when every use is the module's same-named member: ``time()``, ``datetime.now()``.

    A use that the module itself also has (``datetime.date`` is a module class and a method) makes it ambiguous."""
    module = _module(name)
    member = getattr(module, name, None)
    if not callable(member):
        return None
    if all(chain == ["()"] or chain and hasattr(member, chain[0]) and not hasattr(module, chain[0])
           for chain in chains):
        return f"from {name} import {name}"
    return None


def _statements(doc: Document, name: str) -> list[str] | None:
    if name in TYPING_NAMES and hasattr(typing, name):
        return [f"from typing import {name}"]
    if name in MEMBERS:
        return [f"from {MEMBERS[name]} import {name}"]
    if not _is_stdlib(name) or (chains := _chains(doc, name)) is None:
        return None
    if (statements := _module_imports(name, chains)) is not None:
        return statements
    member = _member_import(name, chains)
    return [member] if member else None


def _merge(doc: Document, statement: str) -> Edit | None:
    """``from M import X`` added to a module-level ``from M import ...`` line, if the file has one."""
    match = re.fullmatch(r"from ([\w.]+) import (\w+)", statement)
    if not match or doc.tree is None:
        return None
    module, name = match.groups()
    for node in doc.tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == module and not node.level \
                and all(alias.name != "*" for alias in node.names):
            at = doc.span(node.names[-1])[1]
            return Edit(start=at, end=at, new=f", {name}")
    return None


def _import_stdlib(doc: Document, finding: Finding) -> list[Edit] | None:
    match = UNDEFINED.fullmatch(finding.message.strip())
    if match is None or doc.tree is None or rebound(doc, match.group(1)):
        return None
    statements = _statements(doc, match.group(1))
    edits = []
    for statement in statements or ():
        if doc.ensure_import(statement) is None:
            continue  # already there: an earlier finding of the same name added it
        edits.append(_merge(doc, statement) or doc.ensure_import(statement))
    return edits or None


IMPORT_STDLIB = SimpleFix(
    name="import-stdlib",
    rules=frozenset({"F821"}),
    description="an undefined standard-library module, typing name or common member -> its import",
    function=_import_stdlib,
)

FIXES = (IMPORT_STDLIB,)
