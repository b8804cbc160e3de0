# expect: none
# safe: the exception is logged server-side; the response carries a fixed message
import logging

from django.http import JsonResponse

from .models import Order

logger = logging.getLogger(__name__)


def cancel_order(request, order_id):
    try:
        order = Order.objects.get(pk=order_id)
        order.cancel()
    except Exception:
        logger.exception("cancelling order %r failed", order_id)
        return JsonResponse({"error": "could not cancel the order"}, status=500)
    return JsonResponse({"status": "cancelled"})
