# expect: none
# safe: cookie holds a random server-side session token (httponly, secure), never the password
import secrets

from flask import Flask, make_response, redirect, request

from accounts import store_remember_token, verify_credentials

app = Flask(__name__)


@app.route("/login", methods=["POST"])
def login():
    username = request.form["username"]
    password = request.form["password"]
    if not verify_credentials(username, password):
        return "Invalid credentials", 401
    token = secrets.token_urlsafe(32)
    store_remember_token(username, token)
    resp = make_response(redirect("/home"))
    resp.set_cookie("remember_token", token, max_age=30 * 24 * 3600, httponly=True, secure=True, samesite="Lax")
    return resp
