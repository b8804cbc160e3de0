# expect: none
# safe: the query goes through an autoescaping template (render with a context), not string concatenation
from django.shortcuts import render


def search(request):
    query = request.GET.get("q", "")
    results = ["first", "second"]
    return render(request, "search/results.html", {"query": query, "results": results})
