# expect: none
# safe: PBKDF2-HMAC-SHA256 with a random salt and 600000 iterations
import hashlib
import os
import sqlite3


def hash_password(password):
    salt = os.urandom(16)
    key = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, 600_000)
    return salt.hex() + "$" + key.hex()


def register(username, password):
    conn = sqlite3.connect("app.db")
    conn.execute("INSERT INTO users (username, password_hash) VALUES (?, ?)",
                 (username, hash_password(password)))
    conn.commit()
    conn.close()
