# expect: path-injection line 16
import os

from flask import Flask, abort, request, send_file

app = Flask(__name__)
UPLOAD_DIR = "/var/www/uploads"


@app.route("/download")
def download():
    filename = request.args.get("file")
    if not filename:
        abort(400)
    target = filename.strip()
    return send_file(os.path.join(UPLOAD_DIR, target), as_attachment=True)
