# expect: weak-sensitive-data-hashing line 8, 14
import hashlib
import os


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.sha256(salt + password.encode()).hexdigest()
    return salt.hex() + digest


def verify_password(password: str, stored: str) -> bool:
    salt = bytes.fromhex(stored[:32])
    return hashlib.sha256(salt + password.encode()).hexdigest() == stored[32:]
