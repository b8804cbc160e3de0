# expect: weak-sensitive-data-hashing line 7
import hashlib
import sqlite3


def hash_password(password):
    return hashlib.md5(password.encode("utf-8")).hexdigest()


def register(username, password):
    conn = sqlite3.connect("app.db")
    conn.execute("INSERT INTO users (username, password_hash) VALUES (?, ?)",
                 (username, hash_password(password)))
    conn.commit()
    conn.close()
