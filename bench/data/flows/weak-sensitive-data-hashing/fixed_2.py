# expect: none
# safe: PBKDF2-HMAC-SHA256 with 600,000 iterations, compared in constant time
import hashlib
import hmac
import os

ITERATIONS = 600_000


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, ITERATIONS).hex()
    return salt.hex() + digest


def verify_password(password: str, stored: str) -> bool:
    salt = bytes.fromhex(stored[:32])
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, ITERATIONS).hex()
    return hmac.compare_digest(digest, stored[32:])
