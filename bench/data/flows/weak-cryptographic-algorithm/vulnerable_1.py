# expect: weak-cryptographic-algorithm line 7
from Crypto.Cipher import DES
from Crypto.Util.Padding import pad


def encrypt_record(key: bytes, record: bytes) -> bytes:
    cipher = DES.new(key, DES.MODE_ECB)
    return cipher.encrypt(pad(record, DES.block_size))
