# expect: none
# safe: ast.literal_eval accepts Python literals only, never calls or names
import ast

from flask import Flask, jsonify, request

app = Flask(__name__)


@app.route("/settings", methods=["POST"])
def update_setting():
    key = request.form["key"]
    raw = request.form["value"]
    try:
        value = ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        return jsonify({"error": "value must be a literal"}), 400
    return jsonify({key: value})
