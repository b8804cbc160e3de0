# expect: none
# safe: bound to the loopback interface only
import socket


def serve_echo(port=9000):
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", port))
    server.listen()
    while True:
        conn, _ = server.accept()
        with conn:
            conn.sendall(conn.recv(1024))
