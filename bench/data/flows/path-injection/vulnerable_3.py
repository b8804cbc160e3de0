# expect: path-injection line 14
import os

from flask import Flask, request

app = Flask(__name__)
app.config["UPLOAD_FOLDER"] = "/srv/uploads"


@app.route("/upload", methods=["POST"])
def upload():
    file = request.files["document"]
    destination = os.path.join(app.config["UPLOAD_FOLDER"], file.filename)
    file.save(destination)
    return {"saved": file.filename}
