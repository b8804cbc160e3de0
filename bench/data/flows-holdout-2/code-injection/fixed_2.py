# expect: none
# safe: client picks a rule name from a fixed allow-list of Python functions; no user code is executed
import json

from django.http import JsonResponse
from django.views.decorators.http import require_POST

RULES = {
    "none": lambda price, quantity: price * quantity,
    "bulk10": lambda price, quantity: price * quantity * (0.9 if quantity >= 10 else 1.0),
    "half": lambda price, quantity: price * quantity * 0.5,
}


@require_POST
def apply_discount_rule(request):
    body = json.loads(request.body)
    rule = RULES.get(body.get("rule", "none"))
    if rule is None:
        return JsonResponse({"error": "unknown rule"}, status=400)
    try:
        price = float(body.get("price", 0))
        quantity = int(body.get("quantity", 1))
    except (TypeError, ValueError):
        return JsonResponse({"error": "invalid numbers"}, status=400)
    return JsonResponse({"total": rule(price, quantity)})
