# expect: none
# safe: the signature is verified with the server key and a fixed algorithm list
import os

import jwt
from flask import Flask, request

app = Flask(__name__)
SECRET_KEY = os.environ["JWT_SECRET"]


@app.route("/profile")
def profile():
    token = request.headers.get("Authorization", "").replace("Bearer ", "")
    try:
        payload = jwt.decode(token, SECRET_KEY, algorithms=["HS256"])
    except jwt.InvalidTokenError:
        return {"error": "invalid token"}, 401
    return {"user": payload.get("sub"), "role": payload.get("role")}
