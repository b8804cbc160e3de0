# expect: code-injection line 4
def apply_formula(formula, x):
    """Evaluate a formula in x, such as "3*x + 2"."""
    return eval(formula, {"x": x})


def table(formula, start, stop):
    return [(x, apply_formula(formula, x)) for x in range(start, stop)]
