# expect: jwt-missing-verification line 18
import jwt
from flask import Flask, jsonify, request

app = Flask(__name__)


def bearer_token():
    auth = request.headers.get("Authorization", "")
    return auth.removeprefix("Bearer ").strip()


@app.route("/api/me")
def me():
    token = bearer_token()
    if not token:
        return jsonify({"error": "missing token"}), 401
    claims = jwt.decode(token, options={"verify_signature": False})
    return jsonify({"user": claims.get("sub"), "roles": claims.get("roles", [])})
