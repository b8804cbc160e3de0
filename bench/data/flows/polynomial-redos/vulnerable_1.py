# expect: polynomial-redos line 7
import re

from flask import Flask, request

app = Flask(__name__)
EMAIL = re.compile(r"^([a-zA-Z0-9]+)*@example\.com$")


@app.route("/invite", methods=["POST"])
def invite():
    address = request.form["email"]
    if not EMAIL.match(address):
        return {"error": "only example.com addresses"}, 400
    return {"invited": address}
