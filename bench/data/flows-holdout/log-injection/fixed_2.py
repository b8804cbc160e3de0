# expect: none
# safe: the product id is cast to int before it is logged
import logging

from django.http import JsonResponse

logger = logging.getLogger(__name__)


def add_to_cart(request):
    try:
        product_id = int(request.POST.get("product_id", ""))
    except ValueError:
        return JsonResponse({"error": "invalid product id"}, status=400)
    logger.info("Adding product %d to cart", product_id)
    cart = request.session.setdefault("cart", [])
    cart.append(product_id)
    request.session.modified = True
    return JsonResponse({"items": len(cart)})
