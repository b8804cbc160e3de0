# expect: url-redirection line 13
from django.http import HttpResponseRedirect


LANGUAGES = {"en", "de", "fr"}


def set_language(request):
    lang = request.GET.get("lang", "en")
    if lang not in LANGUAGES:
        lang = "en"
    target = request.GET.get("next", "/")
    response = HttpResponseRedirect(target)
    response.set_cookie("lang", lang)
    return response
