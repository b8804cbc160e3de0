"""Chat templates from GGUF files secgen did not verify: vetted in a bounded child process before loading.

A GGUF file carries its chat template (``tokenizer.chat_template``, and
optionally named ones, ``tokenizer.chat_template.NAME``) as Jinja source.
What llama-cpp-python (0.3.36, pinned in pyproject.toml) does with it:

* building a ``Llama`` compiles every such template with its
  ``Jinja2ChatFormatter``, and ``create_chat_completion`` (secgen's chat path:
  ``generate``, ``fix``, repairs) renders the default one with the conversation;
* the formatter's environment is ``jinja2.sandbox.ImmutableSandboxedEnvironment``
  (``trim_blocks``, ``lstrip_blocks``, the ``loopcontrols`` extension, a
  pass-through ``{% generation %}`` tag, a ``tojson`` filter). The sandbox
  refuses attributes that start with ``_`` (``__class__``, ``__globals__``),
  the internals of functions and frames, and every method that mutates a list,
  dict or set, so a template cannot reach ``os`` or change its inputs.
  tests/engine/test_chat_template.py pins that the library still renders there
  and still refuses a template that reaches for ``__class__.__mro__``.

What the sandbox does not bound is cost. Jinja folds constant expressions while
it compiles, even in branches that never run, so ``{% if false %}{{ 'a' *
10**12 }}{% endif %}`` exhausts memory as the model loads; loops nested in
loops can run for hours; a template can render gigabytes.

So :func:`vet_chat_templates` runs before a GGUF from a path is loaded. A
child process (this interpreter with ``-P``, and this process's ``sys.path``
as its only environment variable, so it imports the same jinja2) limits
itself (``RLIMIT_DATA`` 512 MiB, ``RLIMIT_CPU``, no core file), builds the
same environment as llama-cpp-python (:func:`sandbox_environment`), and for
each template: refuses an operation that Jinja would compute while compiling
(``*``, ``**``, ``%`` or a filter applied to literals only; no real template
needs one, and under a memory limit Jinja quietly skips folding what fails,
so the trial alone could not see it; filters that cannot grow their input,
such as ``length`` or ``trim``, are allowed), compiles it, and renders the
default template with a sample conversation (system, user, assistant, user),
as ``create_chat_completion`` would. The parent waits ``timeout_s`` at most.

A template is refused, with one sentence naming it, when it is not a string
or is over 1 MiB, does not compile, computes on literals, is stopped by the
sandbox (``SecurityError``), runs out of memory or CPU time or wall-clock
time, recurses too deeply, or renders more than ``MAX_OUTPUT_CHARS`` for the
sample. Not refused: a template that raises its own error
(``raise_exception``, e.g. "system role not supported") or trips over a
variable the sample lacks; that is not an attack, and if it happens in real
use, :class:`~secgen.engine.llama.LlamaBackend` reports the Jinja error as a
``BackendError``.

What is left: a template may misbehave only on inputs the sample does not
contain (a trigger phrase in the user's code). The sandbox still keeps it from
Python; the worst it can do then is stall or exhaust the process that renders
it. Catalog models are not vetted: their files match a published sha256.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import datetime
from typing import Any, Mapping

import jinja2
from jinja2 import nodes
from jinja2.ext import Extension
from jinja2.sandbox import ImmutableSandboxedEnvironment

TEMPLATE_KEY = "tokenizer.chat_template"  # the default one; named ones are TEMPLATE_KEY + ".NAME"
MAX_TEMPLATE_CHARS = 1 << 20
MAX_OUTPUT_CHARS = 1 << 20
MEMORY_BYTES = 512 << 20
CPU_S = 10
TIMEOUT_S = 30.0  # wall clock, for the whole check: generous, the machine may be busy

SAMPLE_CONVERSATION = (
    {"role": "system", "content": "You are a careful programmer."},
    {"role": "user", "content": "Write a function that adds two numbers."},
    {"role": "assistant", "content": "def add(a, b):\n    return a + b\n"},
    {"role": "user", "content": "Now make it check its arguments."},
)


class TemplateRefused(ValueError):
    """A chat template secgen will not let llama-cpp-python compile or render; the message names it and why."""


class _GenerationTag(Extension):
    """``{% generation %}...{% endgeneration %}`` (Hugging Face's marker for assistant turns) renders its body."""

    tags = {"generation"}

    def parse(self, parser):
        parser.stream.skip(1)
        return parser.parse_statements(("name:endgeneration",), drop_needle=True)


def _tojson(value, ensure_ascii=False, indent=None, separators=None, sort_keys=False) -> str:
    return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def sandbox_environment() -> ImmutableSandboxedEnvironment:
    """The environment llama-cpp-python renders chat templates in, with the same options."""
    environment = ImmutableSandboxedEnvironment(loader=jinja2.BaseLoader(), trim_blocks=True, lstrip_blocks=True,
                                                extensions=[_GenerationTag, jinja2.ext.loopcontrols])
    environment.filters["tojson"] = _tojson
    return environment


def chat_templates(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """The chat templates in a GGUF's metadata, by key, as llama-cpp-python would find them."""
    return {key: value for key, value in metadata.items()
            if key == TEMPLATE_KEY or key.startswith(TEMPLATE_KEY + ".")}


def vet_chat_templates(metadata: Mapping[str, Any], *, cpu_s: int = CPU_S, timeout_s: float = TIMEOUT_S) -> None:
    """Raise :class:`TemplateRefused` unless every chat template in ``metadata`` passes the checks above."""
    templates = chat_templates(metadata)
    for key, source in templates.items():
        if not isinstance(source, str):
            raise TemplateRefused(f"its chat template {key} is not a string")
        if len(source) > MAX_TEMPLATE_CHARS:
            raise TemplateRefused(f"its chat template {key} is {len(source):,} characters long, over the limit "
                                  f"of {MAX_TEMPLATE_CHARS:,}")
    if not templates:
        return
    payload = json.dumps({"templates": templates, "memory": MEMORY_BYTES, "cpu_s": cpu_s}).encode()
    command = [sys.executable, "-P", "-c", "from secgen.engine.chat_template import _child_main; _child_main()"]
    env = {"PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}  # this process's imports, nothing else
    if "SYSTEMROOT" in os.environ:  # Windows needs it to start Python at all
        env["SYSTEMROOT"] = os.environ["SYSTEMROOT"]
    try:
        run = subprocess.run(  # nosec B603: this interpreter running our own module, no shell
            command, input=payload, capture_output=True, timeout=timeout_s, env=env, check=False)
    except subprocess.TimeoutExpired:
        raise TemplateRefused(f"its chat template took more than {timeout_s:g} s to check") from None
    except OSError as exc:
        raise TemplateRefused(f"its chat template could not be checked ({exc})") from None
    cpu_signals = {-getattr(signal, name) for name in ("SIGXCPU", "SIGKILL") if hasattr(signal, name)}
    if run.returncode in cpu_signals:  # the soft CPU limit, or the hard one a second later
        raise TemplateRefused(f"its chat template used more than {cpu_s} s of CPU time to compile and render")
    if run.returncode < 0:
        raise TemplateRefused(f"its chat template's check was killed by signal {-run.returncode}")
    try:
        verdict = json.loads(run.stdout)
    except ValueError:
        tail = run.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        raise TemplateRefused(f"its chat template could not be checked (exit {run.returncode}: {tail[0]})") from None
    if verdict.get("refused"):
        raise TemplateRefused(f"its chat template {verdict['key']} {verdict['refused']}")


# -- the child ---------------------------------------------------------------------------------------------


def _child_main() -> None:
    """Read the templates as JSON on stdin, limit this process, check them, print the verdict as JSON."""
    payload = json.loads(sys.stdin.buffer.read())
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_DATA, (payload["memory"], payload["memory"]))
        resource.setrlimit(resource.RLIMIT_CPU, (payload["cpu_s"], payload["cpu_s"] + 1))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ImportError, ValueError, OSError):
        pass  # no resource module (Windows), or limits already lower: the parent's wall clock still applies
    verdict = {"refused": None}
    for key, source in payload["templates"].items():
        reason = _check(source, render=key == TEMPLATE_KEY, memory=payload["memory"])
        if reason is not None:
            verdict = {"key": key, "refused": reason}
            break
    sys.stdout.write(json.dumps(verdict))


def _check(source: str, *, render: bool, memory: int) -> str | None:
    """Why the template is refused, or None."""
    environment = sandbox_environment()
    try:
        folded = _folded_operation(environment.parse(source))
        if folded is not None:
            return (f"computes {_describe(folded)} on literals at line {folded.lineno}, which Jinja does while "
                    "compiling, even in branches that never run")
        template = environment.from_string(source)
        if render:
            return _render(template)
    except jinja2.TemplateSyntaxError as exc:
        return f"does not compile ({exc.message}, line {exc.lineno})"
    except jinja2.exceptions.SecurityError as exc:
        return f"tries something the sandbox forbids ({exc})"
    except MemoryError:
        return f"needs more than {memory >> 20} MiB to compile or render"
    except RecursionError:
        return "recurses too deeply"
    return None


_FOLDABLE = (nodes.Const, nodes.TemplateData, nodes.Tuple, nodes.List, nodes.Dict, nodes.Pair, nodes.Keyword,
             nodes.CondExpr, nodes.Filter, nodes.Test, nodes.Getitem, nodes.Getattr, nodes.Slice, nodes.Concat,
             nodes.Compare, nodes.Operand, nodes.BinExpr, nodes.UnaryExpr, nodes.MarkSafe, nodes.MarkSafeIfAutoescape)


def _foldable(node: nodes.Node) -> bool:
    """True if Jinja's optimizer may compute ``node`` while compiling: it holds literals and operations only."""
    if not isinstance(node, _FOLDABLE) or (isinstance(node, nodes.Filter) and node.node is None):
        return False
    return all(_foldable(child) for child in node.iter_child_nodes())


# Filters whose result is no bigger than their literal input (or a number): harmless to fold.
BOUNDED_FILTERS = frozenset({"abs", "capitalize", "count", "d", "default", "e", "escape", "first", "float", "int",
                             "items", "last", "length", "list", "lower", "max", "min", "reverse", "round", "safe",
                             "sort", "string", "title", "tojson", "trim", "unique", "upper"})


def _folded_operation(tree: nodes.Template) -> nodes.Node | None:
    """The first ``*``, ``**``, ``%`` or growing filter on literals only: what can blow up while compiling.

    (Tests, ``is defined`` and the like, return a bool, and ``+`` and ``~`` on literals give no more than the
    template's own text, so they may fold.)
    """
    for node in tree.find_all((nodes.Mul, nodes.Pow, nodes.Mod, nodes.Filter)):
        if isinstance(node, nodes.Filter) and node.name in BOUNDED_FILTERS:
            continue
        if _foldable(node):
            return node
    return None


def _describe(node: nodes.Node) -> str:
    if isinstance(node, nodes.Filter):
        return f"the filter '{node.name}'"
    return f"'{node.operator}'"


def _render(template: jinja2.Template) -> str | None:
    def raise_exception(message: str):
        raise ValueError(message)

    size = 0
    try:
        for piece in template.generate(
                messages=[dict(m) for m in SAMPLE_CONVERSATION], eos_token="</s>", bos_token="<s>",  # nosec B106: tokens
                raise_exception=raise_exception, add_generation_prompt=True, functions=None, function_call=None,
                tools=None, tool_choice=None, strftime_now=lambda f: datetime(2025, 1, 1).strftime(f)):
            size += len(piece)
            if size > MAX_OUTPUT_CHARS:
                return f"renders more than {MAX_OUTPUT_CHARS:,} characters for a four-message conversation"
    except (jinja2.exceptions.SecurityError, MemoryError, RecursionError):
        raise
    except Exception:  # the template's own error, or a variable the sample lacks: not an attack
        return None
    return None
