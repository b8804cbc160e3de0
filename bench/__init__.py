"""Benchmarks: figures, not tests. Each prints ratios against a baseline measured in the same run.

* ``latency``: raw llama.cpp generation vs secgen's completion path, and analyzer time per snippet;
* ``lsp``: the real language server over stdio vs the bare backend, and diagnostics latency.
"""
