# expect: insecure-protocol line 7
import socket
import ssl


def open_channel(host, port=8443):
    context = ssl.SSLContext(ssl.PROTOCOL_TLSv1)
    context.load_default_certs()
    sock = socket.create_connection((host, port))
    return context.wrap_socket(sock, server_hostname=host)
