# expect: none
# safe: the password is checked, not stored; the signed session keeps only the user name
from flask import Flask, redirect, request, session

from .auth import verify_password

app = Flask(__name__)


@app.route("/login", methods=["POST"])
def login():
    username = request.form["username"]
    password = request.form["password"]
    if not verify_password(username, password):
        return redirect("/login?failed=1")
    session["username"] = username
    return redirect("/dashboard")
