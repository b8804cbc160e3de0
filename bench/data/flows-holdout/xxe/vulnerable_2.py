# expect: xxe line 26, 29
import xml.sax

from flask import Flask, request

app = Flask(__name__)


class TitleHandler(xml.sax.ContentHandler):
    def __init__(self):
        super().__init__()
        self.titles = []
        self.in_title = False

    def startElement(self, name, attrs):
        self.in_title = name == "title"

    def characters(self, content):
        if self.in_title and content.strip():
            self.titles.append(content.strip())


@app.route("/feed", methods=["POST"])
def parse_feed():
    parser = xml.sax.make_parser()
    parser.setFeature(xml.sax.handler.feature_external_ges, True)
    handler = TitleHandler()
    parser.setContentHandler(handler)
    parser.parse(request.files["feed"])
    return {"titles": handler.titles}
