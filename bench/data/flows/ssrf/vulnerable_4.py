# expect: ssrf line 9
import urllib.request

from django.http import HttpResponse


def proxy_image(request):
    image_url = request.GET["src"]
    with urllib.request.urlopen(image_url) as remote:
        data = remote.read()
    return HttpResponse(data, content_type="image/png")
