# expect: bind-socket-all-network-interfaces line 9
import socket
import sys


def main():
    port = int(sys.argv[1])
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("", port))
        while True:
            data, addr = s.recvfrom(4096)
            print(addr, data.decode(errors="replace"))


if __name__ == "__main__":
    main()
