# expect: unsafe-deserialization line 10
import base64
import pickle

from django.http import JsonResponse


def preferences(request):
    cookie = request.COOKIES.get("prefs", "")
    prefs = pickle.loads(base64.b64decode(cookie))
    return JsonResponse({"theme": prefs.get("theme", "light")})
