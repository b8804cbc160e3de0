# expect: xxe line 12
from flask import Flask, jsonify, request
from lxml import etree

app = Flask(__name__)


@app.route("/api/invoices/import", methods=["POST"])
def import_invoice():
    parser = etree.XMLParser(resolve_entities=True, load_dtd=True, no_network=False)
    try:
        doc = etree.fromstring(request.data, parser)
    except etree.XMLSyntaxError:
        return jsonify({"error": "malformed XML"}), 400
    invoice_id = doc.findtext("id")
    customer = doc.findtext("customer")
    total = doc.findtext("total")
    return jsonify({"id": invoice_id, "customer": customer, "total": total})
