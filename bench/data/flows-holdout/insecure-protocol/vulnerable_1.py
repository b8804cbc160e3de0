# expect: insecure-protocol line 8
import socket
import ssl


def fetch_banner(host, port=443):
    sock = socket.create_connection((host, port), timeout=5)
    tls_sock = ssl.wrap_socket(sock, ssl_version=ssl.PROTOCOL_TLSv1)
    tls_sock.sendall(b"HEAD / HTTP/1.0\r\n\r\n")
    banner = tls_sock.recv(1024)
    tls_sock.close()
    return banner.decode(errors="replace")
