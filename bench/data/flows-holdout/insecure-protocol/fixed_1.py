# expect: none
# safe: a default client context with TLS 1.2 as the minimum version
import socket
import ssl


def fetch_banner(host, port=443):
    context = ssl.create_default_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    sock = socket.create_connection((host, port), timeout=5)
    tls_sock = context.wrap_socket(sock, server_hostname=host)
    tls_sock.sendall(b"HEAD / HTTP/1.0\r\n\r\n")
    banner = tls_sock.recv(1024)
    tls_sock.close()
    return banner.decode(errors="replace")
