# expect: none
# safe: json.loads only builds plain data (dicts, lists, strings, numbers), never objects
import json

from flask import Flask, request

app = Flask(__name__)


@app.route("/session", methods=["POST"])
def load_session():
    session = json.loads(request.get_data())
    return {"user": session["user"]}
