# expect: none
# safe: bcrypt with a generated salt hashes the password
import sqlite3

import bcrypt
from flask import Flask, request

app = Flask(__name__)


@app.route("/register", methods=["POST"])
def register():
    username = request.form["username"]
    password = request.form["password"]
    pw_hash = bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode()
    db = sqlite3.connect("app.db")
    db.execute("INSERT INTO users (username, pw_hash) VALUES (?, ?)", (username, pw_hash))
    db.commit()
    db.close()
    return {"status": "registered"}, 201
