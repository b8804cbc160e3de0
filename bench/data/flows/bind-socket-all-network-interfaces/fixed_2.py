# expect: none
# safe: an explicit loopback address instead of "" (all interfaces)
import socket
import sys


def main():
    port = int(sys.argv[1])
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", port))
        while True:
            data, addr = s.recvfrom(4096)
            print(addr, data.decode(errors="replace"))


if __name__ == "__main__":
    main()
