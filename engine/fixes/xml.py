"""Mechanical fixes for XML parsing that expands entities or reaches the network (XXE, "billion laughs").

* ``defusedxml``: the stdlib XML parsers -> the same functions from ``defusedxml``, which
  refuse entity expansion and external references. The import is swapped when every use of
  the module is a function defusedxml provides; otherwise (``ET.Element`` builds XML) the
  stdlib import stays and only the parse call is qualified with ``defusedxml``.
* ``lxml-safe-parser``: an lxml parse with the default (entity-resolving) parser gets
  ``parser=etree.XMLParser(resolve_entities=False, no_network=True)``.

Every fix returns ``None`` for a shape it cannot rewrite with certainty; the model tiers
get those findings.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from secgen.analyzers import Finding
from secgen.engine.fixes.base import (Document, Edit, SimpleFix, add_keyword, dotted, flagged_call, has_star_arguments,
                                      import_text, is_constant, keyword, name_loads, owns_its_lines, rebound)

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
)


FIXES = (DEFUSEDXML, LXML_SAFE_PARSER)
