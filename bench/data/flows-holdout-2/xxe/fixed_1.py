# expect: none
# safe: lxml parser created with resolve_entities=False, load_dtd=False, no_network=True
from flask import Flask, jsonify, request
from lxml import etree

app = Flask(__name__)
SAFE_PARSER = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False)


@app.route("/api/invoices/import", methods=["POST"])
def import_invoice():
    try:
        doc = etree.fromstring(request.data, SAFE_PARSER)
    except etree.XMLSyntaxError:
        return jsonify({"error": "malformed XML"}), 400
    invoice_id = doc.findtext("id")
    customer = doc.findtext("customer")
    total = doc.findtext("total")
    return jsonify({"id": invoice_id, "customer": customer, "total": total})
