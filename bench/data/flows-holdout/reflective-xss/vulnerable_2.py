# expect: reflective-xss line 7, 8
from django.http import HttpResponse


def search(request):
    query = request.GET.get("q", "")
    page = f"<html><body><p>No results found for <b>{query}</b></p></body></html>"
    return HttpResponse(page)
