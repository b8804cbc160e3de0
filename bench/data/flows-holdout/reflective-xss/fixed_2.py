# expect: none
# safe: format_html escapes the query before building the page
from django.http import HttpResponse
from django.utils.html import format_html


def search(request):
    query = request.GET.get("q", "")
    page = format_html("<html><body><p>No results found for <b>{}</b></p></body></html>", query)
    return HttpResponse(page)
