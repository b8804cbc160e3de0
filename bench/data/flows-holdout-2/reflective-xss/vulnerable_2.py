# expect: reflective-xss line 10, 11
from django.http import HttpResponse
from django.views.decorators.http import require_POST


@require_POST
def comment_preview(request):
    author = request.POST.get("author", "anonymous").strip()
    body = request.POST.get("body", "")
    html = "<div class='comment'><strong>{}</strong><p>{}</p></div>".format(author, body)
    return HttpResponse(html)
