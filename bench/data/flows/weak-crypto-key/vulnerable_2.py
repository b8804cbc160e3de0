# expect: weak-crypto-key line 8
import sys

from Crypto.PublicKey import RSA


def main():
    key = RSA.generate(512)
    with open(sys.argv[1], "wb") as f:
        f.write(key.export_key("PEM"))
    print(key.publickey().export_key().decode())


if __name__ == "__main__":
    main()
