# expect: clear-text-storage-sensitive-data line 17
from flask import Flask, make_response, redirect, request

from accounts import verify_credentials

app = Flask(__name__)


@app.route("/login", methods=["POST"])
def login():
    username = request.form["username"]
    password = request.form["password"]
    if not verify_credentials(username, password):
        return "Invalid credentials", 401
    resp = make_response(redirect("/home"))
    resp.set_cookie("remember_user", username, max_age=30 * 24 * 3600)
    resp.set_cookie("remember_password", password, max_age=30 * 24 * 3600)
    return resp
