# expect: command-line-injection line 13
import os

from flask import Flask, request

app = Flask(__name__)


@app.route("/thumbnail", methods=["POST"])
def thumbnail():
    src = request.form["source"]
    size = request.form.get("size", "128x128")
    os.system("convert " + src + " -resize " + size + " /srv/thumbs/out.png")
    return {"status": "ok"}
