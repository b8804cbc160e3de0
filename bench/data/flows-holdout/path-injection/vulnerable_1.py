# expect: path-injection line 13
import os
from flask import Flask, request, send_file

app = Flask(__name__)
UPLOAD_DIR = "/var/www/uploads"


@app.route("/download")
def download():
    filename = request.args.get("file", "")
    path = os.path.join(UPLOAD_DIR, filename)
    return send_file(path)
