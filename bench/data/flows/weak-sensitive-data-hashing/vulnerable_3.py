# expect: weak-sensitive-data-hashing line 13
import hashlib
import sqlite3

from flask import Flask, request

app = Flask(__name__)


@app.route("/register", methods=["POST"])
def register():
    username = request.form["username"]
    password_hash = hashlib.sha1(request.form["password"].encode()).hexdigest()
    with sqlite3.connect("users.db") as db:
        db.execute("INSERT INTO users (name, password_hash) VALUES (?, ?)", (username, password_hash))
    return {"ok": True}
