# expect: none
# safe: password hashed with werkzeug generate_password_hash (salted, slow KDF)
import sqlite3

from flask import Flask, jsonify, request
from werkzeug.security import generate_password_hash

app = Flask(__name__)


@app.route("/register", methods=["POST"])
def register():
    username = request.form["username"]
    password = request.form["password"]
    password_hash = generate_password_hash(password)
    with sqlite3.connect("users.db") as conn:
        conn.execute("INSERT INTO users (username, password_hash) VALUES (?, ?)", (username, password_hash))
    return jsonify({"registered": True}), 201
