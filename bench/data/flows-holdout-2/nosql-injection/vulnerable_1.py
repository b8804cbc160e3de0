# expect: nosql-injection line 17
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
    user = db.users.find_one({"username": username, "api_token": token})
    if user is None:
        return jsonify({"ok": False}), 401
    return jsonify({"ok": True, "user_id": str(user["_id"])})
