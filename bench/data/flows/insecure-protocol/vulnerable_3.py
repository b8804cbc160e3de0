# expect: insecure-protocol line 8
import socket

from OpenSSL import SSL


def connect(host: str, port: int = 443) -> SSL.Connection:
    context = SSL.Context(SSL.TLSv1_METHOD)
    context.set_default_verify_paths()
    conn = SSL.Connection(context, socket.create_connection((host, port)))
    conn.set_tlsext_host_name(host.encode())
    conn.set_connect_state()
    conn.do_handshake()
    return conn
