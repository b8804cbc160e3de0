# expect: none
# safe: the lxml parser has resolve_entities=False and no_network=True
from flask import Flask, request
from lxml import etree

app = Flask(__name__)


@app.route("/upload", methods=["POST"])
def upload():
    parser = etree.XMLParser(resolve_entities=False, no_network=True, dtd_validation=False)
    root = etree.fromstring(request.data, parser)
    return {"name": root.findtext("name"), "email": root.findtext("email")}
