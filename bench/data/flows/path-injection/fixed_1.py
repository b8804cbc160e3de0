# expect: none
# safe: realpath + commonpath: the resolved path must stay under UPLOAD_DIR
import os

from flask import Flask, abort, request, send_file

app = Flask(__name__)
UPLOAD_DIR = "/srv/app/uploads"


@app.route("/download")
def download():
    filename = request.args.get("file", "")
    base = os.path.realpath(UPLOAD_DIR)
    path = os.path.realpath(os.path.join(base, filename))
    if os.path.commonpath([base, path]) != base:
        abort(404)
    return send_file(path)
