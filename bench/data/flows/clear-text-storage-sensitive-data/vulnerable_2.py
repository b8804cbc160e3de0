# expect: clear-text-storage-sensitive-data line 13
from flask import Flask, make_response, redirect, request

app = Flask(__name__)


@app.route("/login", methods=["POST"])
def login():
    username = request.form["username"]
    password = request.form["password"]
    response = make_response(redirect("/dashboard"))
    response.set_cookie("username", username)
    response.set_cookie("password", password)
    return response
