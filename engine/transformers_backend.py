"""The transformers backend: a Hugging Face checkpoint folder, served in-process with torch.

The DPO pipeline (``secgen train``) writes merged Hugging Face checkpoints; on
a GPU machine they can be served as they are, without the round trip through
GGUF, by naming the folder as the model (``--model runs/round1/merged`` or
``hf-dir:PATH``). torch and transformers are the ``[train]`` extra; without
them this backend says what to install and the rest of secgen still runs.

Choices that are not obvious:

* **A hand-written decoding loop, not ``model.generate``.** One forward pass
  per token with the KV cache, greedy at temperature 0, else temperature and
  top-p sampling from a generator seeded per request. Checking the
  :class:`CancelToken` between tokens is then one line, with no worker thread
  to stop, and each token's text streams as soon as it is whole.
* **Prompts are built from token ids**, as in the llama.cpp backend. The
  tokenizer turns ``<|fim_suffix|>`` in any text into the control token, even
  with ``add_special_tokens=False``; user text is tokenized with
  ``split_special_tokens=True`` and the control tokens are added by id. Chat
  prompts get the same care: the chat template is rendered with a placeholder
  per message, and each message's content is tokenized as plain text in its
  place, so code under repair cannot close a turn with ``<|im_end|>``.
* **One lock around the model; a newer request interrupts the one in flight.**
  An editor only wants the latest completion.
* **The prompt is cut to fit the context**: for a fill, the tail of the prefix
  and the head of the suffix are kept; for a chat, the longest messages lose
  their middles. The context is ``n_ctx``, capped at the model's own limit.
* **Stops end the text before the stop string**, which is never shown; text
  that could be the start of a stop is held back until it is decided. The
  model's end-of-generation tokens (``<|im_end|>``, ``<|endoftext|>``, the
  repository and FIM-pad markers) end generation without being shown.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import Iterator, Sequence

from secgen.engine.backend import (BackendError, CancelToken, ChatMessage, GenerationParams, ModelTurns,
                                   avoided_first_tokens)
from secgen.engine.prompts import FIM_MIDDLE, FIM_PREFIX, FIM_SUFFIX

TRAIN_EXTRA = "install the [train] extra: pip install -e '.[train]'"
# Qwen2.5-Coder ends generation with any of these (llama.cpp's end-of-generation set for the model)
END_TOKENS = ("<|endoftext|>", "<|im_end|>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>")
DTYPES = ("bfloat16", "float16", "float32")
NUCLEUS_GUESS = 1024  # top-p looks among this many likeliest tokens first, then sorts them all if it must
_PLACEHOLDER = re.compile("\ue000(\\d+)\ue001")  # private-use characters: no template or message holds them


class TransformersBackend:
    """Fill-in-the-middle and chat on one Hugging Face causal LM."""

    continues = True  # a final assistant message is continued (its text follows the rendered conversation)

    def __init__(self, folder: str | Path, *, device: str | None = None, dtype: str | None = None,
                 n_ctx: int = 4096, n_threads: int | None = None) -> None:
        self.folder = Path(folder).expanduser()
        self.name = f"transformers:{self.folder.name}"
        self._turns = ModelTurns()
        try:
            import torch
            import transformers
        except ImportError as exc:
            raise BackendError(f"the transformers backend needs torch and transformers ({exc}); {TRAIN_EXTRA}") from None
        self._torch = torch
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.dtype = _torch_dtype(torch, dtype, self.device)
        if n_threads and self.device == "cpu":
            torch.set_num_threads(n_threads)  # process-wide, as torch has no per-model setting
        self.tokenizer, self.model = _load(transformers, self.folder, self.device, self.dtype)
        limit = getattr(self.model.config, "max_position_embeddings", None) or n_ctx
        self.n_ctx = min(n_ctx, limit)
        self._cache_kwarg = "cache" if "cache" in _parameters(self.model.forward) else "past_key_values"
        ids = {text: self._id(text) for text in END_TOKENS}
        eos = self.model.generation_config.eos_token_id
        self._end_ids = frozenset(i for i in (*ids.values(), self.tokenizer.eos_token_id,
                                              *(eos if isinstance(eos, list) else [eos])) if i is not None)

    # -- prompts ------------------------------------------------------------------

    def _id(self, text: str) -> int | None:
        """The id of a single-token control string, or None if the vocabulary lacks it."""
        token = self.tokenizer.convert_tokens_to_ids(text)  # None (no unk token) or unk when missing
        return None if token is None or token == self.tokenizer.unk_token_id else token

    def _plain(self, text: str) -> list[int]:
        """``text`` as tokens, control-token lookalikes included as plain text."""
        return self.tokenizer.encode(text, add_special_tokens=False, split_special_tokens=True) if text else []

    def _control(self, text: str) -> int:
        token = self._id(text)
        if token is None:
            raise BackendError(f"model {self.name} has no FIM tokens ({text} is missing); it cannot fill in the "
                               "middle: use a Qwen2.5-Coder checkpoint")
        return token

    def fim_tokens(self, prefix: str, suffix: str, max_tokens: int) -> list[int]:
        controls = [self._control(text) for text in (FIM_PREFIX, FIM_SUFFIX, FIM_MIDDLE)]
        budget = max(self.n_ctx - max_tokens - 3, 0)
        pre, suf = self._plain(prefix), self._plain(suffix)
        if len(pre) + len(suf) > budget:
            keep_suffix = min(len(suf), budget // 4)
            suf = suf[:keep_suffix]
            pre = pre[-(budget - keep_suffix):] if budget > keep_suffix else []
        return [controls[0], *pre, controls[1], *suf, controls[2]]

    def chat_tokens(self, messages: Sequence[ChatMessage], max_tokens: int) -> list[int]:
        """The chat template's prompt, each message's content tokenized as plain text.

        A final assistant message is continued: the conversation before it is rendered, then its text follows.
        """
        if messages and messages[-1].role == "assistant":
            head = self.chat_tokens(messages[:-1], max_tokens + 1024)
            return (head + self._plain(messages[-1].content))[-max(self.n_ctx - max_tokens, 1):]
        placeholders = [{"role": m.role, "content": f"\ue000{i}\ue001"} for i, m in enumerate(messages)]
        try:
            rendered = self.tokenizer.apply_chat_template(placeholders, add_generation_prompt=True, tokenize=False)
        except Exception as exc:  # no template, or one that rejects these roles
            raise BackendError(f"model {self.name} cannot format a chat ({exc}); use an instruct checkpoint "
                               "with a chat template") from None
        pieces = _PLACEHOLDER.split(rendered)
        if sorted(int(i) for i in pieces[1::2]) != list(range(len(messages))):
            # a template that rewrites or drops content: render the real text (as llama.cpp does)
            text = self.tokenizer.apply_chat_template([{"role": m.role, "content": m.content} for m in messages],
                                                      add_generation_prompt=True, tokenize=False)
            return self.tokenizer.encode(text, add_special_tokens=False)[-max(self.n_ctx - max_tokens, 1):]
        parts = [self.tokenizer.encode(p, add_special_tokens=False) if n % 2 == 0
                 else self._plain(messages[int(p)].content) for n, p in enumerate(pieces)]
        _shorten_longest(parts[1::2], sum(map(len, parts)) - max(self.n_ctx - max_tokens, 0))
        ids = [token for part in parts for token in part]
        return ids[-max(self.n_ctx - max_tokens, 1):]  # the template alone is too long: keep the end

    # -- requests -----------------------------------------------------------------

    def fim(self, prefix: str, suffix: str, params: GenerationParams,
            cancel: CancelToken | None = None) -> Iterator[str]:
        with self._turns.claim(cancel) as check:
            yield from self._generate(self.fim_tokens(prefix, suffix, params.max_tokens), params, check)

    def chat(self, messages: Sequence[ChatMessage], params: GenerationParams,
             cancel: CancelToken | None = None) -> Iterator[str]:
        with self._turns.claim(cancel) as check:
            yield from self._generate(self.chat_tokens(messages, params.max_tokens), params, check)

    def _generate(self, prompt: list[int], params: GenerationParams, check) -> Iterator[str]:
        """Decode token by token with the KV cache, streaming text until a stop, an end token or the limit."""
        if self.model is None:
            raise BackendError(f"model {self.name} is closed")
        torch = self._torch
        generator = None
        if params.temperature > 0:
            generator = torch.Generator(device=self.device)
            generator.manual_seed(params.seed)
        text = _StopText(self.tokenizer, params.stop)
        inputs, cache = torch.tensor([prompt], device=self.device), {}
        avoid = sorted(avoided_first_tokens(params.avoid, self._plain, lambda token: self.tokenizer.decode([token])))
        for _ in range(max(min(params.max_tokens, self.n_ctx - len(prompt)), 0)):
            check()
            try:
                with torch.inference_mode():
                    out = self.model(input_ids=inputs, use_cache=True, logits_to_keep=1, **cache)
            except torch.cuda.OutOfMemoryError:
                raise BackendError(f"model {self.name} ran out of memory on {self.device} with a {len(prompt)}-token "
                                   "prompt; lower the context size (contextSize) or max tokens") from None
            cache = {self._cache_kwarg: out["cache"] if "cache" in out else out["past_key_values"]}
            logits = out.logits[0, -1].float()
            if avoid:
                logits = logits.clone()  # an inference tensor cannot be written in place
                logits[avoid] = float("-inf")
            token = _pick(torch, logits, params, generator)
            if token in self._end_ids:
                break
            chunk = text.push(token)
            if chunk:
                yield chunk
            if text.stopped:
                return
            inputs = torch.tensor([[token]], device=self.device)
        rest = text.flush()
        if rest:
            yield rest

    def close(self) -> None:
        self._turns.interrupt()
        with self._turns.lock:
            self.model = None
        with contextlib.suppress(Exception):
            if self.device.startswith("cuda"):
                self._torch.cuda.empty_cache()


class _StopText:
    """Token ids in, text chunks out: whole characters only, cut before the first stop string."""

    def __init__(self, tokenizer, stops: Sequence[str]) -> None:
        self.tokenizer = tokenizer
        self.stops = tuple(s for s in stops if s)
        self.text = ""
        self.sent = 0  # characters of ``text`` already handed out
        self.pending: list[int] = []  # tokens that end inside a character
        self.stopped = False

    def push(self, token: int) -> str:
        self.pending.append(token)
        piece = self.tokenizer.decode(self.pending, skip_special_tokens=False, clean_up_tokenization_spaces=False)
        if piece.endswith("\ufffd") and len(self.pending) < 4:  # a UTF-8 character split across tokens
            return ""
        self.pending = []
        self.text += piece
        hits = [i for i in (self.text.find(s, max(self.sent - len(s), 0)) for s in self.stops) if i >= 0]
        if hits:
            self.stopped = True
            return self._take(min(hits))
        held = max((k for s in self.stops for k in range(1, len(s)) if self.text.endswith(s[:k])), default=0)
        return self._take(max(len(self.text) - held, self.sent))

    def flush(self) -> str:
        return self._take(len(self.text))

    def _take(self, end: int) -> str:
        chunk, self.sent = self.text[self.sent:end], max(end, self.sent)
        return chunk


def _pick(torch, logits, params: GenerationParams, generator) -> int:
    """The next token: the most likely at temperature 0, else a sample from the top-p nucleus."""
    if params.temperature <= 0:
        return int(torch.argmax(logits))
    probs = torch.softmax(logits / params.temperature, dim=-1)
    if params.top_p >= 1.0:
        return _sample(torch, probs, generator)
    ordered, order = torch.topk(probs, min(NUCLEUS_GUESS, probs.numel()))  # sorting the whole vocabulary is slow
    if float(ordered.sum()) < params.top_p:
        ordered, order = torch.sort(probs, descending=True)
    kept = max(int((torch.cumsum(ordered, dim=-1) - ordered < params.top_p).sum()), 1)
    return int(order[_sample(torch, ordered[:kept], generator)])


def _sample(torch, probs, generator) -> int:
    """A draw from ``probs`` (the exponential race: as ``multinomial``, at a third of its cost on a CPU)."""
    return int(torch.argmax(probs / torch.empty_like(probs).exponential_(generator=generator)))


def _shorten_longest(parts: list[list[int]], excess: int) -> None:
    """Drop ``excess`` tokens from the middles of the longest parts, in place."""
    while excess > 0:
        part = max(parts, key=len, default=[])
        if not part:
            return
        keep = max(len(part) - excess, 0)
        excess -= len(part) - keep
        part[keep // 2:len(part) - (keep - keep // 2)] = []


def _parameters(function) -> frozenset[str]:
    import inspect

    return frozenset(inspect.signature(function).parameters)


def _torch_dtype(torch, name: str | None, device: str):
    if name is None:
        return torch.bfloat16 if device.startswith("cuda") else torch.float32
    if name not in DTYPES:
        raise BackendError(f"unknown dtype {name!r}: use one of {', '.join(DTYPES)}")
    return getattr(torch, name)


def _load(transformers, folder: Path, device: str, dtype):
    """The tokenizer and the model in ``folder``, never downloaded; failures name the fix."""
    if not folder.is_dir():
        raise BackendError(f"model folder not found: {folder}; check the path")
    if not (folder / "config.json").is_file():
        raise BackendError(f"{folder} is not a Hugging Face model folder (no config.json); name a checkpoint "
                           "folder, e.g. the merged model `secgen train export` writes")
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(folder, local_files_only=True)
    except Exception as exc:
        raise BackendError(f"cannot load the tokenizer in {folder}: {_one_line(exc)}; copy the base model's "
                           "tokenizer files into the folder") from None
    try:
        model = transformers.AutoModelForCausalLM.from_pretrained(folder, local_files_only=True, dtype=dtype)
        model = model.to(device).eval()
    except Exception as exc:
        raise BackendError(f"cannot load the model in {folder}: {_one_line(exc)}; if the weights are damaged, "
                           "export or copy the checkpoint again") from None
    return tokenizer, model


def _one_line(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:300]}" if text else type(exc).__name__
