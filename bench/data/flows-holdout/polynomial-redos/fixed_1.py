# expect: none
# safe: an unambiguous pattern (words separated by single spaces) and a length limit
import re

from flask import Flask, request

app = Flask(__name__)
NAME_RE = re.compile(r"[a-zA-Z]+(?: [a-zA-Z]+)*")


@app.route("/validate-name")
def validate_name():
    name = request.args.get("name", "")
    if len(name) <= 100 and NAME_RE.fullmatch(name):
        return {"valid": True}
    return {"valid": False}
