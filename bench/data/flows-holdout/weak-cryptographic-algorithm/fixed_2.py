# expect: none
# safe: AESGCM with a fresh 96-bit nonce instead of ECB
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY = bytes.fromhex(os.environ["RECORD_KEY"])


def encrypt_record(data: bytes) -> bytes:
    nonce = os.urandom(12)
    return nonce + AESGCM(KEY).encrypt(nonce, data, None)
