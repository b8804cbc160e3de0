# expect: none
# safe: TLS_METHOD with the minimum protocol version pinned to TLS 1.2
import socket

from OpenSSL import SSL


def connect(host: str, port: int = 443) -> SSL.Connection:
    context = SSL.Context(SSL.TLS_METHOD)
    context.set_min_proto_version(SSL.TLS1_2_VERSION)
    context.set_default_verify_paths()
    conn = SSL.Connection(context, socket.create_connection((host, port)))
    conn.set_tlsext_host_name(host.encode())
    conn.set_connect_state()
    conn.do_handshake()
    return conn
