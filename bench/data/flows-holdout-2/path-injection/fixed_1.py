# expect: none
# safe: path is resolved with realpath and must stay inside UPLOAD_DIR (commonpath check) before send_file
import os

from flask import Flask, abort, request, send_file

app = Flask(__name__)
UPLOAD_DIR = os.path.realpath("/var/www/uploads")


@app.route("/download")
def download():
    filename = request.args.get("file")
    if not filename:
        abort(400)
    full_path = os.path.realpath(os.path.join(UPLOAD_DIR, filename.strip()))
    if os.path.commonpath([UPLOAD_DIR, full_path]) != UPLOAD_DIR:
        abort(403)
    if not os.path.isfile(full_path):
        abort(404)
    return send_file(full_path, as_attachment=True)
