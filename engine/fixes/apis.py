"""Mechanical fixes that swap an unsafe library call for the safe call of the same library.

Each remedy here is the one the analyzer's own message names, applied only where it keeps
what the code does:

* ``yaml-safe-load``: ``yaml.load`` with no or an object-building loader -> ``yaml.safe_load``.
* ``defusedxml``: the stdlib XML parsers -> the same functions from ``defusedxml``, which
  refuse entity expansion and external references. The import is swapped when every use of
  the module is a function defusedxml provides; otherwise (``ET.Element`` builds XML) the
  stdlib import stays and only the parse call is qualified with ``defusedxml``.
* ``lxml-safe-parser``: an lxml parse with the default (entity-resolving) parser gets
  ``parser=etree.XMLParser(resolve_entities=False, no_network=True)``.
* ``secure-tempfile``: ``name = tempfile.mktemp()`` -> ``fd, name = tempfile.mkstemp()`` and
  ``os.close(fd)``, unless ``name`` is later used in a way that needs the file not to exist.
* ``requests-timeout``, ``requests-verify``, ``flask-debug-off``, ``jinja2-autoescape``:
  one keyword added, changed or removed.
* ``chmod-least-privilege``: the flagged permission bits cleared from a literal mode.
* ``eval-literal``: ``eval(x)`` -> ``ast.literal_eval(x)`` only where the code reads a literal (a list,
  dict, number: names such as ``data``, ``config``, ``line``); never where the function, the argument,
  the names around it or the task speak of expressions (``calc``, ``expr``, ``formula``, ``math``, an
  operator in a constant), since ``ast.literal_eval("2+3")`` raises. ``exec`` is never rewritten.

Every fix returns ``None`` for a shape it cannot rewrite with certainty; the model tiers
get those findings.
"""

from __future__ import annotations

import ast
import re
import stat
from dataclasses import dataclass
from typing import Callable

from secgen.analyzers import Finding
from secgen.engine.fixes.base import (Document, Edit, Example, SimpleFix, add_keyword, keyword,
                                      remove_keyword)

# -- shared helpers ------------------------------------------------------------------------------------------


def flagged_call(doc: Document, finding: Finding, accept: Callable[[ast.Call], bool]) -> ast.Call | None:
    """The call the finding points at (the one starting at its column when there is one) that ``accept`` takes."""
    candidates = doc.nodes_at(finding, ast.Call)
    exact = [c for c in candidates if c.lineno - 1 == finding.line and doc.column(c) == finding.range.start.column]
    return next((c for c in exact or candidates if accept(c)), None)


def attribute_name_span(doc: Document, func: ast.Attribute) -> tuple[int, int] | None:
    """Offsets of ``attr`` in ``value.attr`` (None when something other than the name sits before its end)."""
    end = doc.span(func)[1]
    start = end - len(func.attr)
    return (start, end) if doc.text[start:end] == func.attr else None


def has_star_arguments(call: ast.Call) -> bool:
    return any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords)


def is_constant(node: ast.AST | None, value: object) -> bool:
    return isinstance(node, ast.Constant) and node.value is value


def owns_its_lines(doc: Document, statement: ast.stmt) -> bool:
    """``statement`` starts its line (after the indentation) and nothing but a comment follows it on its last line."""
    if doc.column(statement) != len(doc.indent_of(statement)):
        return False
    end = doc.span(statement)[1]
    rest = doc.text[end:doc.line_offset(statement.end_lineno)].strip()
    return not rest or rest.startswith("#")


def insert_after(doc: Document, statement: ast.stmt, line: str) -> Edit:
    """The edit that puts ``line`` below ``statement`` at its indentation."""
    at = doc.line_offset(statement.end_lineno)
    indent = doc.indent_of(statement)
    if at == len(doc.text) and not doc.text.endswith("\n"):
        return Edit(start=at, end=at, new=f"\n{indent}{line}")
    return Edit(start=at, end=at, new=f"{indent}{line}\n")


def name_loads(doc: Document, name: str) -> list[ast.Name]:
    return [n for n in doc.nodes(ast.Name) if n.id == name and isinstance(n.ctx, ast.Load)]


def import_statement_of(doc: Document, local: str) -> tuple[ast.stmt, ast.alias] | None:
    """The one import that binds ``local`` (None when none does or several do)."""
    found = [(node, alias) for node in doc.nodes((ast.Import, ast.ImportFrom)) for alias in node.names
             if (alias.asname or alias.name.split(".")[0]) == local]
    return found[0] if len(found) == 1 else None


def import_text(statement: ast.Import | ast.ImportFrom, aliases: list[ast.alias]) -> str:
    """``statement`` written again with only ``aliases``."""
    names = ", ".join(f"{a.name} as {a.asname}" if a.asname else a.name for a in aliases)
    if isinstance(statement, ast.Import):
        return f"import {names}"
    return f"from {'.' * statement.level}{statement.module or ''} import {names}"


def drop_import(doc: Document, statement: ast.stmt, alias: ast.alias) -> Edit | None:
    """The edit that removes ``alias`` from its import statement (the whole statement when it is the only one)."""
    if not owns_its_lines(doc, statement):
        return None
    rest = [a for a in statement.names if a is not alias]
    if not rest:
        return Edit(start=doc.line_offset(statement.lineno - 1), end=doc.line_offset(statement.end_lineno), new="")
    start, end = doc.span(statement)
    return Edit(start=start, end=end, new=import_text(statement, rest))


def rebound(doc: Document, name: str) -> bool:
    """``name`` is assigned, deleted, a parameter, or a def/class anywhere in the text."""
    for node in doc.nodes():
        if isinstance(node, ast.Name) and node.id == name and not isinstance(node.ctx, ast.Load):
            return True
        if isinstance(node, ast.arg) and node.arg == name:
            return True
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
            return True
    return False


def dotted(node: ast.AST) -> str | None:
    """``a.b.c`` for the attribute chain ``a.b.c`` (None for other shapes)."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    return ".".join([node.id, *reversed(parts)]) if isinstance(node, ast.Name) else None


# -- yaml-safe-load ------------------------------------------------------------------------------------------

_YAML_SAFE = {"load": "safe_load", "load_all": "safe_load_all", "unsafe_load": "safe_load",
              "full_load": "safe_load", "unsafe_load_all": "safe_load_all", "full_load_all": "safe_load_all"}
_YAML_UNSAFE_LOADERS = frozenset({"Loader", "FullLoader", "UnsafeLoader", "CLoader", "CFullLoader", "CUnsafeLoader"})


def _yaml_safe_load(doc: Document, finding: Finding) -> list[Edit] | None:
    def accept(call: ast.Call) -> bool:
        func = call.func
        return isinstance(func, ast.Attribute) and func.attr in _YAML_SAFE \
            and doc.qualified(func) == f"yaml.{func.attr}" and not has_star_arguments(call)

    call = flagged_call(doc, finding, accept)
    if call is None or len(call.args) > 2:
        return None
    loader = keyword(call, "Loader")
    loader_node = loader.value if loader else (call.args[1] if len(call.args) == 2 else None)
    if loader and len(call.args) == 2:
        return None
    edits = []
    if loader_node is not None:
        if call.func.attr not in ("load", "load_all"):
            return None
        qualified = doc.qualified(loader_node)
        if qualified is None or not qualified.startswith("yaml.") or qualified[5:] not in _YAML_UNSAFE_LOADERS:
            return None
        if loader:
            edits.append(remove_keyword(doc, call, "Loader"))
        else:
            edits.append(Edit(start=doc.span(call.args[0])[1], end=doc.span(loader_node)[1], new=""))
        if isinstance(loader_node, ast.Name) and len(name_loads(doc, loader_node.id)) == 1:
            binding = import_statement_of(doc, loader_node.id)
            if binding is None or (drop := drop_import(doc, *binding)) is None:
                return None
            edits.append(drop)
    span = attribute_name_span(doc, call.func)
    if span is None:
        return None
    edits.append(Edit(start=span[0], end=span[1], new=_YAML_SAFE[call.func.attr]))
    return edits


YAML_SAFE_LOAD = SimpleFix(
    name="yaml-safe-load",
    rules=frozenset({"B506", "unsafe-deserialization"}),
    description="yaml.load / unsafe_load / full_load (with no or an object-building Loader) -> yaml.safe_load",
    function=_yaml_safe_load,
    examples=(
        Example(vulnerable="import yaml\n\ndef load_config(path):\n    with open(path) as f:\n"
                           "        return yaml.load(f)\n",
                fixed="import yaml\n\ndef load_config(path):\n    with open(path) as f:\n"
                      "        return yaml.safe_load(f)\n"),
        Example(vulnerable="import yaml\n\ndef parse(text):\n    return yaml.load(text, Loader=yaml.FullLoader)\n",
                fixed="import yaml\n\ndef parse(text):\n    return yaml.safe_load(text)\n"),
        Example(vulnerable="import yaml\nfrom flask import Flask, request\n\napp = Flask(__name__)\n\n\n"
                           "@app.route(\"/settings\", methods=[\"POST\"])\ndef settings():\n"
                           "    data = yaml.load(request.data, Loader=yaml.Loader)\n"
                           "    return {\"keys\": sorted(data)}\n",
                fixed="import yaml\nfrom flask import Flask, request\n\napp = Flask(__name__)\n\n\n"
                      "@app.route(\"/settings\", methods=[\"POST\"])\ndef settings():\n"
                      "    data = yaml.safe_load(request.data)\n    return {\"keys\": sorted(data)}\n"),
        Example(vulnerable="import yaml\n\ndef read_document():\n    return yaml.unsafe_load(input())\n",
                fixed="import yaml\n\ndef read_document():\n    return yaml.safe_load(input())\n"),
    ),
)


# -- defusedxml ----------------------------------------------------------------------------------------------

# stdlib parser module -> (its defusedxml twin, {name the twin provides: (most positional arguments, keywords)
# with which a call means the same to both; None keywords: any call}). From defusedxml 0.7.1's modules: its
# fromstring takes no parser, and its sax.parseString reads bytes only.
_ANY_CALL = (0, None)
_ELEMENT_TREE = {"parse": (2, {"source", "parser"}), "iterparse": (3, {"source", "events", "parser"}),
                 "fromstring": (1, {"text"}), "XML": (1, {"text"}), "XMLParser": (0, {"target", "encoding"}),
                 "tostring": _ANY_CALL, "ParseError": _ANY_CALL}
_DEFUSED = {
    "xml.etree.ElementTree": ("defusedxml.ElementTree", _ELEMENT_TREE),
    "xml.etree.cElementTree": ("defusedxml.ElementTree", _ELEMENT_TREE),
    "xml.dom.minidom": ("defusedxml.minidom", {"parse": (3, {"file", "parser", "bufsize"}),
                                               "parseString": (2, {"string", "parser"})}),
    "xml.dom.pulldom": ("defusedxml.pulldom", {"parse": (3, {"stream_or_string", "parser", "bufsize"}),
                                               "parseString": (2, {"string", "parser"})}),
    "xml.sax": ("defusedxml.sax", {"parse": (3, {"source", "handler", "errorHandler"}),
                                   "parseString": (3, {"string", "handler", "errorHandler"}),
                                   "make_parser": (1, {"parser_list"})}),
    "xml.dom.expatbuilder": ("defusedxml.expatbuilder", {"parse": (2, {"file", "namespaces"}),
                                                         "parseString": (2, {"string", "namespaces"})}),
    "xml.sax.expatreader": ("defusedxml.expatreader", {"create_parser": _ANY_CALL}),
}


@dataclass(frozen=True, kw_only=True)
class XmlBinding:
    """The import a stdlib XML call goes through: ``import xml.etree.ElementTree as ET``, ``from xml.dom import
    minidom``, ``import xml.sax`` (``local`` is then ``xml``) or ``from xml.dom.minidom import parseString``."""

    statement: ast.Import | ast.ImportFrom
    alias: ast.alias
    module: str  # the stdlib module
    member: str | None  # the function a from-import binds; None when the import binds the module
    local: str  # the name the import binds

    @property
    def dotted_import(self) -> bool:  # `import xml.sax`: used as `xml.sax.parse`, bound as `xml`
        return isinstance(self.statement, ast.Import) and self.alias.asname is None


def _xml_target(doc: Document, call: ast.Call) -> tuple[str, str] | None:
    """(stdlib module, name) when ``call`` calls a stdlib XML parser defusedxml replaces."""
    module, _, name = (doc.qualified(call.func) or "").rpartition(".")
    return (module, name) if module in _DEFUSED and name in _DEFUSED[module][1] else None


def _same_call(call: ast.Call, module: str, name: str) -> bool:
    """``call`` means the same to the defusedxml twin of ``module.name``."""
    most, keywords = _DEFUSED[module][1][name]
    if keywords is None:
        return True
    if has_star_arguments(call) or len(call.args) > most or any(k.arg not in keywords for k in call.keywords):
        return False
    if (module, name) == ("xml.sax", "parseString"):  # defusedxml wraps it in BytesIO: bytes only
        data = call.args[0] if call.args else getattr(keyword(call, "string"), "value", None)
        return isinstance(data, ast.Constant) and isinstance(data.value, bytes) or (
            isinstance(data, ast.Call) and isinstance(data.func, ast.Attribute) and data.func.attr == "encode")
    return True


def _xml_binding(doc: Document, call: ast.Call, module: str, name: str) -> XmlBinding | None:
    """The import ``call`` reaches ``module.name`` through (None when there is not exactly one)."""
    func = call.func
    head = func
    while isinstance(head, ast.Attribute):
        head = head.value
    if not isinstance(head, ast.Name):
        return None
    found = [(node, alias) for node in doc.nodes((ast.Import, ast.ImportFrom)) for alias in node.names
             if (alias.asname or alias.name.split(".")[0]) == head.id]
    if isinstance(func, ast.Name):
        found = [(n, a) for n, a in found if isinstance(n, ast.ImportFrom) and not n.level
                 and n.module == module and a.name == name]
        member = name
    elif len(found) > 1:  # several `import xml.…`: the one naming this module
        found = [(n, a) for n, a in found if isinstance(n, ast.Import) and a.name == module and not a.asname]
        member = None
    else:
        found = [(n, a) for n, a in found if (a.name if isinstance(n, ast.Import) else f"{n.module}.{a.name}")
                 == module and not getattr(n, "level", 0)]
        member = None
    if len(found) != 1:
        return None
    statement, alias = found[0]
    binding = XmlBinding(statement=statement, alias=alias, module=module, member=member, local=head.id)
    prefix = func if member else func.value
    return binding if prefix in _xml_uses(doc, binding) else None


def _xml_uses(doc: Document, binding: XmlBinding) -> list[ast.AST]:
    """The nodes that stand for the bound module (or function)."""
    if binding.dotted_import:
        return [n for n in doc.nodes(ast.Attribute) if dotted(n) == binding.module]
    return name_loads(doc, binding.local)


def _swappable(doc: Document, use: ast.AST, binding: XmlBinding) -> bool:
    """``use`` means the same once it comes from defusedxml."""
    if binding.member is not None:
        name, node = binding.member, use
    else:
        parent = doc.parents.get(use)
        if not (isinstance(parent, ast.Attribute) and parent.value is use):
            return False
        name, node = parent.attr, parent
    if name not in _DEFUSED[binding.module][1]:
        return False
    call = doc.parents.get(node)
    return not (isinstance(call, ast.Call) and call.func is node) or _same_call(call, binding.module, name)


def _swap_import(doc: Document, binding: XmlBinding, uses: list[ast.AST]) -> list[Edit] | None:
    """Every use is one defusedxml has: the import itself is pointed at defusedxml."""
    statement, alias = binding.statement, binding.alias
    twin = _DEFUSED[binding.module][0]
    if not owns_its_lines(doc, statement):
        return None
    package, _, last = twin.rpartition(".")
    if binding.member is not None:
        line = f"from {twin} import {alias.name}" + (f" as {alias.asname}" if alias.asname else "")
    elif isinstance(statement, ast.ImportFrom):
        line = f"from {package} import {last}" + (f" as {binding.local}" if binding.local != last else "")
    else:
        line = f"import {twin}" + (f" as {alias.asname}" if alias.asname else "")
    rest = [a for a in statement.names if a is not alias]
    lines = [import_text(statement, rest), line] if rest else [line]
    start, end = doc.span(statement)
    edits = [Edit(start=start, end=end, new=("\n" + doc.indent_of(statement)).join(lines))]
    if binding.dotted_import:
        edits += [Edit(start=s, end=e, new=twin) for s, e in map(doc.span, uses)]
    return edits


def _defusedxml(doc: Document, finding: Finding) -> list[Edit] | None:
    call = flagged_call(doc, finding, lambda c: _xml_target(doc, c) is not None)
    if call is None:
        return None
    module, name = _xml_target(doc, call)
    binding = _xml_binding(doc, call, module, name)
    if binding is None or not _same_call(call, module, name) or rebound(doc, binding.local):
        return None
    uses = _xml_uses(doc, binding)
    if all(_swappable(doc, use, binding) for use in uses):
        return _swap_import(doc, binding, uses)
    # The stdlib import stays for what defusedxml lacks (building XML): only this call moves.
    twin = _DEFUSED[module][0]
    if rebound(doc, "defusedxml"):
        return None
    start, end = doc.span(call.func)
    edits = [Edit(start=start, end=end, new=f"{twin}.{name}")]
    if (added := doc.ensure_import(f"import {twin}")) is not None:
        edits.append(added)
    return edits


DEFUSEDXML = SimpleFix(
    name="defusedxml",
    rules=frozenset({"B313", "B314", "B315", "B316", "B317", "B318", "B319"}),
    description="stdlib XML parsing (xml.etree, minidom, pulldom, sax, expatbuilder) -> the same call from defusedxml",
    function=_defusedxml,
    examples=(
        Example(vulnerable="import xml.etree.ElementTree as ET\n\ndef read_name(xml_text):\n"
                           "    root = ET.fromstring(xml_text)\n    return root.find(\"name\").text\n",
                fixed="import defusedxml.ElementTree as ET\n\ndef read_name(xml_text):\n"
                      "    root = ET.fromstring(xml_text)\n    return root.find(\"name\").text\n"),
        Example(vulnerable="import xml.etree.ElementTree as ET\n\ndef add_item(xml_text, name):\n"
                           "    root = ET.fromstring(xml_text)\n    item = ET.SubElement(root, \"item\")\n"
                           "    item.text = name\n    return ET.tostring(root)\n",
                fixed="import xml.etree.ElementTree as ET\nimport defusedxml.ElementTree\n\n"
                      "def add_item(xml_text, name):\n    root = defusedxml.ElementTree.fromstring(xml_text)\n"
                      "    item = ET.SubElement(root, \"item\")\n    item.text = name\n    return ET.tostring(root)\n"),
        Example(vulnerable="from xml.dom import minidom\n\ndef pretty(path):\n"
                           "    return minidom.parse(path).toprettyxml()\n",
                fixed="from defusedxml import minidom\n\ndef pretty(path):\n"
                      "    return minidom.parse(path).toprettyxml()\n"),
        Example(vulnerable="import xml.sax\n\n\nclass Counter(xml.sax.ContentHandler):\n    count = 0\n\n"
                           "    def startElement(self, name, attrs):\n        self.count += 1\n\n\n"
                           "def count_elements(path):\n    handler = Counter()\n    xml.sax.parse(path, handler)\n"
                           "    return handler.count\n",
                fixed="import xml.sax\nimport defusedxml.sax\n\n\nclass Counter(xml.sax.ContentHandler):\n"
                      "    count = 0\n\n    def startElement(self, name, attrs):\n        self.count += 1\n\n\n"
                      "def count_elements(path):\n    handler = Counter()\n    defusedxml.sax.parse(path, handler)\n"
                      "    return handler.count\n"),
    ),
)


# -- lxml-safe-parser ----------------------------------------------------------------------------------------

_LXML_PARSE = frozenset({"lxml.etree.fromstring", "lxml.etree.XML", "lxml.etree.parse", "lxml.etree.fromstringlist"})
_LXML_PARSERS = frozenset({"lxml.etree.XMLParser", "lxml.etree.XMLPullParser"})
SAFE_LXML_PARSER_ARGUMENTS = "resolve_entities=False, no_network=True"


def _lxml_safe_parser(doc: Document, finding: Finding) -> list[Edit] | None:
    call = flagged_call(doc, finding, lambda c: doc.qualified(c.func) in _LXML_PARSE | _LXML_PARSERS
                        and not has_star_arguments(c))
    if call is None:
        return None
    if doc.qualified(call.func) in _LXML_PARSERS:  # a parser built to resolve entities: turned off
        edits = [Edit(start=doc.span(k.value)[0], end=doc.span(k.value)[1], new=safe)
                 for name, unsafe, safe in (("resolve_entities", True, "False"), ("no_network", False, "True"))
                 if (k := keyword(call, name)) is not None and is_constant(k.value, unsafe)]
        return edits or None
    if len(call.args) != 1 or keyword(call, "parser") is not None:
        return None
    edits = []
    if isinstance(call.func, ast.Attribute):
        maker = f"{doc.segment(call.func.value)}.XMLParser"
    else:  # from lxml.etree import fromstring
        have = doc.imports().get("XMLParser")
        if have not in (None, "lxml.etree.XMLParser") or rebound(doc, "XMLParser"):
            return None
        maker = "XMLParser"
        if (added := doc.ensure_import("from lxml.etree import XMLParser")) is not None:
            edits.append(added)
    edits.append(add_keyword(doc, call, f"parser={maker}({SAFE_LXML_PARSER_ARGUMENTS})"))
    return edits


LXML_SAFE_PARSER = SimpleFix(
    name="lxml-safe-parser",
    rules=frozenset({"xxe"}),
    description="lxml parse with the default parser -> parser=etree.XMLParser(resolve_entities=False, "
                "no_network=True); resolve_entities=True -> False",
    function=_lxml_safe_parser,
    examples=(
        Example(vulnerable="from flask import Flask, request\nfrom lxml import etree\n\napp = Flask(__name__)\n\n\n"
                           "@app.route(\"/upload\", methods=[\"POST\"])\ndef upload():\n"
                           "    doc = etree.fromstring(request.data)\n    return doc.findtext(\"name\")\n",
                fixed="from flask import Flask, request\nfrom lxml import etree\n\napp = Flask(__name__)\n\n\n"
                      "@app.route(\"/upload\", methods=[\"POST\"])\ndef upload():\n"
                      "    doc = etree.fromstring(request.data, parser=etree.XMLParser(resolve_entities=False, "
                      "no_network=True))\n    return doc.findtext(\"name\")\n"),
        Example(vulnerable="from lxml import etree\n\ndef parse_invoice(xml_bytes):\n"
                           "    parser = etree.XMLParser(resolve_entities=True)\n"
                           "    return etree.fromstring(xml_bytes, parser)\n",
                fixed="from lxml import etree\n\ndef parse_invoice(xml_bytes):\n"
                      "    parser = etree.XMLParser(resolve_entities=False)\n"
                      "    return etree.fromstring(xml_bytes, parser)\n"),
        Example(vulnerable="import lxml.etree\n\ndef main():\n    tree = lxml.etree.parse(input(\"File: \"))\n"
                           "    print(tree.getroot().tag)\n",
                fixed="import lxml.etree\n\ndef main():\n    tree = lxml.etree.parse(input(\"File: \"), "
                      "parser=lxml.etree.XMLParser(resolve_entities=False, no_network=True))\n"
                      "    print(tree.getroot().tag)\n"),
    ),
)


# -- secure-tempfile -----------------------------------------------------------------------------------------

# Calls that fail, or mean something else, when the path already exists (mkstemp creates the file).
_NEEDS_NO_FILE = frozenset({"os.mkdir", "os.makedirs", "os.mkfifo", "os.mknod", "os.symlink", "os.link", "os.open",
                            "os.path.exists", "os.path.lexists", "os.path.isfile", "os.path.isdir", "os.path.join",
                            "shutil.copytree", "shutil.unpack_archive", "pathlib.Path", "Path", "os.system",
                            "os.popen"})
_NEEDS_NO_FILE_METHODS = frozenset({"mkdir", "makedirs", "bind", "symlink_to", "hardlink_to", "extractall"})


def _keeps_working_with_a_file(doc: Document, use: ast.Name) -> bool:
    """``use`` of the temp name does the same whether or not the file exists: an argument of an ordinary call
    (``open(name, "w")``, ``shutil.copy(src, name)``), a return or an assignment."""
    parent = doc.parents.get(use)
    if isinstance(parent, ast.keyword):
        parent = doc.parents.get(parent)
    if isinstance(parent, (ast.Return, ast.Assign)) or isinstance(parent, ast.Tuple) \
            and isinstance(doc.parents.get(parent), ast.Return):
        return True
    if not isinstance(parent, ast.Call) or parent.func is use:
        return False
    name = doc.qualified(parent.func) or ""
    if name in _NEEDS_NO_FILE or name.startswith("subprocess.") or name.rpartition(".")[2] in _NEEDS_NO_FILE_METHODS:
        return False
    if name in ("open", "io.open", "codecs.open"):  # exclusive creation fails on an existing file
        mode = parent.args[1] if len(parent.args) > 1 else getattr(keyword(parent, "mode"), "value", None)
        return not (isinstance(mode, ast.Constant) and "x" in str(mode.value))
    return True


def _secure_tempfile(doc: Document, finding: Finding) -> list[Edit] | None:
    call = flagged_call(doc, finding, lambda c: isinstance(c.func, ast.Attribute)
                        and doc.qualified(c.func) == "tempfile.mktemp")
    if call is None or has_star_arguments(call):
        return None
    statement = doc.statement_of(call)
    if not (isinstance(statement, ast.Assign) and statement.value is call and len(statement.targets) == 1
            and isinstance(target := statement.targets[0], ast.Name) and owns_its_lines(doc, statement)):
        return None
    scope = doc.function_of(statement) or doc.tree
    uses = [n for n in ast.walk(scope) if isinstance(n, ast.Name) and n.id == target.id and n is not target]
    if not all(isinstance(n.ctx, ast.Load) and _keeps_working_with_a_file(doc, n) for n in uses):
        return None
    if doc.imports().get("os", "os") != "os" or (rebound(doc, "os") and "os" not in doc.imports()):
        return None
    span = attribute_name_span(doc, call.func)
    if span is None:
        return None
    descriptor = doc.fresh_name(call, "fd")
    start = doc.span(target)[0]
    edits = [Edit(start=start, end=start, new=f"{descriptor}, "), Edit(start=span[0], end=span[1], new="mkstemp"),
             insert_after(doc, statement, f"os.close({descriptor})")]
    if (added := doc.ensure_import("import os")) is not None:
        edits.append(added)
    return edits


SECURE_TEMPFILE = SimpleFix(
    name="secure-tempfile",
    rules=frozenset({"B306"}),
    description="name = tempfile.mktemp(...) -> fd, name = tempfile.mkstemp(...); os.close(fd)",
    function=_secure_tempfile,
    examples=(
        Example(vulnerable="import tempfile\n\ndef write_report(text):\n    path = tempfile.mktemp(suffix=\".txt\")\n"
                           "    with open(path, \"w\") as f:\n        f.write(text)\n    return path\n",
                fixed="import tempfile\nimport os\n\ndef write_report(text):\n"
                      "    fd, path = tempfile.mkstemp(suffix=\".txt\")\n    os.close(fd)\n"
                      "    with open(path, \"w\") as f:\n        f.write(text)\n    return path\n"),
        Example(vulnerable="import os\nimport shutil\nimport tempfile\n\ndef backup(src):\n"
                           "    fd = os.open(src, os.O_RDONLY)\n    os.close(fd)\n    tmp = tempfile.mktemp()\n"
                           "    shutil.copy(src, tmp)\n    return tmp\n",
                fixed="import os\nimport shutil\nimport tempfile\n\ndef backup(src):\n"
                      "    fd = os.open(src, os.O_RDONLY)\n    os.close(fd)\n    fd2, tmp = tempfile.mkstemp()\n"
                      "    os.close(fd2)\n    shutil.copy(src, tmp)\n    return tmp\n"),
    ),
)


# -- requests-timeout / requests-verify ----------------------------------------------------------------------

_HTTP_VERBS = frozenset({"get", "options", "head", "post", "put", "patch", "delete"})
_HTTPX_CALLS = _HTTP_VERBS | {"request", "stream", "Client", "AsyncClient"}
DEFAULT_TIMEOUT = "10"


def _requests_timeout(doc: Document, finding: Finding) -> list[Edit] | None:
    def accept(call: ast.Call) -> bool:
        library, _, name = (doc.qualified(call.func) or "").rpartition(".")
        return (library == "requests" and name in _HTTP_VERBS or library == "httpx" and name in _HTTPX_CALLS) \
            and not has_star_arguments(call)

    call = flagged_call(doc, finding, accept)
    if call is None:
        return None
    timeout = keyword(call, "timeout")
    if timeout is None:
        return [add_keyword(doc, call, f"timeout={DEFAULT_TIMEOUT}")] \
            if doc.qualified(call.func).startswith("requests.") else None
    if is_constant(timeout.value, None):
        start, end = doc.span(timeout.value)
        return [Edit(start=start, end=end, new=DEFAULT_TIMEOUT)]
    return None


REQUESTS_TIMEOUT = SimpleFix(
    name="requests-timeout",
    rules=frozenset({"B113"}),
    description=f"requests.get/post/... without a timeout (or timeout=None) -> timeout={DEFAULT_TIMEOUT}",
    function=_requests_timeout,
    examples=(
        Example(vulnerable="import requests\n\ndef fetch(url):\n    response = requests.get(url)\n"
                           "    return response.json()\n",
                fixed="import requests\n\ndef fetch(url):\n    response = requests.get(url, timeout=10)\n"
                      "    return response.json()\n"),
        Example(vulnerable="import requests\n\ndef send(url, payload):\n    return requests.post(\n"
                           "        url,\n        json=payload,\n        headers={\"Accept\": \"application/json\"},\n"
                           "    ).status_code\n",
                fixed="import requests\n\ndef send(url, payload):\n    return requests.post(\n"
                      "        url,\n        json=payload,\n        headers={\"Accept\": \"application/json\"}, "
                      "timeout=10,\n    ).status_code\n"),
        Example(vulnerable="import requests\n\ndef ping(url):\n    return requests.head(url, timeout=None).ok\n",
                fixed="import requests\n\ndef ping(url):\n    return requests.head(url, timeout=10).ok\n"),
    ),
)


def _requests_verify(doc: Document, finding: Finding) -> list[Edit] | None:
    call = flagged_call(doc, finding, lambda c: isinstance(c.func, ast.Attribute)
                        and is_constant(getattr(keyword(c, "verify"), "value", None), False))
    return [remove_keyword(doc, call, "verify")] if call is not None else None


REQUESTS_VERIFY = SimpleFix(
    name="requests-verify",
    rules=frozenset({"B501", "request-without-cert-validation"}),
    description="verify=False removed from a requests / httpx call (certificates checked again)",
    function=_requests_verify,
    examples=(
        Example(vulnerable="import requests\n\ndef fetch(url):\n"
                           "    return requests.get(url, verify=False, timeout=10).text\n",
                fixed="import requests\n\ndef fetch(url):\n    return requests.get(url, timeout=10).text\n"),
        Example(vulnerable="import requests\n\ndef fetch(url):\n    with requests.Session() as session:\n"
                           "        return session.get(url, timeout=5, verify=False).json()\n",
                fixed="import requests\n\ndef fetch(url):\n    with requests.Session() as session:\n"
                      "        return session.get(url, timeout=5).json()\n"),
        Example(vulnerable="import httpx\n\ndef fetch(url):\n    return httpx.get(url, verify=False).text\n",
                fixed="import httpx\n\ndef fetch(url):\n    return httpx.get(url).text\n"),
    ),
)


# -- flask-debug-off / jinja2-autoescape ---------------------------------------------------------------------

def _flask_debug_off(doc: Document, finding: Finding) -> list[Edit] | None:
    call = flagged_call(doc, finding, lambda c: isinstance(c.func, ast.Attribute) and c.func.attr == "run"
                        and is_constant(getattr(keyword(c, "debug"), "value", None), True))
    return [remove_keyword(doc, call, "debug")] if call is not None else None


FLASK_DEBUG_OFF = SimpleFix(
    name="flask-debug-off",
    rules=frozenset({"B201", "flask-debug"}),
    description="app.run(..., debug=True) -> the debug=True argument removed",
    function=_flask_debug_off,
    examples=(
        Example(vulnerable="from flask import Flask\n\napp = Flask(__name__)\n\n\n@app.route(\"/\")\ndef index():\n"
                           "    return \"ok\"\n\n\nif __name__ == \"__main__\":\n    app.run(debug=True)\n",
                fixed="from flask import Flask\n\napp = Flask(__name__)\n\n\n@app.route(\"/\")\ndef index():\n"
                      "    return \"ok\"\n\n\nif __name__ == \"__main__\":\n    app.run()\n"),
        Example(vulnerable="from flask import Flask\n\napp = Flask(__name__)\n\nif __name__ == \"__main__\":\n"
                           "    app.run(debug=True, port=8080)\n",
                fixed="from flask import Flask\n\napp = Flask(__name__)\n\nif __name__ == \"__main__\":\n"
                      "    app.run(port=8080)\n"),
        Example(vulnerable="def serve(app):\n    app.run(host=\"127.0.0.1\", port=8000, debug=True)\n",
                fixed="def serve(app):\n    app.run(host=\"127.0.0.1\", port=8000)\n"),
    ),
)

# Template names that say the output is not HTML: escaping it would change it.
_PLAIN_TEXT_TEMPLATE = re.compile(r"\.(txt|text|sql|ya?ml|json|ini|cfg|conf|toml|py|sh|md|csv|tex|j2)\b", re.I)


def _jinja2_autoescape(doc: Document, finding: Finding) -> list[Edit] | None:
    call = flagged_call(doc, finding, lambda c: (doc.qualified(c.func) or "").split(".")[0] == "jinja2"
                        and (doc.qualified(c.func) or "").endswith(".Environment"))
    if call is None or has_star_arguments(call):
        return None
    scope = doc.function_of(call) or doc.tree
    if any(isinstance(n, ast.Constant) and isinstance(n.value, str) and _PLAIN_TEXT_TEMPLATE.search(n.value)
           for n in ast.walk(scope)):
        return None
    autoescape = keyword(call, "autoescape")
    if autoescape is None:
        return [add_keyword(doc, call, "autoescape=True")]
    if is_constant(autoescape.value, False):
        start, end = doc.span(autoescape.value)
        return [Edit(start=start, end=end, new="True")]
    return None


JINJA2_AUTOESCAPE = SimpleFix(
    name="jinja2-autoescape",
    rules=frozenset({"B701"}),
    description="jinja2.Environment(...) without autoescape, or autoescape=False -> autoescape=True "
                "(left alone when its templates are not HTML: .txt, .sql, .yaml...)",
    function=_jinja2_autoescape,
    examples=(
        Example(vulnerable="import jinja2\n\ndef render_page(name):\n"
                           "    env = jinja2.Environment(loader=jinja2.FileSystemLoader(\"templates\"))\n"
                           "    return env.get_template(\"page.html\").render(name=name)\n",
                fixed="import jinja2\n\ndef render_page(name):\n"
                      "    env = jinja2.Environment(loader=jinja2.FileSystemLoader(\"templates\"), autoescape=True)\n"
                      "    return env.get_template(\"page.html\").render(name=name)\n"),
        Example(vulnerable="from jinja2 import Environment, FileSystemLoader\n\n"
                           "env = Environment(loader=FileSystemLoader(\"templates\"), autoescape=False)\n",
                fixed="from jinja2 import Environment, FileSystemLoader\n\n"
                      "env = Environment(loader=FileSystemLoader(\"templates\"), autoescape=True)\n"),
        Example(vulnerable="from jinja2 import Environment\n\ndef greet(user):\n"
                           "    return Environment().from_string(\"<p>Hello {{ user }}</p>\").render(user=user)\n",
                fixed="from jinja2 import Environment\n\ndef greet(user):\n"
                      "    return Environment(autoescape=True).from_string(\"<p>Hello {{ user }}</p>\")"
                      ".render(user=user)\n"),
    ),
)


# -- chmod-least-privilege -----------------------------------------------------------------------------------

# What each analyzer flags: Bandit's B103 any group/other write or execute bit on a chmod; the dataflow
# analyzer's overly-permissive-file a world-write bit on chmod and on the modes files and directories are
# created with. A fix clears exactly those bits: the owner keeps every right, group and others keep read
# (chmod) or read and execute (a created directory stays traversable).
_CHMOD_FLAGGED = stat.S_IWGRP | stat.S_IXGRP | stat.S_IWOTH | stat.S_IXOTH
_CREATE_FLAGGED = stat.S_IWGRP | stat.S_IWOTH
_CREATE_MODE_AT = {"os.mkdir": 1, "os.makedirs": 1, "os.mkfifo": 1, "os.open": 2}
_STAT_SPECIAL = (("S_ISUID", stat.S_ISUID), ("S_ISGID", stat.S_ISGID), ("S_ISVTX", stat.S_ISVTX))
_STAT_CLASSES = (("U", "USR", stat.S_IRWXU), ("G", "GRP", stat.S_IRWXG), ("O", "OTH", stat.S_IRWXO))


def _mode_argument(doc: Document, call: ast.Call) -> tuple[ast.expr, int] | None:
    """The mode ``call`` sets and the bits an analyzer flags in it."""
    name = doc.qualified(call.func) or ""
    method = call.func.attr if isinstance(call.func, ast.Attribute) else name
    given = getattr(keyword(call, "mode"), "value", None)
    if method == "chmod" or name in ("os.chmod", "os.fchmod", "os.lchmod"):
        if given is None and len(call.args) in (1, 2) and (len(call.args) == 2 or not name.startswith("os.")):
            given = call.args[-1]  # Path.chmod(mode), os.chmod(path, mode), sftp.chmod(path, mode)
        return (given, _CHMOD_FLAGGED) if given is not None else None
    if name in _CREATE_MODE_AT and given is None and len(call.args) > _CREATE_MODE_AT[name]:
        given = call.args[_CREATE_MODE_AT[name]]
    if given is not None and (name in _CREATE_MODE_AT or method in ("mkdir", "touch")):
        return given, _CREATE_FLAGGED
    return None


def _mode_value(doc: Document, node: ast.expr) -> tuple[int, str | None] | None:
    """(value, the name ``stat`` is imported as when the mode is written with it) of a literal mode:
    an integer, ``stat.S_I*`` constants, or both joined with ``|``."""
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value, None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        left, right = _mode_value(doc, node.left), _mode_value(doc, node.right)
        return (left[0] | right[0], left[1] or right[1]) if left and right else None
    qualified = doc.qualified(node) or ""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and qualified.startswith("stat.S_I") \
            and isinstance(value := getattr(stat, qualified[5:], None), int):
        return value, node.value.id
    return None


def stat_expression(module: str, mode: int) -> str:
    """``mode`` written with ``stat`` constants (``stat.S_IRWXU | stat.S_IRGRP``)."""
    names = [name for name, bit in _STAT_SPECIAL if mode & bit]
    for short, long, mask in _STAT_CLASSES:
        if mode & mask == mask:
            names.append(f"S_IRWX{short}")
        else:
            names += [f"S_I{right}{long}" for right, bits in (("R", 0o444), ("W", 0o222), ("X", 0o111))
                      if mode & mask & bits]
    return " | ".join(f"{module}.{name}" for name in names) or "0"


def _chmod_least_privilege(doc: Document, finding: Finding) -> list[Edit] | None:
    call = flagged_call(doc, finding, lambda c: _mode_argument(doc, c) is not None)
    if call is None:
        return None
    node, flagged = _mode_argument(doc, call)
    found = _mode_value(doc, node)
    if found is None or not found[0] & flagged:
        return None
    mode, module = found[0] & ~flagged, found[1]
    start, end = doc.span(node)
    return [Edit(start=start, end=end, new=stat_expression(module, mode) if module else oct(mode))]


CHMOD_LEAST_PRIVILEGE = SimpleFix(
    name="chmod-least-privilege",
    rules=frozenset({"B103", "overly-permissive-file"}),
    description="a literal permission mode loses the group/other bits flagged (0o777 -> 0o744 on chmod, "
                "0o755 on mkdir)",
    function=_chmod_least_privilege,
    examples=(
        Example(vulnerable="import os\n\ndef publish(path):\n    os.chmod(path, 0o777)\n",
                fixed="import os\n\ndef publish(path):\n    os.chmod(path, 0o744)\n"),
        Example(vulnerable="import os\n\ndef save(path, data):\n    with open(path, \"w\") as f:\n"
                           "        f.write(data)\n    os.chmod(path, 0o666)\n",
                fixed="import os\n\ndef save(path, data):\n    with open(path, \"w\") as f:\n"
                      "        f.write(data)\n    os.chmod(path, 0o644)\n"),
        Example(vulnerable="import os\nimport stat\n\ndef share(path):\n"
                           "    os.chmod(path, stat.S_IRWXU | stat.S_IRWXG | stat.S_IRWXO)\n",
                fixed="import os\nimport stat\n\ndef share(path):\n"
                      "    os.chmod(path, stat.S_IRWXU | stat.S_IRGRP | stat.S_IROTH)\n"),
        Example(vulnerable="import os\n\ndef prepare(directory):\n"
                           "    os.makedirs(directory, mode=0o777, exist_ok=True)\n",
                fixed="import os\n\ndef prepare(directory):\n    os.makedirs(directory, mode=0o755, exist_ok=True)\n"),
    ),
)


# -- eval-literal --------------------------------------------------------------------------------------------

# Words that say the evaluated text is data (a list, a dict, a number...): one must be there.
_LITERAL_WORDS = frozenset({"data", "config", "cfg", "conf", "settings", "setting", "options", "value", "values",
                            "val", "payload", "line", "lines", "literal", "literals", "s", "string", "str", "text",
                            "raw", "list", "lists", "dict", "dictionary", "tuple", "tuples", "number", "numbers",
                            "items", "item", "record", "row", "parse", "parsed", "parsing", "load", "loads",
                            "content", "contents", "entry", "obj", "structure", "json", "repr", "representation",
                            "serialized", "deserialize", "field"})
# Words that say it is an expression or code: literal_eval would refuse it ("2+3" raises).
_EXPRESSION_WORDS = frozenset({"calc", "calculate", "calculator", "calculation", "compute", "computes",
                               "computation", "expression", "expressions", "expr", "exp", "formula", "formulas",
                               "math", "maths", "arithmetic", "equation", "equations", "operator", "operators",
                               "operation", "operations", "op", "ops", "evaluate", "evaluates", "evaluating",
                               "evaluator", "interpret", "interpreter", "code", "command", "cmd", "script",
                               "lambda", "function", "func", "callback", "execute", "run", "plus", "minus",
                               "multiply", "divide", "add", "subtract", "sum", "product", "result", "answer",
                               "total"})
# Names anywhere in the function (or the file's imports) that say expressions are around: ``math.sqrt``,
# ``operator.add``, ``sympy``... Narrower than the words above: ``sum(values)`` of a parsed list is data work.
_EXPRESSION_NAMES = frozenset({"math", "cmath", "operator", "sympy", "numexpr", "calc", "calculate", "calculator",
                               "compute", "expression", "expr", "formula", "arithmetic", "equation", "evaluate"})
_ARITHMETIC = re.compile(r"\d\s*[-+*/%^]\s*[\d(]|[\w)]\s*(\*\*|//)\s*[\w(]")


def words(text: str) -> set[str]:
    """The lower-case words of identifiers and prose (``parseConfig_line`` -> parse, config, line)."""
    return set(re.findall(r"[a-z]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", text).lower()))


def _reads_a_literal(doc: Document, call: ast.Call) -> bool:
    """Whether ``eval``'s argument is data. Read from the function's name and parameters, the names the result
    is assigned to, the argument's names and strings, the function's strings (prompts, docstring) and the task
    description: a data word (``data``, ``config``, ``line``, ``list``...) must appear, no expression word
    (``calc``, ``expr``, ``formula``, ``result``...), no name of an expression library in the function or
    the imports (``math``, ``operator``, ``sympy``) and no arithmetic in a string constant. A constant
    argument is data when ``ast.literal_eval`` reads it."""
    function = doc.function_of(call)
    statement = doc.statement_of(call)
    argument = call.args[0]
    text = [doc.context, doc.segment(argument)]
    if function is not None:
        text += [function.name, *(a.arg for a in ast.walk(function.args) if isinstance(a, ast.arg))]
    if isinstance(statement, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        text += [doc.segment(t) for t in targets]
    strings = [n.value for n in ast.walk(function or argument)
               if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    if isinstance(argument, ast.Constant):  # eval("[1, 2]"): the constant says it all
        try:
            ast.literal_eval(argument.value)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            return False
        return True
    found = words(" ".join(text + strings))
    names = words(" ".join([*doc.imports(), *(n.id for n in ast.walk(function or argument) if isinstance(n, ast.Name)),
                            *(n.attr for n in ast.walk(function or argument) if isinstance(n, ast.Attribute))]))
    return bool(found & _LITERAL_WORDS) and not found & _EXPRESSION_WORDS and not names & _EXPRESSION_NAMES \
        and not any(_ARITHMETIC.search(s) for s in strings + [doc.context])


def _eval_literal(doc: Document, finding: Finding) -> list[Edit] | None:
    call = flagged_call(doc, finding, lambda c: isinstance(c.func, ast.Name) and c.func.id == "eval")
    if call is None or len(call.args) != 1 or call.keywords or has_star_arguments(call) or rebound(doc, "eval") \
            or "eval" in doc.imports():
        return None
    argument = call.args[0]
    if isinstance(argument, (ast.JoinedStr, ast.BinOp)) or isinstance(argument, ast.Call) \
            and isinstance(argument.func, ast.Attribute) and argument.func.attr == "format":
        return None  # code built from pieces: an expression, not data
    if not _reads_a_literal(doc, call):
        return None
    if doc.imports().get("ast", "ast") != "ast" or rebound(doc, "ast"):
        return None
    start, end = doc.span(call.func)
    edits = [Edit(start=start, end=end, new="ast.literal_eval")]
    if (added := doc.ensure_import("import ast")) is not None:
        edits.append(added)
    return edits


EVAL_LITERAL = SimpleFix(
    name="eval-literal",
    rules=frozenset({"B307", "code-injection"}),
    description="eval(text) that reads a literal (a list, dict, number...) -> ast.literal_eval(text); "
                "left alone for expressions and code",
    function=_eval_literal,
    examples=(
        Example(vulnerable="def parse_config(data):\n    return eval(data)\n",
                fixed="import ast\ndef parse_config(data):\n    return ast.literal_eval(data)\n"),
        Example(vulnerable="def main():\n    values = eval(input(\"Enter a list of numbers: \"))\n"
                           "    print(sorted(values))\n",
                fixed="import ast\ndef main():\n    values = ast.literal_eval(input(\"Enter a list of numbers: \"))\n"
                      "    print(sorted(values))\n"),
        Example(vulnerable="import json\n\n\ndef convert(line):\n"
                           "    \"\"\"Turn a Python dict literal into JSON.\"\"\"\n"
                           "    return json.dumps(eval(line.strip()))\n",
                fixed="import json\nimport ast\n\n\ndef convert(line):\n"
                      "    \"\"\"Turn a Python dict literal into JSON.\"\"\"\n"
                      "    return json.dumps(ast.literal_eval(line.strip()))\n"),
    ),
)


FIXES = (YAML_SAFE_LOAD, DEFUSEDXML, LXML_SAFE_PARSER, SECURE_TEMPFILE, REQUESTS_TIMEOUT, REQUESTS_VERIFY,
         FLASK_DEBUG_OFF, JINJA2_AUTOESCAPE, CHMOD_LEAST_PRIVILEGE, EVAL_LITERAL)
