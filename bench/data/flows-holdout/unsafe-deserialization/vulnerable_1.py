# expect: unsafe-deserialization line 13
import base64
import pickle

from flask import Flask, request

app = Flask(__name__)


@app.route("/restore", methods=["POST"])
def restore():
    blob = request.form.get("state", "")
    state = pickle.loads(base64.b64decode(blob))
    return {"keys": sorted(state)}
