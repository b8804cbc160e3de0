# expect: none
# safe: hashlib.scrypt (a memory-hard KDF, n=2**14) with a random salt
import hashlib
import os
import sqlite3

from flask import Flask, request

app = Flask(__name__)


@app.route("/register", methods=["POST"])
def register():
    username = request.form["username"]
    salt = os.urandom(16)
    key = hashlib.scrypt(request.form["password"].encode(), salt=salt, n=2**14, r=8, p=1)
    password_hash = salt.hex() + key.hex()
    with sqlite3.connect("users.db") as db:
        db.execute("INSERT INTO users (name, password_hash) VALUES (?, ?)", (username, password_hash))
    return {"ok": True}
