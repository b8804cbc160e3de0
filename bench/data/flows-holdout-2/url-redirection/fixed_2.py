# expect: none
# safe: return_to checked with url_has_allowed_host_and_scheme against the current host, falling back to '/'
from django.contrib.auth import logout
from django.http import HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme


def logout_view(request):
    logout(request)
    return_to = request.GET.get("return_to") or "/"
    if not url_has_allowed_host_and_scheme(return_to, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return_to = "/"
    response = HttpResponseRedirect(return_to)
    response.delete_cookie("recently_viewed")
    return response
