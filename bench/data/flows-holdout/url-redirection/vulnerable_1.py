# expect: url-redirection line 14
import os

from flask import Flask, redirect, request, session

app = Flask(__name__)
app.secret_key = os.environ["SECRET_KEY"]


@app.route("/logout")
def logout():
    session.clear()
    next_url = request.args.get("next", "/")
    return redirect(next_url)
