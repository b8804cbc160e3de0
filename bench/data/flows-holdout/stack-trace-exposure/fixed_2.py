# expect: none
# safe: the exception is logged and a fixed error message is returned
import json
import logging

from django.http import JsonResponse

logger = logging.getLogger(__name__)


def order_total(request):
    try:
        payload = json.loads(request.body)
        total = sum(item["price"] * item["qty"] for item in payload["items"])
        return JsonResponse({"total": total})
    except Exception:
        logger.exception("could not compute order total")
        return JsonResponse({"error": "invalid order"}, status=400)
