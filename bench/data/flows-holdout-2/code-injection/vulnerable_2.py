# expect: code-injection line 21
import json

from django.http import JsonResponse
from django.views.decorators.http import require_POST


def build_namespace(body):
    return {
        "price": float(body.get("price", 0)),
        "quantity": int(body.get("quantity", 1)),
        "total": 0.0,
    }


@require_POST
def apply_discount_rule(request):
    body = json.loads(request.body)
    rule_source = body.get("rule", "total = price * quantity")
    namespace = build_namespace(body)
    exec(rule_source, {"__builtins__": {}}, namespace)
    return JsonResponse({"total": namespace.get("total")})
