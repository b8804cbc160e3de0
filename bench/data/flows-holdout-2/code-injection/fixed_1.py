# expect: none
# safe: expression parsed with ast and evaluated by a whitelist walker of numeric literals and arithmetic operators, no eval
import ast
import operator

from flask import Flask, jsonify, request

app = Flask(__name__)
OPERATORS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.USub: operator.neg,
}


def safe_eval(node):
    if isinstance(node, ast.Expression):
        return safe_eval(node.body)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in OPERATORS:
        return OPERATORS[type(node.op)](safe_eval(node.left), safe_eval(node.right))
    if isinstance(node, ast.UnaryOp) and type(node.op) in OPERATORS:
        return OPERATORS[type(node.op)](safe_eval(node.operand))
    raise ValueError("unsupported expression")


@app.route("/calc", methods=["POST"])
def calculate():
    expression = request.form.get("expression", "")
    if len(expression) > 200:
        return jsonify({"error": "expression too long"}), 400
    try:
        value = safe_eval(ast.parse(expression, mode="eval"))
    except (SyntaxError, ValueError, ZeroDivisionError):
        return jsonify({"error": "invalid expression"}), 400
    return jsonify({"expression": expression, "value": value})
