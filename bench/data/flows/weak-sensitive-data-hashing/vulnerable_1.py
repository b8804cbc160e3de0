# expect: weak-sensitive-data-hashing line 7
import hashlib


def hash_password(password):
    """Hash a password for the users table."""
    return hashlib.md5(password.encode("utf-8")).hexdigest()
