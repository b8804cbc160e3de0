# expect: polynomial-redos line 12
import re

from flask import Flask, request

app = Flask(__name__)


@app.route("/validate-name")
def validate_name():
    name = request.args.get("name", "")
    if re.match(r"^([a-zA-Z]+\s?)*$", name):
        return {"valid": True}
    return {"valid": False}
