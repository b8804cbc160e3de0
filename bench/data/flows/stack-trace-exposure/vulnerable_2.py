# expect: stack-trace-exposure line 12
from django.http import JsonResponse

from .models import Order


def cancel_order(request, order_id):
    try:
        order = Order.objects.get(pk=order_id)
        order.cancel()
    except Exception as e:
        return JsonResponse({"error": str(e)}, status=500)
    return JsonResponse({"status": "cancelled"})
