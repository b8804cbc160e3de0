# expect: none
# safe: the formula is parsed with ast and only numbers, x and arithmetic operators are evaluated
import ast
import operator

OPERATORS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
             ast.Pow: operator.pow, ast.USub: operator.neg}


def _evaluate(node, x):
    if isinstance(node, ast.Expression):
        return _evaluate(node.body, x)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return node.value
    if isinstance(node, ast.Name) and node.id == "x":
        return x
    if isinstance(node, ast.BinOp) and type(node.op) in OPERATORS:
        return OPERATORS[type(node.op)](_evaluate(node.left, x), _evaluate(node.right, x))
    if isinstance(node, ast.UnaryOp) and type(node.op) in OPERATORS:
        return OPERATORS[type(node.op)](_evaluate(node.operand, x))
    raise ValueError("unsupported expression")


def apply_formula(formula, x):
    """Evaluate a formula in x, such as "3*x + 2"."""
    return _evaluate(ast.parse(formula, mode="eval"), x)


def table(formula, start, stop):
    return [(x, apply_formula(formula, x)) for x in range(start, stop)]
