# expect: none
# safe: jwt.decode verifies the HS256 signature with a secret from the environment; invalid tokens get 401
import os

import jwt
from flask import Flask, jsonify, request

app = Flask(__name__)
JWT_SECRET = os.environ["JWT_SECRET"]


def bearer_token():
    auth = request.headers.get("Authorization", "")
    return auth.removeprefix("Bearer ").strip()


@app.route("/api/me")
def me():
    token = bearer_token()
    if not token:
        return jsonify({"error": "missing token"}), 401
    try:
        claims = jwt.decode(token, JWT_SECRET, algorithms=["HS256"])
    except jwt.InvalidTokenError:
        return jsonify({"error": "invalid token"}), 401
    return jsonify({"user": claims.get("sub"), "roles": claims.get("roles", [])})
