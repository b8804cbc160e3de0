# expect: none
# safe: only a relative target (no scheme, no host) is followed, else the home page
from urllib.parse import urlparse

from flask import Flask, redirect, request

app = Flask(__name__)


@app.route("/login/done")
def login_done():
    target = request.args.get("next", "/")
    parts = urlparse(target)
    if parts.scheme or parts.netloc:
        target = "/"
    return redirect(target)
