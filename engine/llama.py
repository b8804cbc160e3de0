"""The llama.cpp backend: a GGUF model in-process, through llama-cpp-python.

Choices that are not obvious:

* **FIM prompts are built from token ids.** llama-cpp-python's ``suffix=``
  path is broken for Qwen (FIM token ids hard-coded to 0), and tokenizing a
  text prompt with ``special=True`` would let a document that contains
  ``<|fim_suffix|>`` steer the model. So the user's text is tokenized as plain
  text and the three FIM control tokens are added by id.
* **No extra buffer types by default.** On CPUs with Intel AMX, llama.cpp's AMX
  buffer type crashes on the first decode (llama.cpp #20824). llama-cpp-python
  does not expose ``use_extra_bufts``, so the model parameters are adjusted as
  llama-cpp-python builds them (see :func:`model_params_without_extra_bufts`).
  ``extra_buffer_types=True`` turns them back on.
* **One lock around the model; a newer request interrupts the one in flight.**
  An editor only wants the latest completion.
* **The prompt is cut to fit the context**: the tail of the prefix and the head
  of the suffix are kept.
* **Continuing an answer** (a final assistant message): the conversation before
  it is rendered with the GGUF's own chat template in llama-cpp-python's
  formatter (the same sandbox ``create_chat_completion`` uses), the partial
  answer is appended, and the text is completed; llama-cpp-python reuses the
  KV cache for the prefix the previous request shared. ``params.avoid`` becomes
  a logit bias of -100 on the first token of each avoided word as code writes
  it (alone, after a space, a dot or a parenthesis).
* **Nothing reaches llama.cpp unchecked.** :meth:`LlamaBackend.from_spec` passes
  every file through :func:`~secgen.engine.catalog.check_model_file` first: a
  catalog file's size and digest, or, for any other GGUF (a path, a registered
  model, an ``hf:`` download), the strict header reader and the vetting of its
  chat templates. ``hf:`` files are downloaded with ``huggingface_hub`` (only
  when the user names one) and then checked like a path; ``Llama.from_pretrained``
  would load them unchecked.
* **Chat templates render in llama-cpp-python's Jinja sandbox**
  (``ImmutableSandboxedEnvironment``; see :mod:`secgen.engine.chat_template`).
  A template error while loading or chatting (the sandbox refusing an attribute,
  the template's own ``raise_exception``) becomes a one-line ``BackendError``.
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path
from typing import Iterator, Sequence

from secgen.engine.backend import (BackendError, CancelToken, ChatMessage, GenerationParams, ModelTurns,
                                   avoided_first_tokens)
from secgen.engine.catalog import CATALOG, ModelError, ModelSpec, check_model_file
from secgen.engine.prompts import FIM_MIDDLE, FIM_PREFIX, FIM_SUFFIX

_params_lock = threading.Lock()


@contextlib.contextmanager
def model_params_without_extra_bufts(enabled: bool):
    """While a ``Llama`` is constructed, hand it model params with ``use_extra_bufts`` set as asked."""
    import llama_cpp.llama_cpp as lib

    original = lib.llama_model_default_params
    if enabled or not hasattr(lib.llama_model_params, "use_extra_bufts"):
        yield
        return

    def params_without_extra_bufts():
        params = original()
        params.use_extra_bufts = False
        return params

    with _params_lock:
        lib.llama_model_default_params = params_without_extra_bufts
        try:
            yield
        finally:
            lib.llama_model_default_params = original


class LlamaBackend:
    """Fill-in-the-middle and chat on one llama.cpp model."""

    continues = True

    def __init__(self, model_path: str | Path, *, n_ctx: int = 4096, n_threads: int | None = None,
                 extra_buffer_types: bool = False, verbose: bool = False, llama=None) -> None:
        self.name = f"llama.cpp:{Path(model_path).name}"
        self.model_path = Path(model_path)
        self._turns = ModelTurns()
        if llama is not None:
            self.llm = llama
            return
        try:
            from llama_cpp import Llama
        except ImportError as exc:
            raise BackendError(f"llama-cpp-python is not installed ({exc}); run `pip install llama-cpp-python`") from None
        from jinja2 import TemplateError

        try:
            with model_params_without_extra_bufts(extra_buffer_types):
                self.llm = Llama(model_path=str(model_path), n_ctx=n_ctx, n_threads=n_threads or os.cpu_count() or 1,
                                 verbose=verbose)
        except (ValueError, RuntimeError, OSError, TemplateError) as exc:
            entry = next((e for e in CATALOG if e.file_name == self.model_path.name), None)
            fix = f"run `secgen model pull --force {entry.name}`" if entry else "replace the file"
            raise BackendError(f"cannot load model {model_path}: {exc}; if the file is damaged, {fix}") from None

    @classmethod
    def from_spec(cls, spec: ModelSpec, **options) -> "LlamaBackend":
        if spec.kind == "hf":
            return cls._from_hub(spec, **options)
        try:
            check_model_file(spec.path, spec.entry)
        except ModelError as exc:
            raise BackendError(str(exc)) from None
        return cls(spec.path, **options)

    @classmethod
    def _from_hub(cls, spec: ModelSpec, **options) -> "LlamaBackend":
        """``hf:REPO/FILE``: downloaded (or found in the hub's cache), then checked like any GGUF from a path.

        Only for machines that can reach the hub; secgen never does this unless the user names an ``hf:`` model.
        """
        try:
            from huggingface_hub import hf_hub_download
        except ImportError:
            raise BackendError("hf: models need the huggingface-hub package; run `pip install huggingface-hub`, "
                               "or download the file and name its path") from None
        try:
            # no revision: the user named none; the file is then checked like any GGUF from a path
            path = hf_hub_download(repo_id=spec.hf_repo, filename=spec.hf_file)  # nosec B615
        except Exception as exc:  # network, authentication, a missing file: all reported the same way
            detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise BackendError(f"cannot fetch {spec.hf_repo}/{spec.hf_file} from the hub: {detail}") from None
        return cls.from_spec(ModelSpec(kind="gguf", text=spec.text, path=Path(path)), **options)

    # -- requests -----------------------------------------------------------------

    def _token(self, text: str) -> int:
        ids = self.llm.tokenize(text.encode(), add_bos=False, special=True)
        if len(ids) != 1:
            raise BackendError(f"model {self.name} has no {text} token; it cannot fill in the middle")
        return ids[0]

    def fim_tokens(self, prefix: str, suffix: str, max_tokens: int) -> list[int]:
        budget = max(self.llm.n_ctx() - max_tokens - 3, 0)
        pre = self.llm.tokenize(prefix.encode(), add_bos=False, special=False)
        suf = self.llm.tokenize(suffix.encode(), add_bos=False, special=False)
        if len(pre) + len(suf) > budget:
            keep_suffix = min(len(suf), budget // 4)
            suf = suf[:keep_suffix]
            pre = pre[-(budget - keep_suffix):] if budget > keep_suffix else []
        return [self._token(FIM_PREFIX), *pre, self._token(FIM_SUFFIX), *suf, self._token(FIM_MIDDLE)]

    def logit_bias(self, avoid: Sequence[str]) -> dict[int, float] | None:
        """-100 on the first token of each text in ``avoid`` as code writes it (see ``avoided_first_tokens``)."""
        ids = avoided_first_tokens(avoid, lambda text: self.llm.tokenize(text.encode(), add_bos=False, special=False),
                                   lambda token: self.llm.detokenize([token]).decode("utf-8", "replace"))
        return {token: -100.0 for token in ids} or None

    def _complete(self, prompt, params: GenerationParams, check) -> Iterator[str]:
        stream = self.llm.create_completion(prompt, max_tokens=params.max_tokens, temperature=params.temperature,
                                            top_p=params.top_p, stop=list(params.stop) or None, seed=params.seed,
                                            logit_bias=self.logit_bias(params.avoid), stream=True)
        for chunk in stream:
            check()
            yield chunk["choices"][0]["text"]

    def fim(self, prefix: str, suffix: str, params: GenerationParams,
            cancel: CancelToken | None = None) -> Iterator[str]:
        with self._turns.claim(cancel) as check:
            yield from self._complete(self.fim_tokens(prefix, suffix, params.max_tokens), params, check)

    def continuation_prompt(self, messages: Sequence[ChatMessage]) -> str:
        """The conversation before the final assistant message, as the chat template renders it, then that message."""
        from llama_cpp import llama_chat_format

        template = self.llm.metadata.get("tokenizer.chat_template")
        if not template:
            raise BackendError(f"model {self.name} has no chat template; it cannot continue an answer")
        special = lambda token: self.llm.detokenize([token], special=True).decode("utf-8", "replace") \
            if token >= 0 else ""
        formatter = llama_chat_format.Jinja2ChatFormatter(template=template, eos_token=special(self.llm.token_eos()),
                                                         bos_token=special(self.llm.token_bos()))
        rendered = formatter(messages=[{"role": m.role, "content": m.content} for m in messages[:-1]])
        return rendered.prompt + messages[-1].content

    def chat(self, messages: Sequence[ChatMessage], params: GenerationParams,
             cancel: CancelToken | None = None) -> Iterator[str]:
        from jinja2 import TemplateError

        with self._turns.claim(cancel) as check:
            try:
                if messages and messages[-1].role == "assistant":
                    yield from self._complete(self.continuation_prompt(messages), params, check)
                    return
                stream = self.llm.create_chat_completion(
                    [{"role": m.role, "content": m.content} for m in messages], max_tokens=params.max_tokens,
                    temperature=params.temperature, top_p=params.top_p, stop=list(params.stop) or None,
                    seed=params.seed, logit_bias=self.logit_bias(params.avoid), stream=True)
                for chunk in stream:
                    check()
                    text = chunk["choices"][0]["delta"].get("content")
                    if text:
                        yield text
            except TemplateError as exc:
                raise BackendError(f"the chat template of {self.model_path} failed ({type(exc).__name__}: "
                                   f"{exc}); use another model for chat") from None
            except ValueError as exc:  # the template's raise_exception, or llama-cpp-python refusing the request
                raise BackendError(f"chat with {self.model_path.name} failed: {exc}") from None

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.llm.close()
