# expect: none
# safe: allow-list on scheme and host (urlparse) before urlopen
import urllib.request
from urllib.parse import urlparse

from django.http import HttpResponse, HttpResponseBadRequest

IMAGE_HOSTS = {"images.example.com"}


def proxy_image(request):
    image_url = request.GET["src"]
    parts = urlparse(image_url)
    if parts.scheme not in ("http", "https") or parts.hostname not in IMAGE_HOSTS:
        return HttpResponseBadRequest("image host not allowed")
    with urllib.request.urlopen(image_url) as remote:
        data = remote.read()
    return HttpResponse(data, content_type="image/png")
