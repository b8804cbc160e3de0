"""Chat templates from untrusted GGUF files: llama-cpp-python's sandbox pinned, and secgen's vetting.

The pins use llama-cpp-python's real ``Jinja2ChatFormatter`` (no model needed):
if an upgrade stopped rendering in ``ImmutableSandboxedEnvironment``, or
changed its options, these fail. The vetting tests run the real child process.
"""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest
from jinja2.sandbox import ImmutableSandboxedEnvironment

from secgen.engine.backend import BackendError, ChatMessage, GenerationParams, collect
from secgen.engine.chat_template import (
    MAX_OUTPUT_CHARS,
    MAX_TEMPLATE_CHARS,
    SAMPLE_CONVERSATION,
    TemplateRefused,
    sandbox_environment,
    vet_chat_templates,
)

llama_chat_format = pytest.importorskip("llama_cpp.llama_chat_format")

# Shaped like Qwen's: a system turn, loop controls, the {% generation %} tag, tojson.
CHATML = """{%- for message in messages %}
{%- if message.role == 'tool' %}{% continue %}{% endif %}
<|im_start|>{{ message.role }}
{% if message.role == 'assistant' %}{% generation %}{{ message.content }}{% endgeneration %}
{%- else %}{{ message.content }}{% endif %}<|im_end|>
{% endfor %}
{%- if tools %}{{ tools | tojson }}{% endif %}
{%- if add_generation_prompt %}<|im_start|>assistant
{% endif %}"""


def escape_template(marker: Path) -> str:
    return "{{ cycler.__init__.__globals__.os.system('touch " + str(marker) + "') }}"


def formatter(template: str):
    return llama_chat_format.Jinja2ChatFormatter(template=template, eos_token="</s>", bos_token="<s>")


def test_llama_cpp_python_renders_in_the_immutable_sandbox_with_our_options():
    theirs = formatter(CHATML)._environment.environment
    ours = sandbox_environment()
    assert type(theirs) is ImmutableSandboxedEnvironment and type(ours) is ImmutableSandboxedEnvironment
    assert (theirs.trim_blocks, theirs.lstrip_blocks) == (ours.trim_blocks, ours.lstrip_blocks) == (True, True)

    def tags(environment):
        return {tag for extension in environment.extensions.values() for tag in extension.tags}

    assert tags(theirs) == tags(ours) == {"break", "continue", "generation"}
    assert "tojson" in theirs.filters and "tojson" in ours.filters


def test_our_environment_renders_exactly_what_llama_cpp_python_renders():
    messages = [*map(dict, SAMPLE_CONVERSATION), {"role": "tool", "content": "skipped"}]
    tools = [{"type": "function", "function": {"name": "run", "parameters": {"ünï": 1}}}]
    theirs = formatter(CHATML)(messages=messages, tools=tools).prompt
    ours = sandbox_environment().from_string(CHATML).render(messages=messages, tools=tools, add_generation_prompt=True)
    assert theirs == ours
    assert "skipped" not in ours and '"ünï": 1' in ours and ours.endswith("<|im_start|>assistant\n")


@pytest.mark.parametrize("template", [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ messages.__class__.__base__ }}",
    "{% set _ = messages.append({'role': 'user', 'content': 'injected'}) %}",
])
def test_llama_cpp_python_refuses_a_template_that_reaches_out_of_the_sandbox(template):
    with pytest.raises(jinja2.exceptions.SecurityError):
        formatter(template)(messages=[dict(m) for m in SAMPLE_CONVERSATION])


def test_an_escaping_template_is_not_executed_by_llama_cpp_python(tmp_path):
    marker = tmp_path / "escaped"
    with pytest.raises(jinja2.exceptions.SecurityError, match="unsafe"):
        formatter(escape_template(marker))(messages=[dict(m) for m in SAMPLE_CONVERSATION])
    assert not marker.exists()


def vetted(template: str, key: str = "tokenizer.chat_template", **options) -> str:
    with pytest.raises(TemplateRefused) as caught:
        vet_chat_templates({key: template, "general.name": "x"}, **options)
    return str(caught.value)


@pytest.mark.parametrize(("template", "reason"), [
    ("{{ ''.__class__.__mro__[1].__subclasses__() }}",
     "tries something the sandbox forbids (access to attribute '__class__' of 'str' object is unsafe.)"),
    ("{% set _ = messages.append(1) %}", "tries something the sandbox forbids (access to attribute 'append'"),
    ("{% if false %}{{ 'a' * 10**12 }}{% endif %}ok", "computes '*' on literals at line 1"),
    ("ok\n{% if false %}{{ 10 ** 10 ** 10 }}{% endif %}", "computes '**' on literals at line 2"),
    ("{% if false %}{{ '%0999999999d' % 1 }}{% endif %}", "computes '%' on literals"),
    ("{% if false %}{{ 'a' | center(10**12) }}{% endif %}", "computes the filter 'center' on literals"),
    ("{% for message in messages %}", "does not compile (Unexpected end of template"),
    ("{{ messages[0].content * (messages | length * 100000000) }}", "needs more than 512 MiB"),
    ("{% for i in range(100000) %}{{ messages[0].content }}{% endfor %}",
     f"renders more than {MAX_OUTPUT_CHARS:,} characters for a four-message conversation"),
    ("{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}", "recurses too deeply"),
])
def test_a_dangerous_template_is_refused_with_its_reason(template, reason):
    assert vetted(template).startswith("its chat template tokenizer.chat_template ")
    assert reason in vetted(template)


def test_the_named_templates_are_vetted_too():
    message = vetted("{% if false %}{{ 'a' * 10**12 }}{% endif %}", key="tokenizer.chat_template.tool_use")
    assert message.startswith("its chat template tokenizer.chat_template.tool_use computes '*'")


def test_an_escaping_template_is_refused_and_not_executed(tmp_path):
    marker = tmp_path / "escaped"
    assert "the sandbox forbids" in vetted(escape_template(marker))
    assert not marker.exists()


def test_a_template_that_never_ends_is_stopped_by_the_cpu_limit():
    loops = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
    assert vetted(loops, cpu_s=2) == "its chat template used more than 2 s of CPU time to compile and render"


def test_templates_that_are_not_strings_or_too_long_are_refused_without_running():
    assert vetted(["{{ x }}"]) == "its chat template tokenizer.chat_template is not a string"
    assert "is 1,048,577 characters long, over the limit of 1,048,576" in vetted("x" * (MAX_TEMPLATE_CHARS + 1))


@pytest.mark.parametrize("template", [
    CHATML,
    "{{ raise_exception('System role not supported') }}",  # the template's own error: reported when chatting
    "{{ bos_token }}{% for m in messages %}{{ m.content | trim }}{% endfor %}{{ undefined_thing.x }}",
    "{{ '-' ~ 'literal' ~ '-' }}{{ [1, 2] | length }}{{ ' x ' | trim }}{% if 3 is odd %}{{ 7 // 2 + 1 }}{% endif %}"
    "{% for m in messages %}{{ m.content * 2 }}{% endfor %}",
])
def test_ordinary_templates_pass(template):
    vet_chat_templates({"tokenizer.chat_template": template})


def test_metadata_without_a_template_passes_without_a_child():
    vet_chat_templates({"general.name": "no template"}, timeout_s=0.001)


class TemplateOnlyModel:
    """A stand-in for ``llama_cpp.Llama`` that formats the chat with the library's real formatter, then stops."""

    def __init__(self, template: str):
        self.handler = formatter(template)

    def create_chat_completion(self, messages, **_):
        self.handler(messages=messages)
        return iter(())


@pytest.mark.parametrize(("template", "message"), [
    ("{{ ''.__class__.__mro__ }}", r"the chat template of .*m.gguf failed \(SecurityError: access to attribute '__class__'"),
    ("{{ raise_exception('no system role') }}", r"chat with m.gguf failed: no system role"),
])
def test_a_template_error_while_chatting_is_a_backend_error(tmp_path, template, message):
    from secgen.engine.llama import LlamaBackend

    backend = LlamaBackend(tmp_path / "m.gguf", llama=TemplateOnlyModel(template))
    with pytest.raises(BackendError, match=message):
        collect(backend.chat([ChatMessage(role="user", content="hi")], GenerationParams()))
