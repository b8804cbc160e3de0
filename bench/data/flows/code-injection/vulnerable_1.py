# expect: code-injection line 11
from flask import Flask, jsonify, request

app = Flask(__name__)


@app.route("/settings", methods=["POST"])
def update_setting():
    key = request.form["key"]
    raw = request.form["value"]
    value = eval(raw)
    return jsonify({key: value})
