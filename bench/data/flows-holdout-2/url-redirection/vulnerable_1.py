# expect: url-redirection line 21
import os

from flask import Flask, redirect, request, session

from accounts import verify_user

app = Flask(__name__)
app.secret_key = os.environ["FLASK_SECRET_KEY"]


@app.route("/login", methods=["POST"])
def login():
    username = request.form.get("username", "")
    password = request.form.get("password", "")
    user_id = verify_user(username, password)
    if user_id is None:
        return redirect("/login?error=1")
    session["user_id"] = user_id
    next_url = request.args.get("next", "/dashboard")
    return redirect(next_url)
