# expect: weak-cryptographic-algorithm line 6
from Crypto.Cipher import ARC4


def obfuscate_token(secret: bytes, token: bytes) -> bytes:
    return ARC4.new(secret).encrypt(token)
