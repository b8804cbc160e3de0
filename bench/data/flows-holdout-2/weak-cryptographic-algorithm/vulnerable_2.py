# expect: weak-cryptographic-algorithm line 15
import os

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


def load_key() -> bytes:
    return bytes.fromhex(os.environ["TOKEN_KEY_HEX"])


def encrypt_token(data: bytes) -> bytes:
    padder = padding.PKCS7(128).padder()
    padded = padder.update(data) + padder.finalize()
    encryptor = Cipher(algorithms.AES(load_key()), modes.ECB()).encryptor()
    return encryptor.update(padded) + encryptor.finalize()


if __name__ == "__main__":
    print(encrypt_token(b"user=42;role=admin").hex())
