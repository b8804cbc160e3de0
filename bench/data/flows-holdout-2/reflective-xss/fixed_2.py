# expect: none
# safe: fragment built with django.utils.html.format_html, which escapes author and body
from django.http import HttpResponse
from django.utils.html import format_html
from django.views.decorators.http import require_POST


@require_POST
def comment_preview(request):
    author = request.POST.get("author", "anonymous").strip()
    body = request.POST.get("body", "")
    html = format_html("<div class='comment'><strong>{}</strong><p>{}</p></div>", author, body)
    return HttpResponse(html)
