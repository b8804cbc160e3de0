"""``secgen-lsp --tcp HOST:PORT`` (for debugging): the same server over a socket."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _send(sock, payload: dict) -> None:
    body = json.dumps(payload).encode()
    sock.sendall(b"Content-Length: %d\r\n\r\n" % len(body) + body)


def _read(sock) -> dict:
    header = b""
    while not header.endswith(b"\r\n\r\n"):
        header += sock.recv(1)
    length = int(header.split(b"Content-Length:")[1].split(b"\r\n")[0])
    body = b""
    while len(body) < length:
        body += sock.recv(length - len(body))
    return json.loads(body)


def test_tcp_transport_answers_initialize_and_bad_address_is_one_line(tmp_path):
    port = _free_port()
    log = tmp_path / "lsp.log"
    proc = subprocess.Popen([sys.executable, "-m", "secgen.server.lsp", "--tcp", f"127.0.0.1:{port}",
                             "--log-file", str(log)], stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                sock = socket.create_connection(("127.0.0.1", port), timeout=10)
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read()
                assert time.monotonic() < deadline, "server did not listen"
                time.sleep(0.2)  # polling a port that is not open yet; there is no event to wait on
        with sock:
            _send(sock, {"jsonrpc": "2.0", "id": 1, "method": "initialize",
                         "params": {"processId": None, "rootUri": None, "capabilities": {}}})
            reply = _read(sock)
            assert reply["id"] == 1 and reply["result"]["serverInfo"]["name"] == "secgen"
            caps = reply["result"]["capabilities"]
            assert caps["inlineCompletionProvider"] is not None and caps["codeActionProvider"]["resolveProvider"]
            assert "secgen.generate" in caps["executeCommandProvider"]["commands"]
    finally:
        proc.kill()
        proc.wait(10)
    bad = subprocess.run([sys.executable, "-m", "secgen.server.lsp", "--tcp", "nonsense"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "HOST:PORT" in bad.stderr
