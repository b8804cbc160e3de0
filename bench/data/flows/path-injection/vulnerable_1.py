# expect: path-injection line 14
import os

from flask import Flask, request, send_file

app = Flask(__name__)
UPLOAD_DIR = "/srv/app/uploads"


@app.route("/download")
def download():
    filename = request.args.get("file")
    path = os.path.join(UPLOAD_DIR, filename)
    return send_file(path)
