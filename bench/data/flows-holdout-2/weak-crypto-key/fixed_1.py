# expect: none
# safe: RSA key generated with a 3072-bit modulus
import os

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def generate_signing_key(path):
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    passphrase = os.environ["KEY_PASSPHRASE"].encode()
    pem = private_key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.BestAvailableEncryption(passphrase),
    )
    with open(path, "wb") as fh:
        fh.write(pem)
    return private_key.public_key()


if __name__ == "__main__":
    generate_signing_key("signing_key.pem")
