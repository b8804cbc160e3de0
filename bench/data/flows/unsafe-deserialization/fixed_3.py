# expect: none
# safe: the cookie is decoded with json.loads instead of pickle
import base64
import json

from django.http import JsonResponse


def preferences(request):
    cookie = request.COOKIES.get("prefs", "")
    prefs = json.loads(base64.b64decode(cookie))
    return JsonResponse({"theme": prefs.get("theme", "light")})
