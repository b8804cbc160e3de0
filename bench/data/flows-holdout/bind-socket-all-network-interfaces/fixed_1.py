# expect: none
# safe: the server binds to the loopback address 127.0.0.1 only
import socket


def start_echo_server(port=9000):
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(5)
    while True:
        conn, addr = server.accept()
        data = conn.recv(1024)
        conn.sendall(data)
        conn.close()
