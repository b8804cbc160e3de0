"""Preference pairs, DPO with trl, and export back to GGUF (the training issue).

Nothing is here yet. The repair loop already records every attempt with its
prompt, text and findings (``secgen.engine.loop.Attempt``), which is what the
preference-pair miner will read.
"""
