"""The language server's default path imports neither bench nor training (docs/architecture.md).

Benchmarks and training are heavy (the sandbox, Semgrep wrappers, matplotlib; torch when installed) and
nothing an editor asks for needs them: the pair collector imports training only when ``collectPairs`` is
on and a user accepts a repaired suggestion. Checked twice: importing the server's modules in a fresh
interpreter, and a whole stdio session (initialize with default settings, open a document, get its
diagnostics, shut down) with the modules it had loaded written out as it leaves.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

FORBIDDEN = ("secgen.bench", "secgen.training")


def _forbidden(modules) -> list[str]:
    return sorted(m for m in modules if m.startswith(FORBIDDEN))


def test_importing_the_server_imports_no_bench_or_training():
    code = ("import sys, json; import secgen.server.app, secgen.server.lsp, secgen.server.collect, "
            "secgen.server.completions, secgen.server.actions; print(json.dumps(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True).stdout
    modules = json.loads(out)
    assert "secgen.server.app" in modules and "secgen.engine.record" in modules
    assert _forbidden(modules) == []


def _frame(message: dict) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


SESSION = textwrap.dedent("""
    import json, sys
    import secgen.server.lsp as lsp
    real = lsp.leave
    def leave(reason=None):
        with open(sys.argv[1], "w") as out:
            json.dump(sorted(sys.modules), out)
        real(reason)
    lsp.leave = leave
    sys.exit(lsp.main(["--stdio"]))
""")


def test_a_stdio_session_with_default_settings_imports_no_bench_or_training(tmp_path):
    modules_file = tmp_path / "modules.json"
    uri = (tmp_path / "app.py").as_uri()
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize",
         "params": {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {}}},
        {"jsonrpc": "2.0", "method": "initialized", "params": {}},
        {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": uri, "languageId": "python", "version": 1,
            "text": "import subprocess\n\ndef run(cmd):\n    return subprocess.run(cmd, shell=True)\n"}}},
    ]
    server = subprocess.Popen([sys.executable, "-c", SESSION, str(modules_file)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        for message in messages:
            server.stdin.write(_frame(message))
        server.stdin.flush()
        seen = _read_until(server.stdout, lambda m: m.get("method") == "textDocument/publishDiagnostics"
                           and any(d.get("code") == "B602" for d in m["params"]["diagnostics"]))
        assert any(m.get("id") == 1 and "capabilities" in m.get("result", {}) for m in seen)
        server.stdin.write(_frame({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}))
        server.stdin.write(_frame({"jsonrpc": "2.0", "method": "exit"}))
        server.stdin.flush()
        server.wait(timeout=60)
    finally:
        if server.poll() is None:
            server.kill()
    modules = json.loads(modules_file.read_text())
    assert "secgen.server.diagnostics" in modules and "secgen.engine.loop" in modules
    assert _forbidden(modules) == []


def _read_until(stream, done, limit: int = 200) -> list[dict]:
    """Messages from the server until one satisfies ``done`` (the read blocks; pytest-timeout bounds it)."""
    seen = []
    for _ in range(limit):
        length = None
        while (line := stream.readline().strip()):
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        assert length is not None, "the server closed its output"
        message = json.loads(stream.read(length))
        seen.append(message)
        if done(message):
            return seen
    raise AssertionError(f"no such message among {len(seen)}")
