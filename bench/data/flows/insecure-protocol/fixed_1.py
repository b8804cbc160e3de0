# expect: none
# safe: ssl.create_default_context negotiates TLS 1.2 or newer and checks the certificate
import socket
import ssl


def open_channel(host, port=8443):
    context = ssl.create_default_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    sock = socket.create_connection((host, port))
    return context.wrap_socket(sock, server_hostname=host)
