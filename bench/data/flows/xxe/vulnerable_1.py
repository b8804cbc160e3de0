# expect: xxe line 10
from flask import Flask, jsonify, request
from lxml import etree

app = Flask(__name__)


@app.route("/import", methods=["POST"])
def import_items():
    root = etree.fromstring(request.data)
    items = [{"sku": el.get("sku"), "qty": int(el.findtext("qty", "0"))} for el in root.iter("item")]
    return jsonify(items)
