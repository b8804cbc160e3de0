"""The protocol fuzzer (``python -m tests.fuzz.run``) and the tests of the server's response rules."""
