# expect: url-redirection line 7
from django.http import HttpResponseRedirect


def logout_view(request):
    request.session.flush()
    return HttpResponseRedirect(request.GET.get("return_to", "/"))
