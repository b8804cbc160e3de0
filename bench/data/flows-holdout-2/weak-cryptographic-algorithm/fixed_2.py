# expect: none
# safe: AES-GCM (AEAD) with a fresh 96-bit nonce instead of ECB mode
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def load_key() -> bytes:
    return bytes.fromhex(os.environ["TOKEN_KEY_HEX"])


def encrypt_token(data: bytes) -> bytes:
    nonce = os.urandom(12)
    return nonce + AESGCM(load_key()).encrypt(nonce, data, None)


if __name__ == "__main__":
    print(encrypt_token(b"user=42;role=admin").hex())
