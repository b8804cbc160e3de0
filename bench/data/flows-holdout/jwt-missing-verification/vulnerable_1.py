# expect: jwt-missing-verification line 11
import jwt
from flask import Flask, request

app = Flask(__name__)


@app.route("/profile")
def profile():
    token = request.headers.get("Authorization", "").replace("Bearer ", "")
    payload = jwt.decode(token, options={"verify_signature": False})
    return {"user": payload.get("sub"), "role": payload.get("role")}
