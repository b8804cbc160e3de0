# expect: none
# safe: the state is decoded with json instead of pickle
import base64
import json

from flask import Flask, request

app = Flask(__name__)


@app.route("/restore", methods=["POST"])
def restore():
    blob = request.form.get("state", "")
    state = json.loads(base64.b64decode(blob))
    if not isinstance(state, dict):
        return {"error": "state must be an object"}, 400
    return {"keys": sorted(state)}
