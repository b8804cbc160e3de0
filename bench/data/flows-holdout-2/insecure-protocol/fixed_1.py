# expect: none
# safe: ssl.create_default_context with minimum_version TLSv1_2 and certificate/hostname checks
import socket
import ssl

IMAP_HOST = "mail.example.com"


def fetch_banner(host=IMAP_HOST, port=993):
    context = ssl.create_default_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    with socket.create_connection((host, port), timeout=10) as raw_sock:
        with context.wrap_socket(raw_sock, server_hostname=host) as tls_sock:
            return tls_sock.recv(1024).decode("ascii", errors="replace")


if __name__ == "__main__":
    print(fetch_banner())
