# expect: none
# safe: url_has_allowed_host_and_scheme limits the target to this site
from django.http import HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme


LANGUAGES = {"en", "de", "fr"}


def set_language(request):
    lang = request.GET.get("lang", "en")
    if lang not in LANGUAGES:
        lang = "en"
    target = request.GET.get("next", "/")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = "/"
    response = HttpResponseRedirect(target)
    response.set_cookie("lang", lang)
    return response
