# expect: weak-sensitive-data-hashing line 14
import hashlib
import sqlite3

from flask import Flask, jsonify, request

app = Flask(__name__)


@app.route("/register", methods=["POST"])
def register():
    username = request.form["username"]
    password = request.form["password"]
    password_hash = hashlib.md5(password.encode("utf-8")).hexdigest()
    with sqlite3.connect("users.db") as conn:
        conn.execute("INSERT INTO users (username, password_hash) VALUES (?, ?)", (username, password_hash))
    return jsonify({"registered": True}), 201
