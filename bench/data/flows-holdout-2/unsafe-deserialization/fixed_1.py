# expect: none
# safe: cookie decoded as JSON (data only, no objects) and filtered to known keys instead of pickle
import base64
import binascii
import json

from flask import Flask, jsonify, request

app = Flask(__name__)
DEFAULT_PREFS = {"theme": "light", "language": "en"}


def load_preferences(raw_cookie):
    try:
        data = json.loads(base64.urlsafe_b64decode(raw_cookie))
    except (binascii.Error, ValueError):
        return dict(DEFAULT_PREFS)
    if not isinstance(data, dict):
        return dict(DEFAULT_PREFS)
    return {key: str(data.get(key, value)) for key, value in DEFAULT_PREFS.items()}


@app.route("/preferences")
def preferences():
    cookie = request.cookies.get("prefs")
    if cookie is None:
        return jsonify(DEFAULT_PREFS)
    prefs = load_preferences(cookie)
    return jsonify(prefs)
