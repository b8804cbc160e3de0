# expect: none
# safe: werkzeug's secure_filename strips directories and dots from the client's file name
import os

from flask import Flask, request
from werkzeug.utils import secure_filename

app = Flask(__name__)
app.config["UPLOAD_FOLDER"] = "/srv/uploads"


@app.route("/upload", methods=["POST"])
def upload():
    file = request.files["document"]
    name = secure_filename(file.filename)
    if not name:
        return {"error": "invalid file name"}, 400
    destination = os.path.join(app.config["UPLOAD_FOLDER"], name)
    file.save(destination)
    return {"saved": name}
