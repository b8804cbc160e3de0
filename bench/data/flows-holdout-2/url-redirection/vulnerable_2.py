# expect: url-redirection line 9
from django.contrib.auth import logout
from django.http import HttpResponseRedirect


def logout_view(request):
    logout(request)
    return_to = request.GET.get("return_to") or "/"
    response = HttpResponseRedirect(return_to)
    response.delete_cookie("recently_viewed")
    return response
