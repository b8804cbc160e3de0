# expect: none
# safe: bcrypt, a slow salted password hash
import bcrypt


def hash_password(password):
    """Hash a password for the users table."""
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds=12)).decode("ascii")
