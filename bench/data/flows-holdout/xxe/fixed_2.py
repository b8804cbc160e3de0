# expect: none
# safe: defusedxml.sax parses the feed and refuses entity declarations
import defusedxml.sax
from xml.sax.handler import ContentHandler

from flask import Flask, request

app = Flask(__name__)


class TitleHandler(ContentHandler):
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
    handler = TitleHandler()
    defusedxml.sax.parse(request.files["feed"], handler)
    return {"titles": handler.titles}
