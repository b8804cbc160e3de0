# expect: unsafe-deserialization line 13
import base64
import pickle

from flask import Flask, jsonify, request

app = Flask(__name__)
DEFAULT_PREFS = {"theme": "light", "language": "en"}


def load_preferences(raw_cookie):
    data = base64.b64decode(raw_cookie)
    return pickle.loads(data)


@app.route("/preferences")
def preferences():
    cookie = request.cookies.get("prefs")
    if cookie is None:
        return jsonify(DEFAULT_PREFS)
    prefs = load_preferences(cookie)
    return jsonify(prefs)
