# expect: none
# safe: only a salted scrypt hash of the password is written to the file
import hashlib
import json
import os


def save_user(username, password, path="users.json"):
    try:
        with open(path) as f:
            users = json.load(f)
    except FileNotFoundError:
        users = {}
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)
    users[username] = {"salt": salt.hex(), "hash": digest.hex()}
    with open(path, "w") as f:
        json.dump(users, f)
