"""Training: preference pairs, DPO with trl, and the tuned model back into the server.

The seed paper tunes Qwen2.5-Coder-Instruct with Direct Preference
Optimization on pairs of flawed and corrected code, in three rounds, and
reports fewer errors afterwards. secgen's repair loop writes exactly such
pairs as it works, so the pipeline is::

    secgen train mine     tasks -> repair loop (+ samples) -> results -> pairs.jsonl
    secgen train import   CodePreference / CVEfixes files   -> pairs.jsonl
    secgen train dpo      pairs.jsonl + base model -> LoRA adapter, summary.json, loss.png
    secgen train export   adapter + base -> merged HF checkpoint -> GGUF f16 -> Q4_K_M, registered
    secgen train iterate  N rounds of mine -> dpo -> export, each mining with the last round's model
    secgen train compare  a benchmark's figures for base and tuned model, on tasks seen and unseen in training

Modules, in the order data flows through them:

* :mod:`~secgen.training.pairs`: the :class:`PreferencePair` record
  (``{prompt, chosen, rejected, meta}`` in JSON Lines), pairs from the repair
  loop's attempt histories (benchmark ``results.jsonl`` files), deduplication
  and the train/validation split (by task, never by pair).
* :mod:`~secgen.training.formats`: importers for CodePreference and CVEfixes.
* :mod:`~secgen.training.mine`: runs the repair loop over a task set to make
  the histories (resumable, through the benchmark runner's results file).
* :mod:`~secgen.training.base`: the base model for training: a catalog GGUF
  (transformers reads and dequantizes it) or a Hugging Face folder.
* :mod:`~secgen.training.dpo`: LoRA DPO with trl; checkpoints, resume,
  summary and loss curve.
* :mod:`~secgen.training.export`: merge, GGUF writing, quantization through
  llama.cpp, registration as a model spec.
* :mod:`~secgen.training.compare`: before/after figures split by whether
  the model trained on the task's prompt.
* :mod:`~secgen.training.cli`: ``secgen train ...``.

Imports flow one way: training reads task sets (:mod:`secgen.engine.tasks`),
runs and scorers (:mod:`secgen.engine.runs`) and records
(:mod:`secgen.engine.record`) from the engine, and never imports
:mod:`secgen.bench`. Outside training, only the CLI imports it, and the
language server's opt-in collector imports :mod:`~secgen.training.pairs` (no
heavy dependencies) when ``collectPairs`` is on and code is accepted. torch, transformers, trl and peft are the ``[train]`` extra:
only :mod:`base`, :mod:`dpo` and :mod:`export` import them, and only inside
functions, so ``secgen`` without the extra still starts and says what to
install.
"""
