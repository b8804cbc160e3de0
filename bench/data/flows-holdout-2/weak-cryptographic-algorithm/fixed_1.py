# expect: none
# safe: DES/ECB replaced by AES-256 in GCM mode with a random nonce and authentication tag
import base64
import os

from Crypto.Cipher import AES

RECORD_KEY = bytes.fromhex(os.environ["RECORD_KEY_HEX"])


def encrypt_record(plaintext: str) -> str:
    cipher = AES.new(RECORD_KEY, AES.MODE_GCM)
    ciphertext, tag = cipher.encrypt_and_digest(plaintext.encode("utf-8"))
    return base64.b64encode(cipher.nonce + tag + ciphertext).decode("ascii")


if __name__ == "__main__":
    ssn = input("SSN to encrypt: ")
    print(encrypt_record(ssn))
