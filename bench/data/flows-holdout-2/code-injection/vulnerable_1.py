# expect: code-injection line 12
from flask import Flask, jsonify, request

app = Flask(__name__)


@app.route("/calc", methods=["POST"])
def calculate():
    expression = request.form.get("expression", "")
    expression = expression.replace("^", "**")
    try:
        value = eval(expression)
    except Exception:
        return jsonify({"error": "invalid expression"}), 400
    return jsonify({"expression": expression, "value": value})
