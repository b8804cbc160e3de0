# expect: none
# safe: the cookie holds a random session token, never the password
import secrets

from flask import Flask, make_response, redirect, request

from auth import check_login

app = Flask(__name__)
SESSIONS = {}


@app.route("/login", methods=["POST"])
def login():
    username = request.form["username"]
    password = request.form["password"]
    if not check_login(username, password):
        return "Invalid credentials", 401
    token = secrets.token_urlsafe(32)
    SESSIONS[token] = username
    resp = make_response(redirect("/dashboard"))
    resp.set_cookie("session_token", token, httponly=True, secure=True, samesite="Lax")
    return resp
