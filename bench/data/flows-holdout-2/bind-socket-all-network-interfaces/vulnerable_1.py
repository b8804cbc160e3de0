# expect: bind-socket-all-network-interfaces line 8
import socket


def serve(port=9000):
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("0.0.0.0", port))
    server.listen(5)
    while True:
        conn, addr = server.accept()
        with conn:
            data = conn.recv(1024)
            if data:
                conn.sendall(data)


if __name__ == "__main__":
    serve()
