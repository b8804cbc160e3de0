# expect: none
# safe: ChaCha20-Poly1305 instead of RC4
from Crypto.Cipher import ChaCha20_Poly1305


def obfuscate_token(secret: bytes, token: bytes) -> bytes:
    cipher = ChaCha20_Poly1305.new(key=secret)
    ciphertext, tag = cipher.encrypt_and_digest(token)
    return cipher.nonce + tag + ciphertext
