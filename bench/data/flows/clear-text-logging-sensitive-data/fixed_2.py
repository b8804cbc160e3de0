# expect: none
# safe: the key itself is not printed, only who got one and how many keys exist
import secrets

from flask import Flask, request

app = Flask(__name__)
API_KEYS = {}


@app.route("/keys", methods=["POST"])
def create_key():
    user = request.form["user"]
    api_key = secrets.token_hex(32)
    API_KEYS[api_key] = user
    print(f"New API key issued for {user} ({len(API_KEYS)} keys)")
    return {"api_key": api_key}
