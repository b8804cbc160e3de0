# expect: stack-trace-exposure line 16
from django.http import JsonResponse
from django.views.decorators.http import require_POST

from profiles.services import resize_and_store_avatar


@require_POST
def upload_avatar(request):
    upload = request.FILES.get("avatar")
    if upload is None:
        return JsonResponse({"error": "no file"}, status=400)
    try:
        url = resize_and_store_avatar(request.user, upload)
    except Exception as exc:
        return JsonResponse({"error": str(exc), "type": type(exc).__name__}, status=500)
    return JsonResponse({"avatar_url": url})
