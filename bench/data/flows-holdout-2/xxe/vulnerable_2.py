# expect: xxe line 30
import xml.sax
from xml.sax.handler import feature_external_ges

from django.http import JsonResponse


class FeedHandler(xml.sax.ContentHandler):
    def __init__(self):
        super().__init__()
        self.titles = []
        self._in_title = False

    def startElement(self, name, attrs):
        self._in_title = name == "title"

    def characters(self, content):
        if self._in_title:
            self.titles.append(content)

    def endElement(self, name):
        self._in_title = False


def upload_feed(request):
    handler = FeedHandler()
    parser = xml.sax.make_parser()
    parser.setContentHandler(handler)
    parser.setFeature(feature_external_ges, True)
    parser.parse(request.FILES["feed"])
    return JsonResponse({"titles": handler.titles})
