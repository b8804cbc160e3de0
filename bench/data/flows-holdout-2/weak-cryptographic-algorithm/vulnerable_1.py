# expect: weak-cryptographic-algorithm line 12
import base64
import os

from Crypto.Cipher import DES
from Crypto.Util.Padding import pad

RECORD_KEY = bytes.fromhex(os.environ["RECORD_KEY_HEX"])


def encrypt_record(plaintext: str) -> str:
    cipher = DES.new(RECORD_KEY, DES.MODE_ECB)
    ciphertext = cipher.encrypt(pad(plaintext.encode("utf-8"), DES.block_size))
    return base64.b64encode(ciphertext).decode("ascii")


if __name__ == "__main__":
    ssn = input("SSN to encrypt: ")
    print(encrypt_record(ssn))
