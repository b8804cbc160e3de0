# expect: none
# safe: str() casts on the JSON values, so {"$ne": ""} cannot become a query operator
from flask import Flask, request
from pymongo import MongoClient

app = Flask(__name__)
users = MongoClient()["auth"]["users"]


def find_account(username, password_hash):
    return users.find_one({"username": username, "password_hash": password_hash})


@app.route("/login", methods=["POST"])
def login():
    data = request.get_json()
    account = find_account(str(data["username"]), str(data["password_hash"]))
    if account is None:
        return {"ok": False}, 401
    return {"ok": True, "id": str(account["_id"])}
