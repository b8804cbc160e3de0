# expect: clear-text-logging-sensitive-data line 15
import secrets

from flask import Flask, request

app = Flask(__name__)
API_KEYS = {}


@app.route("/keys", methods=["POST"])
def create_key():
    user = request.form["user"]
    api_key = secrets.token_hex(32)
    API_KEYS[api_key] = user
    print(f"New API key for {user}: {api_key}")
    return {"api_key": api_key}
