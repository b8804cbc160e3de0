# expect: none
# safe: listens on a specific address, loopback by default, configurable via METRICS_LISTEN_ADDR
import os
import socket
import sys

HOST = os.environ.get("METRICS_LISTEN_ADDR", "127.0.0.1")
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 5140


def run_collector():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((HOST, PORT))
    print(f"collecting metrics on {HOST} udp port {PORT}")
    while True:
        packet, sender = sock.recvfrom(4096)
        name, _, value = packet.decode("utf-8", errors="replace").partition(":")
        print(f"{sender[0]} {name.strip()}={value.strip()}")


if __name__ == "__main__":
    run_collector()
