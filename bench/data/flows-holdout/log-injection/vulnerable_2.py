# expect: log-injection line 11
import logging

from django.http import JsonResponse

logger = logging.getLogger(__name__)


def add_to_cart(request):
    product_id = request.POST.get("product_id", "")
    logger.info("Adding product " + product_id + " to cart")
    cart = request.session.setdefault("cart", [])
    cart.append(product_id)
    request.session.modified = True
    return JsonResponse({"items": len(cart)})
