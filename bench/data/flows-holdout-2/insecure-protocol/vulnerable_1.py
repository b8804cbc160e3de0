# expect: insecure-protocol line 9
import socket
import ssl

IMAP_HOST = "mail.example.com"


def fetch_banner(host=IMAP_HOST, port=993):
    context = ssl.SSLContext(ssl.PROTOCOL_TLSv1)
    context.verify_mode = ssl.CERT_REQUIRED
    context.check_hostname = True
    context.load_default_certs()
    with socket.create_connection((host, port), timeout=10) as raw_sock:
        with context.wrap_socket(raw_sock, server_hostname=host) as tls_sock:
            return tls_sock.recv(1024).decode("ascii", errors="replace")


if __name__ == "__main__":
    print(fetch_banner())
