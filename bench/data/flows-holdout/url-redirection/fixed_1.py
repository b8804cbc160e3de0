# expect: none
# safe: only relative paths with no scheme or host are followed, else redirect home
import os
from urllib.parse import urlparse

from flask import Flask, redirect, request, session

app = Flask(__name__)
app.secret_key = os.environ["SECRET_KEY"]


def is_safe_redirect(target):
    parsed = urlparse(target.replace("\\", "/"))
    return target.startswith("/") and not parsed.scheme and not parsed.netloc


@app.route("/logout")
def logout():
    session.clear()
    next_url = request.args.get("next", "/")
    if not is_safe_redirect(next_url):
        next_url = "/"
    return redirect(next_url)
