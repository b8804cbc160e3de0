# expect: stack-trace-exposure line 13
import json

from django.http import JsonResponse


def order_total(request):
    try:
        payload = json.loads(request.body)
        total = sum(item["price"] * item["qty"] for item in payload["items"])
        return JsonResponse({"total": total})
    except Exception as e:
        return JsonResponse({"error": str(e)}, status=500)
