# expect: reflective-xss line 9
from django.http import HttpResponse


def search(request):
    query = request.GET.get("q", "")
    results = ["first", "second"]
    items = "".join(f"<li>{r}</li>" for r in results)
    return HttpResponse("<p>Results for " + query + "</p><ul>" + items + "</ul>")
