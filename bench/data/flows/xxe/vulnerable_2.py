# expect: xxe line 17, 20
import xml.sax
from xml.sax.handler import feature_external_ges


class TitleHandler(xml.sax.ContentHandler):
    def __init__(self):
        super().__init__()
        self.titles = []

    def characters(self, content):
        self.titles.append(content)


def read_titles(path):
    parser = xml.sax.make_parser()
    parser.setFeature(feature_external_ges, True)
    handler = TitleHandler()
    parser.setContentHandler(handler)
    parser.parse(path)
    return handler.titles
