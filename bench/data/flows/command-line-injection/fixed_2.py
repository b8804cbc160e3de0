# expect: none
# safe: shlex.quote on every user-supplied word of the shell command
import os
import shlex

from flask import Flask, request

app = Flask(__name__)


@app.route("/thumbnail", methods=["POST"])
def thumbnail():
    src = request.form["source"]
    size = request.form.get("size", "128x128")
    os.system("convert " + shlex.quote(src) + " -resize " + shlex.quote(size) + " /srv/thumbs/out.png")
    return {"status": "ok"}
