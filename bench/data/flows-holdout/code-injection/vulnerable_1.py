# expect: code-injection line 10
from flask import Flask, jsonify, request

app = Flask(__name__)


@app.route("/calc", methods=["POST"])
def calc():
    expression = request.form.get("expr", "")
    result = eval(expression)
    return jsonify(result=result)
