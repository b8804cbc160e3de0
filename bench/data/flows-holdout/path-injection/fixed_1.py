# expect: none
# safe: realpath + commonpath keep the file under UPLOAD_DIR
import os
from flask import Flask, abort, request, send_file

app = Flask(__name__)
UPLOAD_DIR = os.path.realpath("/var/www/uploads")


@app.route("/download")
def download():
    filename = request.args.get("file", "")
    path = os.path.realpath(os.path.join(UPLOAD_DIR, filename))
    if os.path.commonpath([UPLOAD_DIR, path]) != UPLOAD_DIR:
        abort(404)
    if not os.path.isfile(path):
        abort(404)
    return send_file(path)
