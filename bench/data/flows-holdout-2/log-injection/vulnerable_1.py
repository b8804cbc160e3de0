# expect: log-injection line 18
import logging

from flask import Flask, jsonify, request

from accounts import authenticate

app = Flask(__name__)
logger = logging.getLogger("auth")


@app.route("/api/login", methods=["POST"])
def login():
    username = request.form.get("username", "")
    password = request.form.get("password", "")
    user_id = authenticate(username, password)
    if user_id is None:
        logger.warning("Failed login attempt for user: " + username)
        return jsonify({"ok": False}), 401
    logger.info("User id %d logged in", user_id)
    return jsonify({"ok": True})
