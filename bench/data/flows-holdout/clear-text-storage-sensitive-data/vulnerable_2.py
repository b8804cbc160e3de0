# expect: clear-text-storage-sensitive-data line 17
from flask import Flask, make_response, redirect, request

from auth import check_login

app = Flask(__name__)


@app.route("/login", methods=["POST"])
def login():
    username = request.form["username"]
    password = request.form["password"]
    if not check_login(username, password):
        return "Invalid credentials", 401
    resp = make_response(redirect("/dashboard"))
    resp.set_cookie("username", username)
    resp.set_cookie("password", password)
    return resp
