# expect: none
# safe: HOST is the loopback address, not the empty string
import socket

HOST = "127.0.0.1"
PORT = 5005

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind((HOST, PORT))
print("Listening for metrics on port", PORT)
while True:
    data, addr = sock.recvfrom(4096)
    sock.sendto(b"ack:" + data[:32], addr)
