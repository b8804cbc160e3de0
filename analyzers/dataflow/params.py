"""Parameters as sources: the heuristics that decide which parameters carry untrusted data.

A completion is a function whose callers are unknown, so its parameters are
sources (kind ``parameter``) unless the code says otherwise; the rules
(``parameters:`` in a rule file) decide what a flow from one must look like.
:class:`Parameters` (a mixin of the scope walker) binds each parameter of a
function to its taint:

* a parameter named like a request object (``request``) or annotated with a
  request type (``Request``, ``HttpRequest``) is a request object: anything
  read from it is request data;
* a parameter of a route handler (a function decorated with one of
  ``handlers.decorators``) is request data, unless it is trusted (below) or a
  typed route segment (``<int:user_id>``);
* otherwise it is a ``parameter`` source, *trusted* (kept only for the
  function's summary, never reported where it is) when its name is in
  ``parameters.trusted_names`` (``self``, ``conn``, ``cursor``, ``logger``,
  ``n``...), its annotation is a non-string type (``int``, ``float``,
  ``bool``, dates, ``UUID``, infrastructure classes, containers and unions of
  those), its default is a number or a bool, its default is FastAPI's
  ``Depends(...)``, or the function is called elsewhere in the same file (its
  callers are known and are checked at the calls, through the summary);
* a parameter named like a secret (``password``) is also sensitive data.
"""

from __future__ import annotations

import ast

from secgen.analyzers.dataflow.values import Taint, walk

_CONTAINERS = frozenset({"Optional", "Union", "list", "List", "tuple", "Tuple", "set", "Set", "frozenset", "FrozenSet",
                         "Sequence", "Iterable", "Iterator", "Collection", "dict", "Dict", "Mapping", "Annotated",
                         "MutableSequence", "MutableMapping", "AbstractSet", "Literal", "Final", "ClassVar"})


class Parameters:
    """Handler detection and parameter binding; needs the scope walker's ``env``, ``info``, ``rules``, ``ix``."""

    def is_handler(self, node) -> bool:
        for decorator in node.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            if self.rules.handler_decorators.match(self.qualname(target)):
                return True
        return False

    def bind_params(self, node) -> list[str]:
        args = node.args
        positional = args.posonlyargs + args.args
        defaults = dict(zip([a.arg for a in positional[len(positional) - len(args.defaults):]], args.defaults))
        defaults.update({a.arg: d for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None})
        every = positional + ([args.vararg] if args.vararg else []) + args.kwonlyargs + ([args.kwarg] if args.kwarg else [])
        typed_path = set()
        if self.handler and self.rules.typed_path_parameter is not None:
            for decorator in node.decorator_list:
                for sub in walk(decorator):
                    if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                        typed_path.update(self.rules.typed_path_parameter.findall(sub.value))
        called = self.info.key in self.fa.called
        for index, arg in enumerate(every):
            name = arg.arg
            self.params.add(name)
            if index == 0 and self.info.class_name and name in ("self", "cls"):
                continue
            if self.is_request_object(name, arg.annotation):
                self.local_roots[name] = self.ix.request_kind
                continue
            trusted = self.trusted_param(name, arg.annotation, defaults.get(name))
            taints = set()
            if self.handler and self.ix.handler_kind and not (trusted or name in typed_path):
                taints.add(Taint(kind=self.ix.handler_kind, label=f"route parameter `{name}`", param=index))
            elif self.ix.parameter_kind:
                taints.add(Taint(kind=self.ix.parameter_kind, label=f"parameter `{name}`", param=index,
                                 trusted=trusted or called or self.handler))
            for t in self.named_source(name, arg):
                taints.add(Taint(kind=t.kind, label=t.label, param=index, trusted=called))
            if taints:
                self.env.taint[name] = frozenset(taints)
        return [a.arg for a in every]

    def is_request_object(self, name: str, annotation: ast.expr | None) -> bool:
        if self.ix.request_kind is None:
            return False
        kind = self.rules.source_kinds[self.ix.request_kind]
        if name in kind.request_parameters:
            return True
        if annotation is not None and kind.request_annotations:
            text = self.dotted(annotation) or ""
            return any(text == a or (a.startswith("*.") and text.endswith(a[1:])) for a in kind.request_annotations)
        return False

    def trusted_param(self, name: str, annotation: ast.expr | None, default: ast.expr | None) -> bool:
        if name in self.rules.trusted_names:
            return True
        if annotation is not None and self.trusted_annotation(annotation):
            return True
        if isinstance(default, ast.Constant) and isinstance(default.value, (bool, int, float)):
            return True
        return isinstance(default, ast.Call) and (self.qualname(default.func) or "").endswith("Depends")

    def trusted_annotation(self, node: ast.expr, depth: int = 0) -> bool:
        if depth > 6:
            return False
        if isinstance(node, ast.Constant):
            if node.value is None or node.value is Ellipsis:
                return True
            if isinstance(node.value, str):
                try:
                    return self.trusted_annotation(ast.parse(node.value, mode="eval").body, depth + 1)
                except SyntaxError:
                    return False
            return not isinstance(node.value, (str, bytes))
        if isinstance(node, (ast.Name, ast.Attribute)):
            text = self.dotted(node) or ""
            last = text.rsplit(".", 1)[-1]
            pattern = self.rules.trusted_annotation_pattern
            return (text in self.rules.trusted_annotations or last in self.rules.trusted_annotations
                    or bool(pattern and pattern.search(last)))
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            return self.trusted_annotation(node.left, depth + 1) and self.trusted_annotation(node.right, depth + 1)
        if isinstance(node, ast.Subscript):
            base = (self.dotted(node.value) or "").rsplit(".", 1)[-1]
            items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            if base == "Annotated":
                items = items[:1]
            if base in _CONTAINERS:
                return all(self.trusted_annotation(i, depth + 1) for i in items)
            return self.trusted_annotation(node.value, depth + 1)
        return False
