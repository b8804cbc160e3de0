# expect: weak-sensitive-data-hashing line 14
import hashlib
import sqlite3

from flask import Flask, request

app = Flask(__name__)


@app.route("/register", methods=["POST"])
def register():
    username = request.form["username"]
    password = request.form["password"]
    pw_hash = hashlib.sha256(password.encode()).hexdigest()
    db = sqlite3.connect("app.db")
    db.execute("INSERT INTO users (username, pw_hash) VALUES (?, ?)", (username, pw_hash))
    db.commit()
    db.close()
    return {"status": "registered"}, 201
