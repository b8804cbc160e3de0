# expect: none
# safe: username and token must be strings (no operator dicts) and are matched with explicit $eq
import os

from flask import Flask, jsonify, request
from pymongo import MongoClient

app = Flask(__name__)
client = MongoClient(os.environ.get("MONGO_URI", "mongodb://localhost:27017"))
db = client["accounts"]


@app.route("/api/token-login", methods=["POST"])
def token_login():
    data = request.get_json(force=True)
    username = data.get("username")
    token = data.get("api_token")
    if not isinstance(username, str) or not isinstance(token, str):
        return jsonify({"ok": False, "error": "invalid input"}), 400
    user = db.users.find_one({"username": {"$eq": username}, "api_token": {"$eq": token}})
    if user is None:
        return jsonify({"ok": False}), 401
    return jsonify({"ok": True, "user_id": str(user["_id"])})
