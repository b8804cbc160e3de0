# expect: none
# safe: the expression is parsed with ast and only numbers and arithmetic operators are evaluated
import ast
import operator
from flask import Flask, jsonify, request

app = Flask(__name__)
OPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.USub: operator.neg,
}


def _evaluate(node):
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in OPS:
        return OPS[type(node.op)](_evaluate(node.left), _evaluate(node.right))
    if isinstance(node, ast.UnaryOp) and type(node.op) in OPS:
        return OPS[type(node.op)](_evaluate(node.operand))
    raise ValueError("unsupported expression")


@app.route("/calc", methods=["POST"])
def calc():
    expression = request.form.get("expr", "")
    try:
        result = _evaluate(ast.parse(expression, mode="eval").body)
    except (ValueError, SyntaxError, ZeroDivisionError):
        return jsonify(error="invalid expression"), 400
    return jsonify(result=result)
