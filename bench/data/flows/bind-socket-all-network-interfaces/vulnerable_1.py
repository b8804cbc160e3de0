# expect: bind-socket-all-network-interfaces line 7
import socket


def serve_echo(port=9000):
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("0.0.0.0", port))
    server.listen()
    while True:
        conn, _ = server.accept()
        with conn:
            conn.sendall(conn.recv(1024))
