# expect: none
# safe: AESGCM (authenticated encryption) with a fresh 96-bit nonce per message
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def encrypt(key: bytes, plaintext: bytes) -> bytes:
    nonce = os.urandom(12)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, None)


def new_key() -> bytes:
    return os.urandom(32)
