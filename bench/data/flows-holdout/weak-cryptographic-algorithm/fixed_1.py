# expect: none
# safe: AES in GCM mode with a random nonce and an authentication tag
from Crypto.Cipher import AES


def encrypt_message(key, message):
    cipher = AES.new(key, AES.MODE_GCM)
    ciphertext, tag = cipher.encrypt_and_digest(message.encode("utf-8"))
    return cipher.nonce + tag + ciphertext


def decrypt_message(key, data):
    nonce, tag, ciphertext = data[:16], data[16:32], data[32:]
    cipher = AES.new(key, AES.MODE_GCM, nonce=nonce)
    return cipher.decrypt_and_verify(ciphertext, tag).decode("utf-8")
