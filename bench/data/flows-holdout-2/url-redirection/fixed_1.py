# expect: none
# safe: next must be a local path (no scheme/netloc, not '//' or backslash); otherwise redirect to dashboard
import os
from urllib.parse import urlparse

from flask import Flask, redirect, request, session, url_for

from accounts import verify_user

app = Flask(__name__)
app.secret_key = os.environ["FLASK_SECRET_KEY"]


def is_safe_redirect(target):
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    parsed = urlparse(target)
    return not parsed.scheme and not parsed.netloc


@app.route("/login", methods=["POST"])
def login():
    username = request.form.get("username", "")
    password = request.form.get("password", "")
    user_id = verify_user(username, password)
    if user_id is None:
        return redirect(url_for("login_page", error=1))
    session["user_id"] = user_id
    next_url = request.args.get("next", "")
    if not is_safe_redirect(next_url):
        next_url = url_for("dashboard")
    return redirect(next_url)
