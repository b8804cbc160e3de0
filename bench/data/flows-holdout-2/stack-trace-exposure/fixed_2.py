# expect: none
# safe: exception details only logged; response carries a fixed generic message
import logging

from django.http import JsonResponse
from django.views.decorators.http import require_POST

from profiles.services import resize_and_store_avatar

logger = logging.getLogger(__name__)


@require_POST
def upload_avatar(request):
    upload = request.FILES.get("avatar")
    if upload is None:
        return JsonResponse({"error": "no file"}, status=400)
    try:
        url = resize_and_store_avatar(request.user, upload)
    except Exception:
        logger.exception("avatar upload failed for user %s", request.user.pk)
        return JsonResponse({"error": "could not process the image"}, status=500)
    return JsonResponse({"avatar_url": url})
