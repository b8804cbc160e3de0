# expect: weak-cryptographic-algorithm line 7, 12
from Crypto.Cipher import DES
from Crypto.Util.Padding import pad, unpad


def encrypt_message(key, message):
    cipher = DES.new(key, DES.MODE_ECB)
    return cipher.encrypt(pad(message.encode("utf-8"), DES.block_size))


def decrypt_message(key, data):
    cipher = DES.new(key, DES.MODE_ECB)
    return unpad(cipher.decrypt(data), DES.block_size).decode("utf-8")
