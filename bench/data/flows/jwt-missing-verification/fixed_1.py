# expect: none
# safe: jwt.decode with the key and a fixed algorithm list verifies the signature
import os

import jwt
from flask import Flask, request

app = Flask(__name__)


@app.route("/me")
def me():
    token = request.headers.get("Authorization", "").removeprefix("Bearer ")
    claims = jwt.decode(token, os.environ["JWT_SECRET"], algorithms=["HS256"])
    return {"user": claims["sub"]}
