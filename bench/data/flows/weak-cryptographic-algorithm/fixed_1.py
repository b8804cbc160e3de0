# expect: none
# safe: AES-256 in GCM mode (authenticated), nonce and tag stored with the ciphertext
from Crypto.Cipher import AES


def encrypt_record(key: bytes, record: bytes) -> bytes:
    cipher = AES.new(key, AES.MODE_GCM)
    ciphertext, tag = cipher.encrypt_and_digest(record)
    return cipher.nonce + tag + ciphertext
