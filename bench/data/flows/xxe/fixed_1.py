# expect: none
# safe: an lxml parser with resolve_entities=False and no_network=True
from flask import Flask, jsonify, request
from lxml import etree

app = Flask(__name__)
PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


@app.route("/import", methods=["POST"])
def import_items():
    root = etree.fromstring(request.data, parser=PARSER)
    items = [{"sku": el.get("sku"), "qty": int(el.findtext("qty", "0"))} for el in root.iter("item")]
    return jsonify(items)
